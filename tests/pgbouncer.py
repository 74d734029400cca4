"""Debian's PgBouncer, started on loopback in transaction pooling mode, for the tests.

PgBouncer refuses to run as root; as root it runs as the user that owns the
server's socket directory (the embedded server's own user), or as `nobody`
for a server reached over TCP, so that it can reach the server either way.
Its files live in a directory of their own that this user can read.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgwallet.testing import free_port

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HOW_TO = "PgBouncer is not installed: `apt-get install -y pgbouncer` enables these tests"


def skip_without_pgbouncer() -> None:
    """Skip the calling test (with how to enable it) when PgBouncer is not installed."""
    if not Path(BINARY).is_file():
        pytest.skip(HOW_TO)


def _run_as(server_host: str) -> list[str]:
    """`-u <user>` when we are root (PgBouncer will not run as root), else nothing."""
    if os.geteuid() != 0:
        return []
    owner = "nobody"
    if server_host.startswith("/"):
        owner = pwd.getpwuid(os.stat(server_host).st_uid).pw_name
    return ["-u", owner]


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited ({process.returncode}):\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port}:\n{log.read_text()}")


@contextmanager
def running_pgbouncer(server_conninfo: str, user: str, *, pool_size: int) -> Iterator[str]:
    """PgBouncer in transaction mode before the server of `server_conninfo`, for the block.

    Yields the connection string of the same database through PgBouncer, as
    `user` (trusted: the tests' servers trust loopback). Every client shares
    at most `pool_size` server sessions per database, so consecutive
    transactions of one client land on different sessions. `user` is also
    PgBouncer's admin, so `SHOW STATS` on its database `pgbouncer` works.
    """
    server = conninfo_to_dict(server_conninfo)
    host = str(server.get("host") or "127.0.0.1")
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="pgwallet-pgbouncer-"))
    workdir.chmod(0o755)
    (workdir / "users.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={host} port={server.get('port') or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {workdir / 'users.txt'}\n"
        f"admin_users = {user}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\n"
        "max_client_conn = 200\n"
        # psycopg sends no startup parameter PgBouncer does not know; libpq's
        # own extra_float_digits is the one to let through, as usual.
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for each in workdir.iterdir():
        each.chmod(0o644)
    log = workdir / "pgbouncer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [BINARY, *_run_as(host), str(workdir / "pgbouncer.ini")],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_listening(process, port, log)
        yield make_conninfo(server_conninfo, host="127.0.0.1", port=port, user=user)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
