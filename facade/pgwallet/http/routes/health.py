"""Liveness (`/health`: the process answers) and readiness (`/health/ready`: the database too)."""

from litestar import get

from pgwallet.http.database import Db
from pgwallet.http.openapi import responses
from pgwallet.http.shapes import Status

OK = Status("ok")
# A readiness probe must answer well before an orchestrator's own timeout.
_READY_TIMEOUT_SECONDS = 2.0


@get("/health", sync_to_thread=False, responses=responses(200, OK, database=False))
def health() -> Status:
    """Liveness: the process answers; the database is not consulted."""
    return OK


@get("/health/ready", responses=responses(200, OK))
async def ready(db: Db) -> Status:
    """Readiness: a round trip to the database through the pool (503 `unavailable` if not)."""
    await db.ping(_READY_TIMEOUT_SECONDS)
    return OK


routes = [health, ready]
