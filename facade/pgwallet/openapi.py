"""The OpenAPI document at /schema/openapi.json: its config and the amount's exact schema.

Litestar documents a union field without its members' constraints, so the
amount (a JSON integer 1 .. 2^63-1 or a digit string) gets its schema from
the small plugin below; clients and schemathesis then see what is accepted.
"""

from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from pgwallet.shapes import AMOUNT_PATTERN, BIGINT_MAX, Amount

API_VERSION = "1.0.0"


class AmountSchema(OpenAPISchemaPlugin):
    """The schema of `shapes.Amount`."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return False  # only the Amount field, matched below

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return bool(field_definition.raw == Amount)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        return Schema(
            one_of=[
                Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=BIGINT_MAX),
                Schema(type=OpenAPIType.STRING, pattern=AMOUNT_PATTERN),
            ],
            description="A whole number of the asset's smallest unit, 1 .. 9223372036854775807: "
            "a JSON integer or a string of digits (no sign, spaces, leading zeros, "
            "fraction or exponent).",
        )


config = OpenAPIConfig(
    title="pgwallet",
    version=API_VERSION,
    description="A wallet service for virtual credits: a double-entry ledger in PostgreSQL. "
    "Every error is an RFC 9457 problem document (application/problem+json) with a stable "
    "`code`; an unknown route is a 404 `not_found`, a wrong method a 405 `method_not_allowed`.",
    path="/schema",
)
