"""`python -m bench.feed`: what the event feed costs the posting path.

Issue #17 allows the feed at most 10% of postings/s. A posting pays for it
with one column (`ledger.transactions.xid`, filled by its default) and one
index entry (migration 0009); numbering is the readers' work. Three databases
of the same data take the same pgbench mix *at the same time*, each with its
own clients: on a shared machine whose load swings by half from one minute to
the next, only points measured together see the same machine, so each round's
ratios are taken within the round, and the table gives their median:

- `without`: the feed's posting-side part removed (the column's default and
  its index dropped), i.e. the posting path as it was before the feed;
- `feed`: as migrated, nobody reading;
- `feed+reader`: as migrated, while one session pages through wallet.events
  every 0.2 s, as a consumer (the relay, a facade worker's long polls) does.

Running together, the variants share the CPU, so a variant whose postings
cost more gets fewer of them done: the ratio of their rates is the inverse
ratio of their costs.
"""

import argparse
import datetime
import statistics
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import psycopg

from bench import dataset, pgbench, workloads
from bench.server import bench_database, bench_server

VARIANTS = ("without", "feed", "feed+reader")
READER_INTERVAL = 0.2  # seconds between polls, as pgwallet.http.feed.POLL_SECONDS


def remove_feed(conninfo: str) -> None:
    """Take the feed's cost off the posting path: no xid default, no index on it."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("alter table ledger.transactions alter column xid drop default")
        conn.execute("drop index ledger.transactions_xid_idx")


@contextmanager
def polling_reader(conninfo: str) -> Iterator[list[int]]:
    """Page through wallet.events every READER_INTERVAL seconds for the block;
    yields a list that ends up holding the number of events read."""
    stop = threading.Event()
    read = [0]

    def poll() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("set role wallet_api")
            after = 0
            while not stop.wait(READER_INTERVAL):
                while page := conn.execute(
                    "select event_id from wallet.events(%s, 500)", [after]
                ).fetchall():
                    after = page[-1][0]
                    read[0] += len(page)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield read
    finally:
        stop.set()
        thread.join()


def run(
    server: str, seconds: float, rounds: int, clients: int, users: int
) -> dict[str, list[float]]:
    """tps of the mix per variant, one figure per round, the variants side by side."""
    tag = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    tps: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with ExitStack() as stack:
        databases = {
            name: stack.enter_context(bench_database(server, f"feed_{n}"))
            for n, name in enumerate(VARIANTS)
        }
        for conninfo in databases.values():
            dataset.create(conninfo, users)
        remove_feed(databases["without"])
        with polling_reader(databases["feed+reader"]):
            for round_number in range(rounds):
                with ThreadPoolExecutor(len(databases)) as pool:
                    points = {
                        name: pool.submit(
                            pgbench.run,
                            conninfo,
                            workloads.mix(users),
                            clients,
                            seconds,
                            f"{tag}-{round_number}",
                        )
                        for name, conninfo in databases.items()
                    }
                figures = {name: point.result().tps for name, point in points.items()}
                for name, figure in figures.items():
                    tps[name].append(figure)
                print(
                    f"  round {round_number + 1}: "
                    + "  ".join(f"{name} {figure:.0f} tps" for name, figure in figures.items()),
                    flush=True,
                )
    return tps


def table(tps: dict[str, list[float]]) -> str:
    """Each variant against the posting path without the feed: the median of the
    rounds' ratios (each taken within its round), and the rounds' figures."""
    lines = ["| variant | x without (median) | per round | tps per round |", "|---|---|---|---|"]
    for name, figures in tps.items():
        ratios = [f / base for f, base in zip(figures, tps["without"], strict=True)]
        lines.append(
            f"| {name} | {statistics.median(ratios):.3f} | "
            + " ".join(f"{r:.2f}" for r in ratios)
            + " | "
            + " ".join(f"{f:.0f}" for f in figures)
            + " |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8, help="per variant")
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    with bench_server() as server:
        tps = run(server, args.seconds, args.rounds, args.clients, args.users)
    print()
    print(table(tps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
