"""GET /metrics in Prometheus text format, with prometheus-client.

What is measured: requests by route, method and status, and their latency
(a histogram); postings by kind and outcome (`posted`, `replayed`, or the
problem code of a refusal); each pool's connections (size, in use, idle) and
the requests waiting for one; the delay between a transaction and the
delivery of its event over HTTP; and, read at each scrape, the database's
commits and rollbacks (counters: the commit rate is their `rate()`).

**Several workers: multiprocess mode.** uvicorn's workers share one port, so
a scrape reaches whichever worker accepts it. Per-worker metrics with a
worker label would answer each scrape with one worker's figures, a different
one each time, and Prometheus would see counters jump back and forth. So
`pgwallet serve --workers N` (N > 1) gives the workers a fresh
PROMETHEUS_MULTIPROC_DIR: each worker writes its metrics to its own files
there, and the worker that answers a scrape sums them all (prometheus-client's
multiprocess mode; gauges are summed over live workers). A worker that stops
cleanly removes its gauges; the counters of a worker that died stay counted,
as they should. One worker, or the app in tests: ordinary in-process metrics.
"""

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import psycopg
from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pgwallet.http import access_log
from pgwallet.http.auth import POSTING, SCOPE
from pgwallet.http.database import Database
from pgwallet.http.problems import PROBLEM_MEDIA_TYPE, ProblemError

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
POOL_SECONDS = 1.0  # how often a worker writes its pools' gauges

REQUESTS = Counter(
    "pgwallet_http_requests",
    "HTTP requests answered, by route (its template), method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "pgwallet_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method (a stream: its whole life).",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POSTINGS = Counter(
    "pgwallet_postings",
    "Postings over HTTP by kind and outcome: posted, replayed, or the problem code.",
    ["kind", "outcome"],
)
POOL_CONNECTIONS = Gauge(
    "pgwallet_pool_connections",
    "Connections of each database pool, by state: in_use or idle (their sum is its size).",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "pgwallet_pool_requests_waiting",
    "Requests waiting for a connection of each pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
EVENT_LAG = Histogram(
    "pgwallet_event_delivery_lag_seconds",
    "From a transaction's creation to the delivery of its event over HTTP (page or stream).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

_UNMATCHED = "unmatched"  # no route: a 404 or a refusal before routing
_PROBLEM_BODY_MAX = 8192  # what is kept of a problem document to read its code


# Route segments named in the plural; the others (topup, capture, release...) are the kind.
_KIND_OF_SEGMENT = {"reversals": "reversal", "holds": "hold"}


def _posting_kind(route: str) -> str:
    """A posting route's kind: its last segment, in the singular (`/v1/holds`: hold)."""
    last = route.rstrip("/").rsplit("/", 1)[-1]
    return _KIND_OF_SEGMENT.get(last, last)


class Metrics:
    """ASGI middleware: count and time each request; classify each posting's outcome."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        started = time.perf_counter()
        status = 500
        replayed = is_problem = False
        problem = bytearray()  # the start of a problem document, to read its code

        async def observe(message: Message) -> None:
            nonlocal status, replayed, is_problem
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                replayed = headers.get(b"idempotent-replayed") == b"true"
                content_type = headers.get(b"content-type", b"")
                is_problem = content_type.startswith(PROBLEM_MEDIA_TYPE.encode())
            elif (
                message["type"] == "http.response.body"
                and is_problem
                and len(problem) < _PROBLEM_BODY_MAX
            ):
                problem.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = access_log.route(scope) or _UNMATCHED
            handler = scope.get("route_handler")
            posts = handler is not None and handler.opt.get(SCOPE) == POSTING
            REQUESTS.labels(route, method, str(status)).inc()
            LATENCY.labels(route, method).observe(time.perf_counter() - started)
            if posts and method == "POST":
                count_posting(_posting_kind(route), _outcome(status, replayed, problem))


def count_posting(kind: str, outcome: str) -> None:
    """One posting's outcome (the middleware counts single postings; a batch, each of its)."""
    POSTINGS.labels(kind, outcome).inc()


def _outcome(status: int, replayed: bool, problem: bytes | bytearray) -> str:
    """posted, replayed, or the problem document's code."""
    if status < 400:
        return "replayed" if replayed else "posted"
    with contextlib.suppress(ValueError):
        code = json.loads(problem).get("code")
        if isinstance(code, str):
            return code
    return f"http_{status}"


def install(app: Litestar) -> None:
    """Measure everything the app answers."""
    app.asgi_handler = Metrics(app.asgi_handler)


def observe_event_lag(created: Iterable[float]) -> None:
    """Record the delivery of events created at these times (epoch seconds)."""
    now = time.time()
    for at in created:
        EVENT_LAG.observe(max(0.0, now - at))


def _write_pool_gauges(name: str, database: Database) -> None:
    stats = database.pool.get_stats()
    size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
    POOL_CONNECTIONS.labels(name, "in_use").set(size - idle)
    POOL_CONNECTIONS.labels(name, "idle").set(idle)
    POOL_WAITING.labels(name).set(stats.get("requests_waiting", 0))


async def _refresh_pools(state: State) -> None:
    while True:
        _write_pool_gauges("primary", state.database)
        if state.read_database is not state.database:
            _write_pool_gauges("read", state.read_database)
        await asyncio.sleep(POOL_SECONDS)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Keep this worker's pool gauges current; remove its gauges when it stops."""
    task = asyncio.create_task(_refresh_pools(app.state), name="pgwallet-pool-metrics")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if MULTIPROCESS:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _DatabaseFigures(Collector):
    """The database's own counters, read once per scrape."""

    def __init__(self, row: dict[str, int] | None) -> None:
        self._row = row

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "pgwallet_database_up",
            "1 when the scrape could read the database.",
            int(bool(self._row)),
        )
        if self._row is not None:
            yield CounterMetricFamily(
                "pgwallet_database_commits",
                "Transactions committed in the database (pg_stat_database.xact_commit).",
                self._row["commits"],
            )
            yield CounterMetricFamily(
                "pgwallet_database_rollbacks",
                "Transactions rolled back in the database (pg_stat_database.xact_rollback).",
                self._row["rollbacks"],
            )


async def _database_figures(database: Database) -> dict[str, int] | None:
    try:
        row = await database.row(
            "select xact_commit as commits, xact_rollback as rollbacks"
            " from pg_stat_database where datname = current_database()"
        )
    except (psycopg.Error, ProblemError):
        return None
    return {"commits": int(row["commits"]), "rollbacks": int(row["rollbacks"])}


@get("/metrics", include_in_schema=False)
async def metrics(state: State) -> Response[bytes]:
    """Every worker's metrics (summed in multiprocess mode) and the database's counters."""
    if MULTIPROCESS:
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
    else:
        workers = REGISTRY
    database = CollectorRegistry()
    database.register(_DatabaseFigures(await _database_figures(state.database)))
    return Response(
        generate_latest(workers) + generate_latest(database), media_type=CONTENT_TYPE_LATEST
    )
