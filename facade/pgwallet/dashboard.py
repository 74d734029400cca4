"""The dashboard at `/`: a page that talks only to the public HTTP API."""

from litestar import MediaType, get


@get("/", media_type=MediaType.HTML, sync_to_thread=False, include_in_schema=False)
def dashboard() -> str:
    """The dashboard page (its full version is being built)."""
    return "<!doctype html><title>pgwallet</title><p>pgwallet: the dashboard is on its way.</p>"


routes = [dashboard]
