"""The postings, idempotent by header: POST /v1/transactions/{topup,bonus,spend}, a
transfer (POST /v1/transactions/transfer) and a reversal
(POST /v1/transactions/{transaction_id}/reversals).

The body is checked strictly before Litestar reads it: Litestar converts
request data leniently (it would take 1.0 or 1e3 for an integer), and an
amount must be exactly a digit string or a JSON integer. Replays are the SQL
API's: the same key and request return the stored receipt (`replayed`), sent
again with 201 and `Idempotent-Replayed: true`.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Response, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, FromPath, HeaderParameter
from psycopg import sql
from psycopg.types.json import Jsonb

from pgwallet.http import examples, wording
from pgwallet.http.auth import POSTING, Caller
from pgwallet.http.coalescing import Posting
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
    NOT_JSON_DETAIL,
    NOT_REVERSIBLE,
    REVERSAL_EXCEEDS_ORIGINAL,
    TRANSACTION_NOT_FOUND,
    USER_NOT_FOUND,
    USER_SUSPENDED,
    AnyRequest,
    ProblemError,
)
from pgwallet.http.shapes import (
    PostingKind,
    PostingRequest,
    Receipt,
    ReversalRequest,
    TransferReceipt,
    TransferRequest,
)
from pgwallet.http.wording import refused
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


# The errors every posting may answer, besides its own.
_POSTING_ERRORS = (
    INVALID_REQUEST,
    IDEMPOTENCY_KEY_MISSING,
    USER_NOT_FOUND,
    IDEMPOTENCY_KEY_REUSED,
    IDEMPOTENCY_KEY_IN_PROGRESS,
    ASSET_FROZEN,
    USER_SUSPENDED,
    BALANCE_OUT_OF_RANGE,
    INSUFFICIENT_FUNDS,
)

# A receipt's columns, amounts as text and the hash as hex.
RECEIPT = (
    "select transaction_id, kind, user_id, asset, amount::text as amount,"
    " balance::text as balance, created_at, replayed, encode(hash, 'hex') as hash"
)


def checked_body(
    shape: type[msgspec.Struct], *, optional: bool = False
) -> Callable[[AnyRequest], Awaitable[None]]:
    """A before_request hook: refuse a posting without Idempotency-Key, or whose body is not
    exactly a `shape` (a route whose body is `optional` takes none too)."""
    fields = [field.name for field in msgspec.structs.fields(shape)]  # named when one is unknown

    async def check(request: AnyRequest) -> None:
        if IDEMPOTENCY_KEY not in request.headers:
            raise ProblemError(
                IDEMPOTENCY_KEY_MISSING,
                "A posting needs an Idempotency-Key header (1-255 printable ASCII).",
            )
        if len(request.headers.getall(IDEMPOTENCY_KEY)) > 1:
            raise ProblemError(
                INVALID_REQUEST, "A posting takes one Idempotency-Key header, not several."
            )
        body = await request.body()
        if optional and not body:
            return
        try:
            msgspec.json.decode(body, type=shape, strict=True)
        except msgspec.ValidationError as error:
            raise ProblemError(
                INVALID_REQUEST, wording.explain(None, str(error), fields=fields)
            ) from None
        except msgspec.DecodeError:
            raise ProblemError(INVALID_REQUEST, NOT_JSON_DETAIL) from None

    return check


Shape = TypeVar("Shape", bound=msgspec.Struct)


async def posted(
    db: Db,
    statement: str | sql.Composed,
    params: Sequence[Any],
    shape: type[Shape],
    status: int = 201,
) -> Response[Shape]:
    """Post, and answer with the receipt (see _answer)."""
    return _answer(await db.row(statement, params), shape, status)


def _answer(row: Mapping[str, Any], shape: type[Shape], status: int = 201) -> Response[Shape]:
    """`status` with the receipt; a replay says so in Idempotent-Replayed."""
    headers = {REPLAYED: "true"} if row["replayed"] else {}
    return Response(msgspec.convert(row, shape), status_code=status, headers=headers)


def _posting_route(kind: PostingKind, summary: str) -> HTTPRouteHandler:
    statement = sql.SQL(
        RECEIPT + " from wallet.{}(user_id => %s, asset => %s, amount => %s,"
        " idempotency_key => %s, metadata => %s, client_id => %s)"
    ).format(sql.Identifier(kind))
    # Only a spend takes from the user, so only a spend answers insufficient_funds.
    errors = [e for e in _POSTING_ERRORS if kind == "spend" or e is not INSUFFICIENT_FUNDS]
    documented = guarded(
        POSTING,
        201,
        msgspec.structs.replace(examples.RECEIPT, kind=kind),
        *errors,
        ASSET_NOT_FOUND,
        invalid=refused("amount"),
    )

    async def posting(
        poster: Posting,
        idempotency_key: IdempotencyKey,
        data: Annotated[
            PostingRequest, Body(examples=[examples.example("a posting", examples.POSTING)])
        ],
    ) -> Response[Receipt]:
        params = [
            data.user_id,
            data.asset,
            int(data.amount),
            idempotency_key,
            Jsonb(data.metadata),
            poster.client.client_id,
        ]
        # With others of its client that arrive meanwhile, as one batch (pgwallet.http.coalescing).
        together = {
            "kind": kind,
            "user_id": str(data.user_id),
            "asset": data.asset,
            "amount": int(data.amount),
            "idempotency_key": idempotency_key,
            "metadata": data.metadata,
        }
        row = await poster.post(together, statement, params)
        return _answer(row, Receipt)

    posting.__doc__ = summary
    return post(
        f"/v1/transactions/{kind}",
        name=kind,
        operation_id=kind,
        summary=summary,
        before_request=checked_body(PostingRequest),
        status_code=201,
        **documented,
    )(posting)


_TRANSFER = (
    "select transaction_id, kind, from_user_id, to_user_id, asset, amount::text as amount,"
    " from_balance::text as from_balance, to_balance::text as to_balance, created_at, replayed,"
    " encode(from_hash, 'hex') as from_hash, encode(to_hash, 'hex') as to_hash"
    " from wallet.transfer(from_user_id => %s, to_user_id => %s, asset => %s, amount => %s,"
    " idempotency_key => %s, metadata => %s, client_id => %s)"
)


@post(
    "/v1/transactions/transfer",
    operation_id="transfer",
    before_request=checked_body(TransferRequest),
    status_code=201,
    **guarded(
        POSTING,
        201,
        examples.TRANSFER_RECEIPT,
        *_POSTING_ERRORS,
        ASSET_NOT_FOUND,
        invalid=refused("to_user_id", "bob"),
    ),
)
async def transfer(
    db: Db,
    client: Caller,
    idempotency_key: IdempotencyKey,
    data: Annotated[
        TransferRequest, Body(examples=[examples.example("a gift", examples.TRANSFER)])
    ],
) -> Response[TransferReceipt]:
    """Move credits from one user to another (from_user_id -> to_user_id).

    Both users must be active and differ; the sender never goes below 0."""
    params = [
        data.from_user_id,
        data.to_user_id,
        data.asset,
        int(data.amount),
        idempotency_key,
        Jsonb(data.metadata),
        client.client_id,
    ]
    return await posted(db, _TRANSFER, params, TransferReceipt)


_REVERSAL = (
    RECEIPT + " from wallet.reverse(transaction_id => %s, idempotency_key => %s,"
    " amount => %s, metadata => %s, client_id => %s)"
)


@post(
    "/v1/transactions/{transaction_id:str}/reversals",
    operation_id="reverse",
    before_request=checked_body(ReversalRequest),
    status_code=201,
    **guarded(
        POSTING,
        201,
        msgspec.structs.replace(examples.RECEIPT, kind="reversal", balance="970"),
        *_POSTING_ERRORS,
        TRANSACTION_NOT_FOUND,
        REVERSAL_EXCEEDS_ORIGINAL,
        NOT_REVERSIBLE,
        invalid=refused("transaction_id", "12345"),
    ),
)
async def reverse(
    db: Db,
    client: Caller,
    transaction_id: FromPath[UUID],
    idempotency_key: IdempotencyKey,
    data: Annotated[
        ReversalRequest, Body(examples=[examples.example("a partial refund", examples.REVERSAL)])
    ],
) -> Response[Receipt]:
    """Undo all or part of a transaction: a refund of a spend, a clawback of a topup or
    bonus, a transfer sent back. Without an amount, all that is left of it.

    The receipt names the user whose wallet changed (for a transfer, the receiver)."""
    params = [
        transaction_id,
        idempotency_key,
        None if data.amount is None else int(data.amount),
        Jsonb(data.metadata),
        client.client_id,
    ]
    return await posted(db, _REVERSAL, params, Receipt)


routes = [
    _posting_route("topup", "Credit a user who bought credits (treasury -> user)."),
    _posting_route("bonus", "Give a user credits for free (treasury -> user)."),
    _posting_route("spend", "Take credits from a user who bought something (user -> revenue)."),
    transfer,
    reverse,
]
