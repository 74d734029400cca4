"""The read benchmarks: history pages at depth, balances (beside holds too), and verify()
against ledger size."""

import time
from dataclasses import dataclass

import psycopg

from bench import pgbench
from bench.dataset import ASSET, DEEP_USER, HOLDS_USER, user_id, user_id_sql
from bench.workloads import Workload


@dataclass(frozen=True)
class VerifyTiming:
    """One run of wallet.verify() on a ledger of `entries` entries."""

    entries: int
    seconds: float
    ok: bool


def history_page(conninfo: str, depth: int) -> Workload:
    """A page of 50 of the deep user's history, `depth` entries below the newest."""
    before = "null"
    if depth:
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                "select e.id from ledger.entries as e join ledger.wallets as w "
                "on w.id = e.wallet_id where w.user_id = %s "
                "order by e.id desc offset %s limit 1",
                [user_id(DEEP_USER), depth - 1],
            ).fetchone()
        assert row is not None, f"the deep user has fewer than {depth} entries"
        before = str(row[0])
    return Workload(
        f"history@{depth}",
        f"select count(*) from wallet.history({user_id_sql(str(DEEP_USER))}, null, 50, "
        f"{before});\n",
    )


def balances(users: int) -> Workload:
    """wallet.balances of a random user."""
    return Workload(
        "balances",
        f"\\set uid random(1, {users})\n"
        f"select count(*) from wallet.balances({user_id_sql(':uid')});\n",
    )


def balances_beside_holds(function: str) -> Workload:
    """`function` (wallet.balances, or before_holds.balances: the same read before holds
    existed) of the user with 1 000 expired and 10 active holds."""
    name = "balances_before_holds" if function.startswith("before_holds") else "balances_holds"
    return Workload(name, f"select count(*) from {function}({user_id_sql(str(HOLDS_USER))});\n")


def balance(users: int) -> Workload:
    """wallet.balance of a random user in the bench asset."""
    return Workload(
        "balance",
        f"\\set uid random(1, {users})\nselect wallet.balance({user_id_sql(':uid')}, '{ASSET}');\n",
    )


def time_verify(conninfo: str) -> VerifyTiming:
    """Run wallet.verify() once (after a warm-up count) and time it."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("select count(*) from ledger.entries").fetchone()
        assert row is not None
        start = time.perf_counter()
        checks = conn.execute("select ok from wallet.verify()").fetchall()
        seconds = time.perf_counter() - start
    return VerifyTiming(int(row[0]), seconds, all(ok for (ok,) in checks))


def run_reads(
    conninfo: str, users: int, depths: tuple[int, ...], seconds: float
) -> list[pgbench.Point]:
    """History pages at each depth, balances and balance, then balances beside holds
    before and with holds, twice in turn (their ratio is a target), one client each."""
    points = [pgbench.run(conninfo, history_page(conninfo, d), 1, seconds, "r") for d in depths]
    points.append(pgbench.run(conninfo, balances(users), 1, seconds, "r"))
    points.append(pgbench.run(conninfo, balance(users), 1, seconds, "r"))
    return points + run_beside_holds(conninfo, seconds, rounds=2)


def run_beside_holds(conninfo: str, seconds: float, rounds: int) -> list[pgbench.Point]:
    """wallet.balances of the holds user, before holds and now, in turn `rounds` times (one
    client), so that the machine's drift falls on both."""
    return [
        pgbench.run(conninfo, balances_beside_holds(function), 1, seconds, "r")
        for _ in range(rounds)
        for function in ("before_holds.balances", "wallet.balances")
    ]
