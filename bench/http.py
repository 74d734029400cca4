"""The HTTP benchmarks: `pgwallet serve` under wrk over loopback.

wrk (Debian's `wrk` package) drives the load from one thread with a Lua
script that sends each posting with a fresh Idempotency-Key; its C event loop
costs far less CPU per request than the server does, so on two cores it is
not what limits the rate. The facade runs as in production (`pgwallet serve`,
its default pool and log settings); we sample the resident memory of its
processes while wrk runs.
"""

import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.dataset import ASSET
from pgwallet.db import clients
from pgwallet.testing import free_port, wait_until_serving

LUA = Path(__file__).parent / "wrk" / "postings.lua"


@dataclass(frozen=True)
class HttpPoint:
    """One wrk run against the facade."""

    workload: str
    workers: int
    coalesce: bool  # COALESCE_POSTINGS of the facade
    connections: int
    seconds: float
    requests: int
    errors: int  # non-2xx answers and socket errors
    rps: float
    p50_ms: float
    p99_ms: float
    max_rss_mb: float  # the largest resident set of one facade process


def available() -> bool:
    """Whether wrk is installed (`apt-get install wrk`)."""
    return shutil.which("wrk") is not None


@dataclass(frozen=True)
class Served:
    """A running facade: its base URL, its process, and a token of a client that may post."""

    base: str
    root: psutil.Process
    token: str
    coalesce: bool


@contextmanager
def facade(conninfo: str, workers: int, coalesce: bool = True) -> Iterator[Served]:
    """Run `pgwallet serve` on a free port, with a client of its own to post as, with
    concurrent single postings coalesced into batches or not."""
    token = clients.create(conninfo, f"bench-{uuid.uuid4().hex[:12]}", ["all"], None, None).token
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": conninfo,
        "COALESCE_POSTINGS": "on" if coalesce else "off",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pgwallet.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{base}/health/ready", seconds=30)
        yield Served(base, psutil.Process(process.pid), token, coalesce)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _sample_rss(root: psutil.Process, stop: threading.Event, peak: list[float]) -> None:
    while not stop.wait(0.5):
        try:
            processes = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], *(p.memory_info().rss / 2**20 for p in processes))
        except psutil.Error:
            pass


def _found(pattern: str, text: str) -> re.Match[str]:
    """The first match of `pattern` in wrk's output; an error if wrk did not print it."""
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk output lacks {pattern!r}:\n{text}")
    return match


def _ms(text: str, label: str) -> float:
    match = _found(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run(
    served: Served,
    workers: int,
    mode: str,
    connections: int,
    seconds: float,
    users: int,
    run_tag: str,
    delay_ms: float = 0,
) -> HttpPoint:
    """One wrk run of `mode` ("spend" or "mix") with `connections` connections."""
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_sample_rss, args=(served.root, stop, peak))
    sampler.start()
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                str(LUA),
                served.base,
                "--",
                mode,
                str(int(delay_ms)),
                str(users),
                f"{run_tag}-{mode}-{workers}-{connections}-{int(delay_ms)}",
                ASSET,
                served.token,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        stop.set()
        sampler.join()
    out = result.stdout
    requests = int(_found(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return HttpPoint(
        workload=f"http_{mode}" + ("_paced" if delay_ms else ""),
        workers=workers,
        coalesce=served.coalesce,
        connections=connections,
        seconds=seconds,
        requests=requests,
        errors=errors,
        rps=float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(out, "50%"),
        p99_ms=_ms(out, "99%"),
        max_rss_mb=peak[0],
    )
