"""What a client generator needs of the OpenAPI document beyond what Litestar generates.

Litestar builds the document from the routes (pgwallet.http.openapi gives it
each route's answers); `finish(app)` then adds, once per app, what its
generation has no place for:

* each operation's tag, the name of its module in pgwallet.http.routes
  (`users`, `postings`...), described by the module's first docstring line,
  so that generated clients group their functions as the API does;
* the response headers: `X-Request-ID` on every answer, `Idempotent-Replayed`
  on the success of a route that takes an Idempotency-Key, and the headers of
  the problem kinds an error response documents (`Retry-After`,
  `WWW-Authenticate`), read from the kinds themselves (ProblemKind);
* optional query parameters without Litestar's `null` alternative (a query
  string has no null: a parameter is there or not), so that a generator
  makes each an optional argument of one type, not a union of wrappers;
* `additionalProperties: false` on the bodies that refuse unknown fields
  (msgspec's `forbid_unknown_fields`), so that a client knows before sending.
"""

import dataclasses
import inspect
import sys
from collections.abc import Sequence

import msgspec
from litestar import Litestar
from litestar.openapi.spec import (
    Example,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    Tag,
)
from litestar.routes import HTTPRoute

from pgwallet.http import problems, shapes
from pgwallet.http.routes.postings import IDEMPOTENCY_KEY, REPLAYED

_ROUTES_PACKAGE = "pgwallet.http.routes."

_STRING = Schema(type=OpenAPIType.STRING)
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = OpenAPIHeader(
    schema=_STRING,
    description="The request's id: the X-Request-ID the caller sent (a token of up to 128 "
    "letters, digits and ._:-), else a new one. The request's log line carries it.",
)
_IDEMPOTENT_REPLAYED = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, enum=["true"]),
    description="`true` when this answer is the stored one of an earlier request with the "
    "same Idempotency-Key: nothing was posted again. Absent on a first posting.",
)
# The headers a problem kind may carry (ProblemKind.retry_after, ProblemKind.headers).
_PROBLEM_HEADERS = {
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        description="Seconds to wait before retrying the same request (same Idempotency-Key).",
    ),
    "WWW-Authenticate": OpenAPIHeader(
        schema=_STRING, description="`Bearer`: the API takes a client's bearer token."
    ),
}
_KINDS = {
    kind.code: kind for kind in vars(problems).values() if isinstance(kind, problems.ProblemKind)
}


def _ref(name: str) -> Reference:
    return Reference(ref=f"#/components/headers/{name}")


def _problem_headers(codes: list[str]) -> dict[str, Reference]:
    headers: dict[str, Reference] = {}
    for code in codes:
        if (kind := _KINDS.get(code)) is None:
            continue
        names = [name for name, _ in kind.headers]
        for name in [*names, *(["Retry-After"] if kind.retry_after else [])]:
            headers[name] = _ref(name)
    return headers


def _documented_codes(response: OpenAPIResponse) -> list[str]:
    """The problem codes an error response documents: its examples' summaries."""
    return [
        example.summary
        for media in (response.content or {}).values()
        for example in (media.examples or {}).values()
        if isinstance(example, Example) and example.summary
    ]


def _without_null(schema: Schema) -> None:
    """Drop the `null` alternative of an optional parameter's schema, in place."""
    if schema.one_of:
        kept = [
            each
            for each in schema.one_of
            if not (isinstance(each, Schema) and each.type == OpenAPIType.NULL)
        ]
        if len(kept) == 1 and isinstance(kept[0], Schema):
            for field in dataclasses.fields(Schema):
                if getattr(schema, field.name) is None:
                    setattr(schema, field.name, getattr(kept[0], field.name))
            schema.one_of = None
    if isinstance(schema.type, Sequence) and not isinstance(schema.type, str):
        types = [each for each in schema.type if each != OpenAPIType.NULL]
        schema.type = types[0] if len(types) == 1 else types
    if schema.enum:
        schema.enum = [value for value in schema.enum if value is not None]


def _parameters(operation: Operation) -> None:
    for parameter in operation.parameters or []:
        if (
            isinstance(parameter, Parameter)
            and not parameter.required
            and isinstance(parameter.schema, Schema)
        ):
            _without_null(parameter.schema)


def _headers(operation: Operation) -> None:
    takes_key = any(
        isinstance(parameter, Parameter) and parameter.name == IDEMPOTENCY_KEY
        for parameter in operation.parameters or []
    )
    for status, response in (operation.responses or {}).items():
        if not isinstance(response, OpenAPIResponse):
            continue
        headers = {REQUEST_ID_HEADER: _ref(REQUEST_ID_HEADER)}
        if status.startswith("2") and takes_key:
            headers[REPLAYED] = _ref(REPLAYED)
        headers |= _problem_headers(_documented_codes(response))
        response.headers = {**(response.headers or {}), **headers}


def _tag(module_name: str) -> Tag:
    module = sys.modules[module_name]
    summary = (inspect.getdoc(module) or "").split("\n", 1)[0]
    return Tag(name=module_name.removeprefix(_ROUTES_PACKAGE), description=summary)


def finish(app: Litestar) -> None:
    """Complete app's OpenAPI document (built here, once, then served as it is)."""
    document = app.openapi_schema
    tags: dict[str, Tag] = {}
    for route in app.routes:
        path_item = (document.paths or {}).get(getattr(route, "path_format", "") or "/")
        if not isinstance(route, HTTPRoute) or path_item is None:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation: Operation | None = getattr(path_item, method.lower(), None)
            if operation is None:
                continue
            module_name = handler.fn.__module__
            if module_name.startswith(_ROUTES_PACKAGE):
                tag = tags.setdefault(module_name, _tag(module_name))
                operation.tags = [tag.name]
            _parameters(operation)
            _headers(operation)
    document.tags = list(tags.values())
    document.components.headers = {
        REQUEST_ID_HEADER: _REQUEST_ID,
        REPLAYED: _IDEMPOTENT_REPLAYED,
        **_PROBLEM_HEADERS,
    }
    for name, schema in (document.components.schemas or {}).items():
        struct = getattr(shapes, name, None)
        if (
            isinstance(struct, type)
            and issubclass(struct, msgspec.Struct)
            and struct.__struct_config__.forbid_unknown_fields
        ):
            schema.additional_properties = False
