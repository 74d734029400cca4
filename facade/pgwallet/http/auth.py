"""Who is calling: the bearer token, the client behind it, the scope a route needs.

Every route under /v1 says which scope it needs (`openapi.guarded(...)` puts it
in the route's `opt`); the guard `authorize` runs before the handler and answers 401
`unauthorized` (with `WWW-Authenticate: Bearer`) without a valid token, 403
`forbidden` without the scope. Routes that name no scope (health, the
dashboard's files, the OpenAPI document) stay open.

A posting needs more than a scope: the asset and the amount may be limited
too. Those rules live once, in SQL (`wallet_internal.authorize`): posting
routes only authenticate here and pass the client's id to the function, which
refuses what the client may not do (PW070/PW071, answered 401/403).

Tokens are looked up with `wallet.authenticate` and the answer is kept per
worker for a few seconds (AUTH_CACHE_SECONDS), so a revocation reaches reads
within that time and postings at once (the SQL checks the client on each).
The cache is keyed by the token's sha256; a token is never logged.
"""

import hashlib
import re
from typing import Any
from uuid import UUID

import msgspec
from cachetools import TTLCache
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler

from pgwallet.http.database import Database
from pgwallet.http.problems import FORBIDDEN, UNAUTHORIZED, ProblemError

SCOPE = "scope"  # the key of a route's `opt` that names the scope it needs
# Posting routes: the SQL checks the kind's scope, the asset and the amount.
POSTING = "posting"
BEARER = "bearer"  # the security scheme's name in the OpenAPI document

# RFC 6750's b64token, after the scheme.
_BEARER = re.compile(r"bearer +([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)
_CACHED_CLIENTS = 10_000


class Client(msgspec.Struct):
    """A caller, as wallet.authenticate returns it."""

    client_id: UUID
    name: str
    scopes: list[str]


class Authenticator:
    """wallet.authenticate, with each answer kept for `ttl_seconds` in this worker."""

    def __init__(self, ttl_seconds: float) -> None:
        self._clients: TTLCache[bytes, Client] = TTLCache(_CACHED_CLIENTS, ttl_seconds)

    async def client(self, database: Database, token: str) -> Client:
        """The client whose token this is; PW070 (401) for an unknown or revoked one."""
        digest = hashlib.sha256(token.encode()).digest()
        if (client := self._clients.get(digest)) is None:
            row = await database.row(
                "select client_id, name, scopes from wallet.authenticate(%s)", [token]
            )
            client = self._clients[digest] = msgspec.convert(row, Client)
        return client


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; 401 without one."""
    if authorization is None:
        raise ProblemError(UNAUTHORIZED, "This route needs a token: Authorization: Bearer <token>.")
    if (match := _BEARER.fullmatch(authorization.strip())) is None:
        raise ProblemError(UNAUTHORIZED, "The Authorization header must be 'Bearer <token>'.")
    return match.group(1)


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard of every route: authenticate the caller and check the route's scope."""
    needed = handler.opt.get(SCOPE)
    if needed is None:
        return
    state = connection.app.state
    token = bearer_token(connection.headers.get("authorization"))
    client = await state.authenticator.client(state.database, token)
    connection.scope["state"]["client"] = client
    if needed != POSTING and needed not in client.scopes:
        raise ProblemError(
            FORBIDDEN,
            f"client {client.name!r} lacks the scope {needed!r}",
            f"Its scopes: {', '.join(client.scopes) or 'none'}.",
        )


def provide_client(request: Request[Any, Any, Any]) -> Client:
    """The `client` dependency: the caller that `authorize` authenticated."""
    client: Client = request.scope["state"]["client"]
    return client


# How a handler asks for its caller: `client: Caller`.
Caller = NamedDependency[Client]


def client_name(scope_state: dict[str, Any]) -> str | None:
    """The authenticated client's name, for the access log (None before or without one)."""
    client = scope_state.get("client")
    return client.name if isinstance(client, Client) else None
