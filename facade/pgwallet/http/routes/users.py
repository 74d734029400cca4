"""The /v1/users routes: users, their balances and their history."""

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import get, post
from litestar.params import Body, FromPath, QueryParameter

from pgwallet.http import examples
from pgwallet.http.database import Db, ReadDb
from pgwallet.http.openapi import guarded
from pgwallet.http.paging import (
    DEFAULT_LIMIT,
    AssetFilter,
    Cursor,
    Limit,
    bigint,
    next_cursor,
    read_cursor,
)
from pgwallet.http.problems import (
    ASSET_NOT_FOUND,
    EMAIL_TAKEN,
    INVALID_REQUEST,
    USER_NOT_FOUND,
)
from pgwallet.http.routes.holds import HOLD_COLUMNS
from pgwallet.http.shapes import (
    AssetBalance,
    Balance,
    Balances,
    HistoryItem,
    HistoryPage,
    Hold,
    HoldList,
    NewUser,
    User,
    UserPage,
)
from pgwallet.http.wording import refused

# Path parameters are read as strings and converted by the handler's signature,
# so that a malformed id is a 400 `invalid_request`, not an unknown route.
_USER = "/v1/users/{user_id:str}"

_BAD_USER_ID = refused("user_id", "alice")

# The columns of a wallet.balance_line as the API sends them (amounts as text).
_BALANCE_COLUMNS = (
    "select asset, balance::text as balance, held::text as held, available::text as available"
)

Search = Annotated[
    str | None,
    QueryParameter(max_length=200, description="Part of a name or email, any case."),
]


@get(
    "/v1/users",
    **guarded(
        "read",
        200,
        UserPage([examples.USER], examples.NEXT),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        invalid=refused("limit", "0"),
    ),
)
async def list_users(
    read_db: ReadDb, q: Search = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> UserPage:
    """Users in order of creation, optionally those whose name or email contains `q`."""
    rows = await read_db.rows(
        "select id, name, email, status, created_at from wallet.list_users(%s, %s, %s)",
        [q, limit, read_cursor(cursor, "user", UUID)],
    )
    users = msgspec.convert(rows, list[User])
    return UserPage(users, next_cursor("user", len(users), limit, users[-1].id if users else None))


@post(
    "/v1/users",
    status_code=201,
    **guarded("users", 201, examples.USER, INVALID_REQUEST, EMAIL_TAKEN, invalid=refused("email")),
)
async def create_user(
    db: Db,
    data: Annotated[NewUser, Body(examples=[examples.example("a new user", examples.NEW_USER)])],
) -> User:
    """Create an active user (409 `email_taken` if another has the email, in any case)."""
    created = await db.row("select wallet.create_user(%s, %s) as id", [data.name, data.email])
    return await _user(db, created["id"])


@get(
    _USER,
    **guarded("read", 200, examples.USER, INVALID_REQUEST, USER_NOT_FOUND, invalid=_BAD_USER_ID),
)
async def get_user(db: Db, user_id: FromPath[UUID]) -> User:
    """One user."""
    return await _user(db, user_id)


async def _user(db: Db, user_id: UUID) -> User:
    row = await db.row(
        "select id, name, email, status, created_at from wallet.get_user(%s)", [user_id]
    )
    return msgspec.convert(row, User)


@get(
    f"{_USER}/balances",
    **guarded(
        "read",
        200,
        Balances(examples.ALICE, [Balance("gold_coins", "1000", "50", "950")]),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        invalid=_BAD_USER_ID,
    ),
)
async def get_balances(read_db: ReadDb, user_id: FromPath[UUID]) -> Balances:
    """A user's balances: every active asset (0 where they hold none) and every other they hold;
    each with what the user's active holds reserve (`held`) and the rest (`available`)."""
    rows = await read_db.rows(_BALANCE_COLUMNS + " from wallet.balances(%s)", [user_id])
    return Balances(user_id, msgspec.convert(rows, list[Balance]))


@get(
    f"{_USER}/balances/{{asset:str}}",
    **guarded(
        "read",
        200,
        AssetBalance(examples.ALICE, "gold_coins", "1000", "50", "950"),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
        invalid=_BAD_USER_ID,
    ),
)
async def get_balance(
    read_db: ReadDb, user_id: FromPath[UUID], asset: FromPath[str]
) -> AssetBalance:
    """A user's balance in one asset (0 when they hold none), `held` and `available`."""
    row = await read_db.row(_BALANCE_COLUMNS + " from wallet.balances(%s, %s)", [user_id, asset])
    return AssetBalance(user_id, asset, row["balance"], row["held"], row["available"])


@get(
    f"{_USER}/holds",
    **guarded(
        "read",
        200,
        HoldList([examples.HOLD]),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
    ),
)
async def get_active_holds(
    read_db: ReadDb, user_id: FromPath[UUID], asset: AssetFilter = None
) -> HoldList:
    """A user's holds that reserve credits now (held, not expired), soonest to expire first."""
    rows = await read_db.rows(HOLD_COLUMNS + " from wallet.active_holds(%s, %s)", [user_id, asset])
    return HoldList(msgspec.convert(rows, list[Hold]))


@get(
    f"{_USER}/transactions",
    **guarded(
        "read",
        200,
        HistoryPage([examples.HISTORY_ITEM], examples.NEXT),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
        invalid=refused("limit", "1000"),
    ),
)
async def get_history(
    read_db: ReadDb,
    user_id: FromPath[UUID],
    asset: AssetFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> HistoryPage:
    """A user's entries, newest first, optionally in one asset."""
    rows = await read_db.rows(
        "select entry_id, transaction_id, kind, asset, direction, amount::text as amount,"
        " balance_after::text as balance_after, created_at, metadata, counterparty_user_id,"
        " reverses, reversed_amount::text as reversed_amount"
        " from wallet.history(%s, %s, %s, %s)",
        [user_id, asset, limit, read_cursor(cursor, "entry", bigint)],
    )
    items = msgspec.convert(rows, list[HistoryItem])
    last = items[-1].entry_id if items else None
    return HistoryPage(items, next_cursor("entry", len(items), limit, last))


routes = [
    list_users,
    create_user,
    get_user,
    get_balances,
    get_balance,
    get_active_holds,
    get_history,
]
