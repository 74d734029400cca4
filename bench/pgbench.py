"""Run one pgbench point and read what it reports, plus the WAL it wrote."""

import re
import subprocess
import tempfile
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench.workloads import Workload
from pgwallet.db import embedded


@dataclass(frozen=True)
class Point:
    """One measured point: a workload at a number of clients."""

    workload: str
    clients: int
    seconds: float
    transactions: int
    failed: int
    tps: float
    latency_ms: float
    wal_bytes_per_tx: float
    postings_per_s: float  # tps times the postings of one transaction (a batch's size)


def _pgbench_env_args(conninfo: str) -> tuple[list[str], dict[str, str]]:
    """pgbench's connection options for a conninfo (it takes no URL)."""
    params = conninfo_to_dict(conninfo)
    env = {"PGHOST": str(params.get("host", "")), "PGUSER": str(params.get("user", ""))}
    if "port" in params:
        env["PGPORT"] = str(params["port"])
    if "password" in params:
        env["PGPASSWORD"] = str(params["password"])
    return [str(params.get("dbname", ""))], env


def _wal_lsn(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("select pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()
    assert row is not None
    return int(row[0])


def _number(pattern: str, output: str) -> float:
    match = re.search(pattern, output)
    if match is None:
        raise RuntimeError(f"pgbench output lacks {pattern!r}:\n{output}")
    return float(match.group(1))


def init_limit(conninfo: str, scale: int = 10) -> None:
    """Create pgbench's own tables (`pgbench -i`) for the limit workload."""
    dbname, env = _pgbench_env_args(conninfo)
    subprocess.run(
        [str(embedded.BIN_DIR / "pgbench"), "-i", "-q", "-s", str(scale), *dbname],
        check=True,
        capture_output=True,
        env=env,
    )


def run(conninfo: str, workload: Workload, clients: int, seconds: float, run_tag: str) -> Point:
    """Run `workload` with `clients` for `seconds`; one transaction per script run."""
    dbname, env = _pgbench_env_args(conninfo)
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        if workload.builtin:
            source = ["-b", workload.script, "-N"]
        else:
            script.write(workload.script)
            script.flush()
            source = ["-f", script.name, "-D", f"run={run_tag}"]
        before = _wal_lsn(conninfo)
        result = subprocess.run(
            [
                str(embedded.BIN_DIR / "pgbench"),
                *source,
                "-M",
                "prepared",
                "-n",  # no vacuum of pgbench's tables before the run
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(max(1, round(seconds))),
                *dbname,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        after = _wal_lsn(conninfo)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"pgbench {workload.name} failed:\n{output}")
    transactions = int(_number(r"actually processed: (\d+)", output))
    return Point(
        workload=workload.name,
        clients=clients,
        seconds=seconds,
        transactions=transactions,
        failed=int(_number(r"number of failed transactions: (\d+)", output)),
        tps=_number(r"tps = ([\d.]+)", output),
        latency_ms=_number(r"latency average = ([\d.]+) ms", output),
        wal_bytes_per_tx=(after - before) / max(transactions, 1),
        postings_per_s=_number(r"tps = ([\d.]+)", output) * workload.postings,
    )
