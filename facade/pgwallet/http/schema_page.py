"""The OpenAPI page at /schema: Swagger UI from the package, not from a CDN.

Litestar's render plugins load their renderer (and its fonts) from the
internet, so on an internal network the page stayed blank. This plugin serves
a page of ours (`static/schema.html`, its script `static/schema.js`) that
loads Swagger UI (the pinned PyPI package swagger-ui-py, see routes/dashboard.py)
from the dashboard's routes, under the dashboard's Content-Security-Policy,
which the OpenAPI router sends with its answers.
The document itself stays at /schema/openapi.json.
"""

from typing import Any

from litestar import Request, Router
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin

from pgwallet.http.routes.dashboard import CONTENT_SECURITY_POLICY, STATIC_DIR

PATH = "/schema"
_PAGE = STATIC_DIR / "schema.html"


class SwaggerPage(OpenAPIRenderPlugin):
    """The page at /schema, with no inline script and nothing from elsewhere."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _PAGE.read_bytes()


def router() -> Router:
    """The router of one app that serves the page and the document, under the CSP."""
    return Router(
        PATH,
        route_handlers=[],
        include_in_schema=False,
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY)
        ],
    )
