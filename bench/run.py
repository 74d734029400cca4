"""One benchmark run: every workload on one server, in an order that keeps ratios fair.

The limit and the SQL API are measured client count by client count, one
right after the other, so that the machine's drift (other processes on these
shared cores) falls on both sides of each ratio.
"""

import datetime
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import psycopg

from bench import dataset, http, pgbench, reads, workloads
from bench.server import bench_database

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Profile:
    """How long and how wide a run is."""

    name: str
    seconds: float  # per pgbench point
    clients: tuple[int, ...]  # the throughput curve: limit, topup, spend, mix
    contention_clients: int  # the fixed client count of the other write points
    many_clients: tuple[int, ...]  # a deployment's many pooled connections
    http_connections: tuple[int, ...]
    history_depths: tuple[int, ...]
    read_seconds: float
    users: int = 10_000
    hot_users: int = 10
    http: bool = True


# The connections of issue #16's HTTP targets (2 workers, coalesced).
PACED_CONNECTIONS = 64

QUICK = Profile("quick", 5, (1, 16), 16, (64, 128), (32, 64, 128), (0, 10_000), 2)
FULL = Profile(
    "full", 15, (1, 4, 16, 32), 16, (64, 128), (1, 4, 16, 32, 64, 128), (0, 100_000, 1_000_000), 5
)
SMOKE = Profile("smoke", 1, (2,), 2, (4,), (), (0, 60), 1, users=50, http=False)


def _install(conninfo: str, sql_file: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute((SQL_DIR / sql_file).read_text().encode())


def _server_facts(conninfo: str) -> dict[str, str]:
    names = ["server_version", "shared_buffers", "max_connections", "synchronous_commit"]
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "select name, current_setting(name) from unnest(%s::text[]) as name", [names]
        )
        return {name: str(value) for name, value in rows}


def _git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def run(profile: Profile, server: str, log: Any = print) -> dict[str, Any]:
    """Run the profile on the server at `server` (a maintenance URL); return every
    figure as plain data (the JSON of the results)."""
    tag = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    points: list[pgbench.Point] = []

    def measure(conninfo: str, workload: workloads.Workload, clients: int) -> pgbench.Point:
        point = pgbench.run(conninfo, workload, clients, profile.seconds, tag)
        log(
            f"  {workload.name:<14} c={clients:<3} {point.tps:9.0f} tps  {point.latency_ms:7.2f} ms"
        )
        points.append(point)
        return point

    users = profile.users
    with (
        bench_database(server, "limit") as limit_db,
        bench_database(server, "main") as main,
        bench_database(server, "unanalyzed") as unanalyzed,
    ):
        log(f"setup: pgbench scale 10, {users} funded users (twice: analyzed, never analyzed)")
        pgbench.init_limit(limit_db)
        dataset.create(main, users)
        dataset.create(unanalyzed, users, analyzed=False)
        _install(main, "naive.sql")
        log("throughput against clients")
        for clients in profile.clients:
            measure(limit_db, workloads.limit(), clients)
            for workload in (
                workloads.topup(users),
                workloads.spend(users),
                workloads.mix(users),
            ):
                measure(main, workload, clients)

        c = profile.contention_clients
        log(f"contention, replays, naive design at c={c}")
        # The mix again, right before the same mix over a few hot users, and transfers
        # (no system side).
        measure(main, workloads.mix(users), c)
        measure(main, workloads.mix_hot(profile.hot_users), c)
        measure(main, workloads.transfer(users), c)
        measure(main, workloads.storm(), c)
        measure(main, workloads.replay(users), c)
        measure(main, workloads.topup(users), c)
        measure(main, workloads.naive(users), c)
        measure(limit_db, workloads.limit(), c)
        log(f"batches at c={c}")
        for size in (10, 100, 1000):
            measure(main, workloads.batch(users, size), c)
        log(f"never analyzed, beside analyzed, at c={c}")
        for workload in (workloads.topup(users), workloads.mix(users)):
            measure(main, workload, c)
            measure(unanalyzed, replace(workload, name=f"{workload.name}_unanalyzed"), c)
        log("many connections")
        for clients in profile.many_clients:
            measure(limit_db, workloads.limit(), clients)
            measure(main, workloads.topup(users), clients)
            measure(main, workloads.mix(users), clients)

        http_points = (
            _run_http(profile, main, tag, log) if profile.http and http.available() else []
        )

        log("reads and verify()")
        verify = [reads.time_verify(main)]
        for depth in profile.history_depths[1:]:
            dataset.extend_history(main, depth + 50)
            verify.append(reads.time_verify(main))
        dataset.add_holds(main, expired=1000, active=10)
        _install(main, "balances_before_holds.sql")
        read_points = reads.run_reads(main, users, profile.history_depths, profile.read_seconds)
        for point in read_points:
            log(f"  {point.workload:<14} {point.latency_ms:7.3f} ms")
        facts = _server_facts(main)

    return {
        "profile": profile.name,
        "started": tag,
        "commit": _git_commit(),
        "server": facts,
        "points": [asdict(p) for p in points],
        "http": [asdict(p) for p in http_points],
        "http_skipped": None if http_points or not profile.http else "wrk is not installed",
        "reads": [asdict(p) for p in read_points],
        "verify": [asdict(v) for v in verify],
    }


