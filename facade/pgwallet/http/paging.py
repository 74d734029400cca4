"""Pages of the list routes: the `limit`, `cursor` and `asset` query parameters.

A cursor is opaque to clients: the URL-safe base64 of `<list>:<keyset value>`
(the last user's id, entry_id or transaction seq of the page), so that a
cursor of one list is refused by another and nobody builds on its inside.
"""

import base64
import binascii
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, TypeVar

from litestar.connection import ASGIConnection
from litestar.enums import ParamType
from litestar.handlers import BaseRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg, QueryParameter

from pgwallet.http import wording
from pgwallet.http.auth import SCOPE
from pgwallet.http.problems import INVALID_REQUEST, ProblemError
from pgwallet.rules import ASSET_CODE_MAX_LENGTH, BIGINT_MAX, PAGE_LIMIT_MAX

T = TypeVar("T")

# 1 to rules.PAGE_LIMIT_MAX (500), as digits: "1e2", "1.0" or "+5" are refused,
# not read as numbers (tests/sql/test_rules.py holds the two equal).
LIMIT_PATTERN = "^(500|[1-4][0-9]{2}|[1-9][0-9]?)$"


class QueryInteger(int):
    """An integer query parameter (or header) read from its digits alone.

    Litestar would read an `int` leniently ("1e2" as 100), so the app reads
    each subclass with `decode_query_integer` (its type decoder), which holds
    the text to the subclass's `pattern` and range; the OpenAPI document shows
    it as the integer it is (pgwallet.http.openapi), and a refusal says the
    rule of the parameter `field` in words (wording.ALLOWED).
    """

    field: ClassVar[str]
    pattern: ClassVar[str]
    minimum: ClassVar[int]
    maximum: ClassVar[int]


class PageLimit(QueryInteger):
    """A page size, 1 to 500."""

    field = "limit"
    pattern = LIMIT_PATTERN
    minimum = 1
    maximum = PAGE_LIMIT_MAX


def is_query_integer(annotation: Any) -> bool:
    """The predicate of the app's type decoder."""
    return isinstance(annotation, type) and issubclass(annotation, QueryInteger)


def decode_query_integer(annotation: type[QueryInteger], value: Any) -> QueryInteger:
    """The parameter from the query string's text; ValueError (a 400) in words if it is
    not one."""
    text = str(value)
    if not re.fullmatch(annotation.pattern, text) or not (
        annotation.minimum <= int(text) <= annotation.maximum
    ):
        raise ValueError(wording.must_be(annotation.field))
    return annotation(text)


DEFAULT_LIMIT = PageLimit(50)
Limit = Annotated[
    PageLimit,
    QueryParameter(description="Page size, 1 to 500 (default 50)."),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Opaque: the `next_cursor` of the previous page (absent for the first page).",
    ),
]

AssetFilter = Annotated[
    str | None,
    QueryParameter(max_length=ASSET_CODE_MAX_LENGTH, description="Only in this asset (its code)."),
]


async def refuse_null(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard: `?user_id=null` is a malformed id, not an absent one.

    Litestar reads an optional query parameter (`UUID | None`, a `Literal | None`)
    sent as the text `null` as absent; a query string has no null, and the
    OpenAPI document says so (pgwallet.http.openapi_finish). Text parameters
    are left alone: `q=null` searches for "null".
    """
    for name, value in connection.query_params.items():
        if value != "null":
            continue
        field = handler.parsed_fn_signature.parameters.get(name)
        if (
            field is not None
            and field.is_optional
            and not any(inner.annotation is str for inner in field.inner_types)
        ):
            raise ProblemError(INVALID_REQUEST, wording.refused(name, value))


# What Litestar fills a handler's parameters of these names with, rather than the query.
_RESERVED = frozenset({"request", "state", "data", "headers", "cookies", "query", "scope", "body"})
_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def query_names(handler: BaseRouteHandler) -> frozenset[str]:
    """The query parameters a handler takes: its parameters that are neither path,
    header nor cookie parameters, dependencies, the body nor Litestar's reserved ones."""
    path = {name for route in handler.paths for name in _PATH_PARAMETER.findall(route)}
    elsewhere = path | set(handler.resolve_dependencies()) | _RESERVED
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name in elsewhere or isinstance(kwarg, BodyKwarg):
            continue
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.param_type in (ParamType.HEADER, ParamType.COOKIE):
                continue
            names.add(kwarg.query or name)
        else:
            names.add(name)
    return frozenset(names)


async def refuse_unknown(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard of the API's routes: a query parameter the route does not take is a 400,
    not ignored. A misspelt filter (`?asset_id=`, `?afer=`) would otherwise answer
    for everything, as if it had not been sent."""
    if SCOPE not in handler.opt:  # the dashboard's files, /schema, /health: not the API
        return
    known = query_names(handler)
    unknown = sorted(set(connection.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) if known else "none"
        raise ProblemError(
            INVALID_REQUEST, f"unknown query parameter {unknown[0]!r}: this route takes {takes}"
        )


def bigint(text: str) -> int:
    """A positive bigint from its digits (ValueError otherwise)."""
    if not text.isdigit() or not 0 < int(text) <= BIGINT_MAX:
        raise ValueError(text)
    return int(text)


def encode_cursor(list_name: str, value: object) -> str:
    """The cursor that continues `list_name` after `value`."""
    return base64.urlsafe_b64encode(f"{list_name}:{value}".encode()).decode().rstrip("=")


def read_cursor(cursor: str | None, list_name: str, parse: Callable[[str], T]) -> T | None:
    """The keyset value of a cursor of `list_name`, None without one; 400 when it is not ours."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        name, _, value = text.partition(":")
        if name != list_name:
            raise ValueError(name)
        return parse(value)
    except (ValueError, binascii.Error):
        raise ProblemError(
            INVALID_REQUEST, f"cursor {cursor!r} is not a cursor of this list"
        ) from None


def next_cursor(list_name: str, count: int, limit: int, last_value: object) -> str | None:
    """The cursor of the next page: none when this page was not full."""
    return encode_cursor(list_name, last_value) if count == limit else None
