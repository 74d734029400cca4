"""Helpers for code that runs pgwallet to test or measure it: the tests and the benchmarks.

Here, in the package both of them import, so that the benchmarks need nothing
from the tests (as aiohttp keeps `unused_port` in `aiohttp.test_utils`). The
service itself uses none of it.
"""

import socket


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
