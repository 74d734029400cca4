"""The OpenAPI document at /schema/openapi.json: its config, each route's answers, the amount.

`responses(...)` gives a route's documented answers: the success with an
example body, and per error status a problem document example for every code
the route can answer with (503 `unavailable` on every route that reads the
database), its 400 example naming the route's own likeliest mistake.
Operation ids are the handlers' names, short verbs (`list_users`,
`get_balance`, `topup`); pgwallet.http.openapi_finish adds tags and headers.

Litestar documents a union field without its members' constraints, and knows
nothing of an integer read by a type decoder, so the amount (a JSON integer
1 .. 2^63-1 or a digit string) and `limit`, `after`, `wait` (integers) get their
schemas from the small plugin below; clients and schemathesis then see what
is accepted.
"""

from collections import defaultdict
from typing import Any

import msgspec
from litestar import Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components, OpenAPIType, Schema, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from pgwallet.http.auth import BEARER, SCOPE
from pgwallet.http.examples import example, problem_example
from pgwallet.http.paging import is_query_integer
from pgwallet.http.problems import (
    FORBIDDEN,
    INVALID_REQUEST,
    PROBLEM_MEDIA_TYPE,
    UNAUTHORIZED,
    UNAVAILABLE,
    Problem,
    ProblemKind,
)
from pgwallet.http.shapes import Amount
from pgwallet.rules import AMOUNT_PATTERN, BIGINT_MAX

API_VERSION = "1.0.0"


def operation_id(handler: HTTPRouteHandler, _method: Any, _path: Any) -> str:
    """A route's operation id: its handler's name, unless the route names one itself."""
    return handler.handler_name


class FieldSchemas(OpenAPISchemaPlugin):
    """The schemas of `shapes.Amount` and of the `paging.QueryInteger` parameters."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return False  # only the fields matched below

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.raw == Amount or is_query_integer(field_definition.annotation)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        annotation = field_definition.annotation
        if is_query_integer(annotation):
            default = field_definition.default
            return Schema(
                type=OpenAPIType.INTEGER,
                minimum=annotation.minimum,
                maximum=annotation.maximum,
                default=int(default) if isinstance(default, int) else None,
            )
        return Schema(
            one_of=[
                Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=BIGINT_MAX),
                Schema(type=OpenAPIType.STRING, pattern=AMOUNT_PATTERN),
            ],
            description="A whole number of the asset's smallest unit, 1 .. 9223372036854775807: "
            "a JSON integer or a string of digits (no sign, spaces, leading zeros, "
            "fraction or exponent).",
        )


def config(page: OpenAPIRenderPlugin, router: Router) -> OpenAPIConfig:
    """The OpenAPI configuration of one app: `page` rendered by `router` at /schema
    (pgwallet.http.schema_page), the document beside it at /schema/openapi.json."""
    return OpenAPIConfig(
        title="pgwallet",
        version=API_VERSION,
        description="A wallet service for virtual credits: a double-entry ledger in PostgreSQL. "
        "Every route under /v1 needs `Authorization: Bearer <token>` of a client with the route's "
        "scope (operators create clients with `pgwallet clients create`). "
        "Every error is an RFC 9457 problem document (application/problem+json) with a stable "
        "`code`; an unknown route is a 404 `not_found`, a wrong method a 405 `method_not_allowed`.",
        path=router.path,
        operation_id_creator=operation_id,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A client's token, `pgw_...`: "
                    "shown once by `pgwallet clients create`.",
                )
            }
        ),
        render_plugins=[page],
        openapi_router=router,
    )


def responses(
    status: int,
    success: msgspec.Struct,
    *errors: ProblemKind,
    database: bool = True,
    invalid: str | None = None,
) -> dict[int, ResponseSpec]:
    """A route's documented answers: its success and its errors, each with examples;
    `invalid` is the detail of its 400 `invalid_request` example."""
    kinds = [*errors, UNAVAILABLE] if database else list(errors)
    by_status: dict[int, list[ProblemKind]] = defaultdict(list)
    for kind in kinds:
        by_status[kind.status].append(kind)
    documented = {
        status: ResponseSpec(
            data_container=type(success),
            generate_examples=False,
            description="Success",
            examples=[example("success", success)],
        )
    }
    for error_status, group in sorted(by_status.items()):
        documented[error_status] = ResponseSpec(
            data_container=Problem,
            generate_examples=False,
            media_type=PROBLEM_MEDIA_TYPE,
            description=", ".join(f"`{kind.code}`" for kind in group),
            examples=[
                problem_example(kind, invalid if kind is INVALID_REQUEST else None)
                for kind in group
            ],
        )
    return documented


def guarded(
    scope: str,
    status: int,
    success: msgspec.Struct,
    *errors: ProblemKind,
    invalid: str | None = None,
) -> dict[str, Any]:
    """The decorator arguments of a route under /v1 that needs `scope` (see pgwallet.http.auth):
    its `opt`, its OpenAPI security and its documented answers, 401 and 403 included."""
    return {
        "opt": {SCOPE: scope},
        "security": [{BEARER: []}],
        "responses": responses(status, success, UNAUTHORIZED, FORBIDDEN, *errors, invalid=invalid),
    }
