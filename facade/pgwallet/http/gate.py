"""What the app refuses before it routes a request: a foreign host, a NUL in the path, a body
that is not JSON.

* Host: a request is served only for a host named in ALLOWED_HOSTS (by
  default the loopback names), so a page on another site cannot reach the
  API through DNS rebinding (a name of its own that resolves to 127.0.0.1).
  Anything else is 400 `invalid_request`, except for the health routes:
  orchestrators probe them by address, and they tell nothing.
* Media type: a POST with a body must send `Content-Type: application/json`,
  else 415 `unsupported_media_type`. A browser sends a cross-origin POST
  without asking the server first only with a "simple" content type
  (text/plain, a form), so refusing those keeps other sites' pages from
  posting, whatever the body holds. A POST with no body (a release) is fine.

Like the access log, this wraps the whole ASGI app, so it holds for unknown
routes too.
"""

from collections.abc import Collection

import msgspec
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from pgwallet.http.problems import (
    INVALID_REQUEST,
    PROBLEM_MEDIA_TYPE,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemKind,
)

ANY_HOST = "*"
JSON = "application/json"
_PROBES = "/health"


def host_name(host: str) -> str:
    """The name of a Host header, without its port or an IPv6 address's brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return length not in (None, "0") or _header(scope, b"transfer-encoding") is not None


class Gate:
    """ASGI middleware: answer 400 for a foreign host, 415 for a POST body that is not JSON."""

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str]) -> None:
        self.app = app
        self.allowed_hosts = {host_name(host) for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            refusal = self._refusal(scope, scope["method"])
            if refusal is not None:
                await self._answer(send, *refusal)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, method: str) -> tuple[ProblemKind, str] | None:
        host = _header(scope, b"host")
        if (
            ANY_HOST not in self.allowed_hosts
            and not scope["path"].startswith(_PROBES)
            and (host is None or host_name(host) not in self.allowed_hosts)
        ):
            return INVALID_REQUEST, f"This server does not serve the host {host!r}."
        if "\x00" in scope["path"]:
            # A file name or an id never holds one; the static files' os.stat would fail.
            return INVALID_REQUEST, "The path holds a NUL character."
        if method == "POST" and _has_body(scope):
            media_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if media_type != JSON:
                return (
                    UNSUPPORTED_MEDIA_TYPE,
                    f"A body must be {JSON}, not {media_type or 'untyped'}.",
                )
        return None

    @staticmethod
    async def _answer(send: Send, kind: ProblemKind, detail: str) -> None:
        body = msgspec.json.encode(kind.document(detail))
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": kind.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def install(app: Litestar, allowed_hosts: Collection[str]) -> None:
    """Put the gate in front of everything the app answers."""
    app.asgi_handler = Gate(app.asgi_handler, allowed_hosts)
