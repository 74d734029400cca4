"""The HTTP facade (Litestar): each route calls one `wallet.*` function."""

from litestar import Litestar, get

from pgwallet import dashboard


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process answers; the database is not consulted."""
    return {"status": "ok"}


def create_app() -> Litestar:
    """Build the application."""
    return Litestar(route_handlers=[health, *dashboard.routes])
