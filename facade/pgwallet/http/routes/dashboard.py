"""The dashboard at `/`: a static page that talks only to the public HTTP API.

The page and its scripts are plain files in `static/` (no build step, nothing
fetched from elsewhere); everything the page shows comes from `/v1/...` calls
made by the browser, so the dashboard can do exactly what any API client can.
The user to show is part of the address (`/?user=<uuid>`) and read by the page.
"""

import importlib.util
from pathlib import Path

from litestar import MediaType, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


# The OpenAPI page's renderer (pgwallet/http/schema_page.py): Swagger UI as the
# PyPI package swagger-ui-py ships it (Apache-2.0, pinned in pyproject.toml; an
# upgrade is checked by tests/browser/test_schema_page.py). Found without
# importing the package, whose code (for other frameworks) we do not use; only
# these two files of it are served.
def _swagger_ui_dir() -> Path:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: reinstall pgwallet")
    return Path(spec.submodule_search_locations[0]) / "static"


SWAGGER_UI_DIR = _swagger_ui_dir()
SWAGGER_UI_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
}

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


@get("/static/swagger-ui/{name:str}", sync_to_thread=False, include_in_schema=False)
def swagger_ui(name: FromPath[str]) -> File:
    """One of the two files of Swagger UI that the OpenAPI page loads."""
    if name not in SWAGGER_UI_FILES:
        raise NotFoundException()
    return File(
        SWAGGER_UI_DIR / name,
        content_disposition_type="inline",
        media_type=SWAGGER_UI_FILES[name],
        headers={"Cache-Control": "no-cache"},
    )


routes = [
    dashboard,
    swagger_ui,
    # no-cache: the browser revalidates, so an upgraded server is never paired with old scripts.
    create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="dashboard_static",
        cache_control=CacheControlHeader(no_cache=True),
    ),
]
