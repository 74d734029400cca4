"""An interrupted test run leaves no embedded PostgreSQL behind: stopped by SIGTERM
(a timeout, `kill`, make stopped) or Ctrl-C, pytest tears its session down and the
throwaway server stops with it, as `pgwallet serve` does (test_embedded_server.py)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pgwallet.db import target

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("interrupted_session.py")
_PYTEST = [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider"]


def _server_pids(basetemp: Path) -> list[int]:
    """The postmasters running with a data directory under `basetemp`."""
    return [
        int(pid_file.read_text().split()[0])
        for pid_file in basetemp.glob("**/postmaster.pid")
        if psutil.pid_exists(int(pid_file.read_text().split()[0]))
    ]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stopped_run_stops_its_embedded_server(tmp_path: Path, stop: signal.Signals) -> None:
    basetemp = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != target.DATABASE_URL_ENV}
    run = subprocess.Popen(
        [*_PYTEST, f"--basetemp={basetemp}", str(SESSION)],
        cwd=CHECKOUT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # As in a terminal: a process started in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert run.stdout is not None
        for line in run.stdout:
            if "server up" in line:
                break
        else:
            pytest.fail("the run ended before its server was up")
        (server,) = _server_pids(basetemp)

        run.send_signal(stop)
        output, _ = run.communicate(timeout=60)
    finally:
        run.kill()

    deadline = time.monotonic() + 10
    while psutil.pid_exists(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    left_behind = psutil.pid_exists(server)
    if left_behind:  # this test's failure; it leaves nothing running all the same
        psutil.Process(server).send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
    assert not left_behind, output
    assert run.returncode == pytest.ExitCode.INTERRUPTED, output
