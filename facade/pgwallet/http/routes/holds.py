"""/v1/holds: reserve a user's credits, then capture (spend) or release them (contract section 8).

Hold, capture and release are postings: each needs an Idempotency-Key, and a
replay answers the first status and body again with `Idempotent-Replayed:
true`. The client's scope (`hold`), assets and max_amount are checked by the
SQL, as for every posting.
"""

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, get, post
from litestar.params import Body, FromPath
from psycopg.types.json import Jsonb

from pgwallet.http import examples
from pgwallet.http.auth import POSTING, Caller
from pgwallet.http.database import Db
from pgwallet.http.openapi import guarded
from pgwallet.http.problems import (
    ASSET_FROZEN,
    ASSET_NOT_FOUND,
    CAPTURE_EXCEEDS_HOLD,
    HOLD_NOT_ACTIVE,
    HOLD_NOT_FOUND,
    IDEMPOTENCY_KEY_IN_PROGRESS,
    IDEMPOTENCY_KEY_MISSING,
    IDEMPOTENCY_KEY_REUSED,
    INSUFFICIENT_FUNDS,
    INVALID_REQUEST,
    USER_NOT_FOUND,
    USER_SUSPENDED,
)
from pgwallet.http.routes.postings import RECEIPT, IdempotencyKey, checked_body, posted
from pgwallet.http.shapes import (
    CaptureRequest,
    Hold,
    HoldRequest,
    Receipt,
    ReleaseRequest,
)

# Path parameters are read as strings and converted by the handler's signature,
# so that a malformed id is a 400 `invalid_request`, not an unknown route.
_HOLD = "/v1/holds/{hold_id:str}"

# What each of the three postings of a hold may answer, besides its own errors.
_HOLD_ERRORS = (
    INVALID_REQUEST,
    IDEMPOTENCY_KEY_MISSING,
    IDEMPOTENCY_KEY_REUSED,
    IDEMPOTENCY_KEY_IN_PROGRESS,
    ASSET_FROZEN,
    USER_SUSPENDED,
)

# The columns of a wallet.hold as the API sends them (amounts as text).
HOLD_COLUMNS = (
    "select hold_id, user_id, asset, amount::text as amount,"
    " captured_amount::text as captured_amount, status, expires_at, created_at, replayed"
)

_PLACE = (
    HOLD_COLUMNS + " from wallet.hold(user_id => %s, asset => %s, amount => %s,"
    " idempotency_key => %s, expires_in => make_interval(secs => %s), metadata => %s,"
    " client_id => %s)"
)
_CAPTURE = (
    RECEIPT + " from wallet.capture(hold_id => %s, idempotency_key => %s, amount => %s,"
    " metadata => %s, client_id => %s)"
)
_RELEASE = (
    HOLD_COLUMNS + " from wallet.release(hold_id => %s, idempotency_key => %s, client_id => %s)"
)


@post(
    "/v1/holds",
    status_code=201,
    before_request=checked_body(HoldRequest),
    **guarded(
        POSTING,
        201,
        examples.HOLD,
        *_HOLD_ERRORS,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
        INSUFFICIENT_FUNDS,
    ),
)
async def create_hold(
    db: Db,
    client: Caller,
    idempotency_key: IdempotencyKey,
    data: Annotated[HoldRequest, Body(examples=[examples.example("a hold", examples.NEW_HOLD)])],
) -> Response[Hold]:
    """Reserve credits of a user (available = balance - held); 422 `insufficient_funds` if
    fewer are available. The hold expires by itself after `expires_in_seconds`."""
    params = [
        data.user_id,
        data.asset,
        int(data.amount),
        idempotency_key,
        data.expires_in_seconds,
        Jsonb(data.metadata),
        client.client_id,
    ]
    return await posted(db, _PLACE, params, Hold)


@get(_HOLD, **guarded("read", 200, examples.HOLD, INVALID_REQUEST, HOLD_NOT_FOUND))
async def get_hold(db: Db, hold_id: FromPath[UUID]) -> Hold:
    """One hold: `held`, `captured` (with `captured_amount`), `released` or `expired`."""
    row = await db.row(HOLD_COLUMNS + " from wallet.get_hold(%s)", [hold_id])
    return msgspec.convert(row, Hold)


@post(
    f"{_HOLD}/capture",
    status_code=201,
    before_request=checked_body(CaptureRequest, optional=True),
    **guarded(
        POSTING,
        201,
        examples.RECEIPT,
        *_HOLD_ERRORS,
        HOLD_NOT_FOUND,
        HOLD_NOT_ACTIVE,
        CAPTURE_EXCEEDS_HOLD,
    ),
)
async def capture_hold(
    db: Db,
    client: Caller,
    idempotency_key: IdempotencyKey,
    hold_id: FromPath[UUID],
    data: Annotated[
        CaptureRequest | None,
        Body(examples=[examples.example("a partial capture", examples.CAPTURE)]),
    ] = None,
) -> Response[Receipt]:
    """Spend `amount` of the hold (by default all of it; the rest is released): 201 with
    the spend's receipt. 409 `hold_not_active` once captured, released or expired. The body
    is optional: none captures the whole hold."""
    data = data or CaptureRequest()
    params = [
        hold_id,
        idempotency_key,
        None if data.amount is None else int(data.amount),
        Jsonb(data.metadata),
        client.client_id,
    ]
    return await posted(db, _CAPTURE, params, Receipt)


@post(
    f"{_HOLD}/release",
    status_code=200,
    before_request=checked_body(ReleaseRequest, optional=True),
    **guarded(
        POSTING,
        200,
        msgspec.structs.replace(examples.HOLD, status="released"),
        *_HOLD_ERRORS,
        HOLD_NOT_FOUND,
        HOLD_NOT_ACTIVE,
    ),
)
async def release_hold(
    db: Db, client: Caller, idempotency_key: IdempotencyKey, hold_id: FromPath[UUID]
) -> Response[Hold]:
    """Free the whole hold: 200 with the hold, now `released`. No body (or `{}`)."""
    params = [hold_id, idempotency_key, client.client_id]
    return await posted(db, _RELEASE, params, Hold, status=200)


routes = [create_hold, get_hold, capture_hold, release_hold]
