"""POST /v1/transactions/{topup,bonus,spend}: the three postings, idempotent by header.

The body is checked strictly before Litestar reads it: Litestar converts
request data leniently (it would take 1.0 or 1e3 for an integer), and an
amount must be exactly a digit string or a JSON integer. Replays are the SQL
API's: the same key and request return the stored receipt (`replayed`), sent
again with 201 and `Idempotent-Replayed: true`.
"""

from typing import Annotated

import msgspec
from litestar import Response, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, HeaderParameter
from psycopg import sql
from psycopg.types.json import Jsonb

from pgwallet.http import examples
from pgwallet.http.auth import POSTING, Caller
from pgwallet.http.database import Db
from pgwallet.http.openapi import guarded
from pgwallet.http.problems import (
    ASSET_FROZEN,
    ASSET_NOT_FOUND,
    BALANCE_OUT_OF_RANGE,
    IDEMPOTENCY_KEY_IN_PROGRESS,
    IDEMPOTENCY_KEY_MISSING,
    IDEMPOTENCY_KEY_REUSED,
    INSUFFICIENT_FUNDS,
    INVALID_REQUEST,
    USER_NOT_FOUND,
    USER_SUSPENDED,
    AnyRequest,
    ProblemError,
    ProblemKind,
)
from pgwallet.http.shapes import Kind, PostingRequest, Receipt
from pgwallet.rules import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name=IDEMPOTENCY_KEY,
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="1 to 255 printable ASCII characters; repeat it to retry the same posting.",
    ),
]


async def check_posting(request: AnyRequest) -> None:
    """Refuse a posting without Idempotency-Key, or whose body is not exactly a PostingRequest."""
    if IDEMPOTENCY_KEY not in request.headers:
        raise ProblemError(
            IDEMPOTENCY_KEY_MISSING,
            "A posting needs an Idempotency-Key header (1-255 printable ASCII).",
        )
    if len(request.headers.getall(IDEMPOTENCY_KEY)) > 1:
        raise ProblemError(
            INVALID_REQUEST, "A posting takes one Idempotency-Key header, not several."
        )
    try:
        msgspec.json.decode(await request.body(), type=PostingRequest, strict=True)
    except msgspec.ValidationError as error:
        raise ProblemError(INVALID_REQUEST, str(error)) from None
    except msgspec.DecodeError:
        raise ProblemError(INVALID_REQUEST, "The body is not valid JSON.") from None


def _posting_route(kind: Kind, summary: str, *errors: ProblemKind) -> HTTPRouteHandler:
    statement = sql.SQL(
        "select transaction_id, kind, user_id, asset, amount::text as amount,"
        " balance::text as balance, created_at, replayed, encode(hash, 'hex') as hash"
        " from wallet.{}(user_id => %s, asset => %s, amount => %s,"
        " idempotency_key => %s, metadata => %s, client_id => %s)"
    ).format(sql.Identifier(kind))
    documented = guarded(
        POSTING,
        201,
        msgspec.structs.replace(examples.RECEIPT, kind=kind),
        INVALID_REQUEST,
        IDEMPOTENCY_KEY_MISSING,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
        IDEMPOTENCY_KEY_REUSED,
        IDEMPOTENCY_KEY_IN_PROGRESS,
        ASSET_FROZEN,
        USER_SUSPENDED,
        BALANCE_OUT_OF_RANGE,
        *errors,
    )

    async def posting(
        db: Db,
        client: Caller,
        idempotency_key: IdempotencyKey,
        data: Annotated[
            PostingRequest, Body(examples=[examples.example("a posting", examples.POSTING)])
        ],
    ) -> Response[Receipt]:
        row = await db.row(
            statement,
            [
                data.user_id,
                data.asset,
                int(data.amount),
                idempotency_key,
                Jsonb(data.metadata),
                client.client_id,
            ],
        )
        headers = {REPLAYED: "true"} if row["replayed"] else {}
        return Response(msgspec.convert(row, Receipt), status_code=201, headers=headers)

    posting.__doc__ = summary
    return post(
        f"/v1/transactions/{kind}",
        name=kind,
        operation_id=kind,
        summary=summary,
        before_request=check_posting,
        status_code=201,
        **documented,
    )(posting)


routes = [
    _posting_route("topup", "Credit a user who bought credits (treasury -> user)."),
    _posting_route("bonus", "Give a user credits for free (treasury -> user)."),
    _posting_route(
        "spend",
        "Take credits from a user who bought something (user -> revenue).",
        INSUFFICIENT_FUNDS,
    ),
]
