"""One structured access-log line per request (with its client), and its X-Request-ID.

Its fields (FIELDS) travel as the record's `extra`, so the JSON formatter
(pgwallet.logs) puts them at the top of the line.

It wraps the whole ASGI handler of the app (`install`), not a route: Litestar's
route middleware never sees an unknown route or a wrong method, and those
must be logged and carry their request id as well.
"""

import logging
import re
import time
import uuid
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pgwallet.http.auth import client_name

logger = logging.getLogger("pgwallet.access")

FIELDS = ("method", "path", "route", "status", "duration_ms", "request_id", "client")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept when it is a sane token; anything else is replaced.
_ACCEPTED_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER and _ACCEPTED_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


class AccessLog:
    """ASGI middleware: echo or create X-Request-ID, then log method, path, status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500  # what the server answers when the app dies before it starts a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields = {
                "method": method,
                "path": scope["path"],
                # The route's template, as the metrics name it (null: no route matched).
                "route": route(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "request_id": request_id,
                # Who called (never the token): set by the auth guard.
                "client": client_name(scope.get("state", {})),
            }
            # The fields go into the JSON line (pgwallet.logs), escaped there; the
            # message reads alone and holds nothing a client wrote (no path).
            logger.info("%s %s %s", method, fields["route"] or "-", status, extra=fields)


def route(scope: Scope) -> str | None:
    """The template of the route that answered (None when no route matched)."""
    handler = scope.get("route_handler")
    return None if handler is None else min(handler.paths)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields of an access log record, as its JSON line carries them."""
    return {name: getattr(record, name) for name in FIELDS}


def install(app: Litestar) -> None:
    """Put the access log around everything the app answers."""
    app.asgi_handler = AccessLog(app.asgi_handler)
