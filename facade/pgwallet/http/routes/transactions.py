"""The read routes of /v1/transactions: one transaction with its entries, and filtered lists."""

from typing import Annotated, Any
from uuid import UUID

from litestar import get
from litestar.params import FromPath, QueryParameter

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
    INVALID_REQUEST,
    TRANSACTION_NOT_FOUND,
    USER_NOT_FOUND,
)
from pgwallet.http.shapes import ClientRef, Entry, Kind, Transaction, TransactionPage
from pgwallet.http.wording import refused

# wallet.transaction_line: one row per entry, the transaction's fields repeated.
_LINES = (
    "select transaction_id, seq, kind, user_id, asset, amount::text as amount, created_at,"
    " metadata, entry_id, holder, direction, entry_amount::text as entry_amount,"
    " balance_after::text as balance_after, client_id, client_name, sql_user,"
    " counterparty_user_id, reverses, reversed_amount::text as reversed_amount"
)


def _transactions(lines: list[dict[str, Any]]) -> list[Transaction]:
    """Fold the lines into transactions, in the order of their first line."""
    folded: dict[UUID, Transaction] = {}
    for line in lines:
        transaction = folded.get(line["transaction_id"])
        if transaction is None:
            transaction = folded[line["transaction_id"]] = Transaction(
                line["transaction_id"],
                line["kind"],
                line["user_id"],
                line["asset"],
                line["amount"],
                line["created_at"],
                line["metadata"],
                [],
                client=None
                if line["client_id"] is None
                else ClientRef(line["client_id"], line["client_name"]),
                sql_user=line["sql_user"],
                counterparty_user_id=line["counterparty_user_id"],
                reverses=line["reverses"],
                reversed_amount=line["reversed_amount"],
            )
        transaction.entries.append(
            Entry(
                line["entry_id"],
                line["holder"],
                line["direction"],
                line["entry_amount"],
                line["balance_after"],
            )
        )
    return list(folded.values())


@get(
    "/v1/transactions/{transaction_id:str}",
    **guarded(
        "read",
        200,
        examples.TRANSACTION_WITH_ENTRIES,
        INVALID_REQUEST,
        TRANSACTION_NOT_FOUND,
        invalid=refused("transaction_id", "12345"),
    ),
)
async def get_transaction(db: Db, transaction_id: FromPath[UUID]) -> Transaction:
    """One transaction with its two entries (debit first)."""
    lines = await db.rows(_LINES + " from wallet.get_transaction(%s)", [transaction_id])
    (transaction,) = _transactions(lines)
    return transaction


@get(
    "/v1/transactions",
    **guarded(
        "read",
        200,
        TransactionPage([examples.TRANSACTION_WITH_ENTRIES], examples.NEXT),
        INVALID_REQUEST,
        USER_NOT_FOUND,
        ASSET_NOT_FOUND,
        invalid=refused("kind", "refund"),
    ),
)
async def list_transactions(
    read_db: ReadDb,
    user_id: Annotated[
        UUID | None,
        QueryParameter(description="Only this user's (as its user or its counterparty)."),
    ] = None,
    asset: AssetFilter = None,
    kind: Annotated[Kind | None, QueryParameter(description="Only of this kind.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> TransactionPage:
    """Transactions, newest first, optionally of one user, asset and kind."""
    lines = await read_db.rows(
        _LINES + " from wallet.list_transactions(%s, %s, %s, %s, %s)",
        [user_id, asset, kind, limit, read_cursor(cursor, "transaction", bigint)],
    )
    items = _transactions(lines)
    last = lines[-1]["seq"] if lines else None
    return TransactionPage(items, next_cursor("transaction", len(items), limit, last))


routes = [get_transaction, list_transactions]
