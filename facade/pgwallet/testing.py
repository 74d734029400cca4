"""Helpers for code that runs pgwallet to test or measure it: the tests and the benchmarks.

Here, in the package both of them import, so that the benchmarks need nothing
from the tests (as aiohttp keeps `unused_port` in `aiohttp.test_utils`). The
service itself uses none of it.
"""

import socket
import subprocess
import time
import urllib.request
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Straight to the loopback server, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_until_serving(process: subprocess.Popen[Any], url: str, *, seconds: float) -> None:
    """Wait until `url` (a served pgwallet's health route) answers 200.

    Raises RuntimeError when `process` exits first (with what it printed, if
    that was piped) or after `seconds`.
    """
    deadline = time.monotonic() + seconds
    while process.poll() is None:
        try:
            with _DIRECT.open(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or not ready (an HTTP error)
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {seconds:g} s")
        time.sleep(0.1)
    printed = "\n".join(str(output) for output in process.communicate() if output)
    raise RuntimeError(f"the server exited ({process.returncode}) before {url} answered\n{printed}")
