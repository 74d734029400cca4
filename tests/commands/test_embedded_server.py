"""The embedded PostgreSQL as every command uses it without DATABASE_URL:
started for a command, stopped when it ends (also on SIGTERM), never blocked
by what a killed process left behind."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from pgwallet.db import embedded, target
from pgwallet.testing import free_port, wait_until_serving

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory of its own; any server still running there is stopped afterwards."""
    path = tmp_path / "pgdata"
    yield path
    if (pid := _postmaster_pid(path)) is not None:
        psutil.Process(pid).terminate()


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != target.DATABASE_URL_ENV}
    return {**env, embedded.DATA_DIR_ENV: str(data_dir)}


def _pgwallet(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pgwallet.cli", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the server running in data_dir, if any."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if psutil.pid_exists(pid) else None


def test_a_command_starts_and_stops_its_server(data_dir: Path) -> None:
    migrated = _pgwallet(data_dir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "0001_ledger" in migrated.stdout

    verified = _pgwallet(data_dir, "verify")

    assert verified.returncode == 0, verified.stderr
    assert "FAIL" not in verified.stdout
    assert _postmaster_pid(data_dir) is None


def test_serve_stops_the_server_on_sigterm(data_dir: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pgwallet.cli", "serve", "--migrate", "--seed", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/health", seconds=90)
        assert _postmaster_pid(data_dir) is not None

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        process.kill()

    assert _postmaster_pid(data_dir) is None


def test_a_killed_process_does_not_keep_the_server_alive(data_dir: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pgwallet.cli", "serve", "--migrate", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_serving(process, f"http://127.0.0.1:{port}/health", seconds=90)
    process.kill()  # SIGKILL: no cleanup at all
    process.wait()
    left_behind = _postmaster_pid(data_dir)
    assert left_behind is not None
    assert process.pid in json.loads((data_dir / ".handle_pids.json").read_text())

    verified = _pgwallet(data_dir, "verify")  # reuses the server, then stops it

    assert verified.returncode == 0, verified.stderr
    assert _postmaster_pid(data_dir) is None


def test_pgwallet_pg_port_also_listens_on_localhost(data_dir: Path) -> None:
    port, pg_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pgwallet.cli", "serve", "--migrate", "--port", str(port)],
        env={**_env(data_dir), embedded.PORT_ENV: str(pg_port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}/health/ready", seconds=90)
        # As a GUI client connects: TCP to 127.0.0.1, the embedded server's trust auth.
        with psycopg.connect(
            host="127.0.0.1", port=pg_port, user="postgres", dbname=target.EMBEDDED_DATABASE
        ) as conn:
            assert conn.execute("select count(*) from wallet.list_assets()").fetchone() == (0,)
        assert (data_dir / f".s.PGSQL.{pg_port}").is_socket()  # and the socket, as before
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert _postmaster_pid(data_dir) is None
