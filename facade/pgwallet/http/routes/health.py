"""Liveness (`/health`: the process answers) and readiness (`/health/ready`: the database too)."""

from litestar import get

from pgwallet.http.database import Db
from pgwallet.http.openapi import responses
from pgwallet.http.shapes import Status

OK = Status("ok")
# A readiness probe must answer well before an orchestrator's own timeout.
_READY_TIMEOUT_SECONDS = 2.0


@get("/health", sync_to_thread=False, responses=responses(200, OK, database=False))
def check_liveness() -> Status:
    """Liveness: the process answers; the database is not consulted."""
    return OK


@get("/health/ready", responses=responses(200, OK))
async def check_readiness(db: Db) -> Status:
    """Readiness: the database is reachable and writable, migrated to this version, and
    `wallet_api` can use it; otherwise 503 `unavailable`, whose detail says which is not."""
    await db.check_ready(_READY_TIMEOUT_SECONDS)
    return OK


routes = [check_liveness, check_readiness]