def run_holds(server: str, seconds: float, rounds: int) -> dict[str, Any]:
    """Only the read of issue #15's target: wallet.balances beside 1 000 expired and 10
    active holds against the same read before holds, on a small database of its own."""
    with bench_database(server, "holds") as db:
        dataset.create(db, 10)
        dataset.add_holds(db, expired=1000, active=10)
        _install(db, "balances_before_holds.sql")
        points = reads.run_beside_holds(db, seconds, rounds)
    return {
        "started": datetime.datetime.now(datetime.UTC).isoformat(),
        "commit": _git_commit(),
        "reads": [asdict(p) for p in points],
    }


def _run_http(profile: Profile, conninfo: str, tag: str, log: Any) -> list[http.HttpPoint]:
    """The mix through the facade at 1 and 2 workers, its single postings coalesced
    into batches or not, at each connection count; then, coalesced with 2 workers,
    the mix paced at half its peak rate (wrk waits after each response) for a fair p99."""
    results: list[http.HttpPoint] = []
    for workers in (1, 2):
        for coalesce in (True, False):
            with http.facade(conninfo, workers, coalesce) as served:
                for connections in profile.http_connections:
                    point = http.run(
                        served, workers, "mix", connections, profile.seconds, profile.users, tag
                    )
                    log(
                        f"  http mix w={workers} coalesce={'on ' if coalesce else 'off'} "
                        f"c={connections:<3} {point.rps:7.0f} rps "
                        f"p50 {point.p50_ms:6.1f} ms p99 {point.p99_ms:6.1f} ms"
                    )
                    results.append(point)
                if workers == 2 and coalesce:
                    results.append(_paced(profile, served, results, tag, log))
    return results


def _paced(
    profile: Profile, served: http.Served, results: list[http.HttpPoint], tag: str, log: Any
) -> http.HttpPoint:
    """The mix at half the peak rate of the points so far of this facade's kind."""
    peak = max(p.rps for p in results if p.workers == 2 and p.coalesce and p.workload == "http_mix")
    connections = (
        PACED_CONNECTIONS
        if PACED_CONNECTIONS in profile.http_connections
        else max(profile.http_connections)
    )
    # Each connection waits so that together they send at most half the peak rate
    # (a little less: the answer's own time adds to the wait).
    delay_ms = 1000 * connections / (peak / 2)
    point = http.run(served, 2, "mix", connections, profile.seconds, profile.users, tag, delay_ms)
    log(f"  http mix paced w=2 c={connections} {point.rps:7.0f} rps p99 {point.p99_ms:6.1f} ms")
    return point
