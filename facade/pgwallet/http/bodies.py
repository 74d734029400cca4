"""Request bodies the app refuses before any handler decodes them.

A guard (so it runs for every route, after authentication) that reads a POST
body once and refuses, as 400 `invalid_request`:

* a body that repeats a key (`{"amount": "1", "amount": "2"}`): JSON parsers
  disagree on which one wins, so a proxy or a log may read another request
  than the one that posts;
* a body nested deeper than MAX_DEPTH: the decoders recurse, and a few
  thousand brackets made them fail with a RecursionError (a 500);
* a client that disconnects before its body ended (not an error of ours:
  answered 400, which nobody reads, and logged as an ordinary request).

Bodies are also bounded in size (REQUEST_MAX_BODY_BYTES, the app's
request_max_body_size): metadata is at most 16 KiB (sql/20_rules.sql).
"""

import json
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import InternalServerException
from litestar.handlers import BaseRouteHandler

from pgwallet.http.problems import INVALID_REQUEST, ProblemError

# Deeper than any body of the API needs (metadata nests at most 32 levels).
MAX_DEPTH = 64
# A posting with the largest metadata fits many times over.
REQUEST_MAX_BODY_BYTES = 256 * 1024


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise ProblemError(INVALID_REQUEST, f"The body repeats the key {', '.join(repeated)}.")
    return dict(pairs)


def _depth(value: Any) -> int:
    """How deep a decoded JSON value nests, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
    return deepest


async def check_json_body(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard: refuse a POST body with a repeated key, or nested too deep."""
    if not isinstance(connection, Request) or connection.method != "POST":
        return
    try:
        body = await connection.body()
    except InternalServerException:
        # Litestar's word for a client gone before its body ended.
        raise ProblemError(
            INVALID_REQUEST, "The client disconnected before its body ended."
        ) from None
    if not body:
        return
    try:
        too_deep = _depth(json.loads(body, object_pairs_hook=_no_duplicates)) > MAX_DEPTH
    except ValueError:
        return  # not JSON at all: the route's own decoding says so, in its words
    except RecursionError:
        too_deep = True
    if too_deep:
        raise ProblemError(INVALID_REQUEST, f"The body nests deeper than {MAX_DEPTH} levels.")
