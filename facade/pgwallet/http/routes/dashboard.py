"""The dashboard at `/`: a static page that talks only to the public HTTP API.

The page and its scripts are plain files in `static/` (no build step, nothing
fetched from elsewhere); everything the page shows comes from `/v1/...` calls
made by the browser, so the dashboard can do exactly what any API client can.
The user to show is part of the address (`/?user=<uuid>`) and read by the page.
"""

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

# The page (and the OpenAPI page) may load and call only its own origin: a slip that would fetch a
# font or a script from the internet is refused by the browser.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


@get("/", media_type=MediaType.HTML, sync_to_thread=False, include_in_schema=False)
def dashboard() -> Response[bytes]:
    """The dashboard page; it reads `?user=<uuid>` itself."""
    return Response(
        (STATIC_DIR / "index.html").read_bytes(),
        media_type=MediaType.HTML,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
    )


routes = [
    dashboard,
    # no-cache: the browser revalidates, so an upgraded server is never paired with old scripts.
    create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="dashboard_static",
        cache_control=CacheControlHeader(no_cache=True),
    ),
]
