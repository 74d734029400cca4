"""Small helpers for tests that call the SQL API."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg.abc import Params, QueryNoTemplate

Conn = psycopg.Connection[dict[str, Any]]
Row = TypeVar("Row")


def one(conn: psycopg.Connection[Row], query: QueryNoTemplate, params: Params | None = None) -> Row:
    """The first row of a query; fails the test if there is none."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, f"no row from {query!r}"
    return row


def key() -> str:
    """A fresh idempotency key."""
    return f"test-{uuid.uuid4()}"


def post(
    conn: Conn,
    kind: str,
    user_id: uuid.UUID,
    asset: str,
    amount: int,
    idempotency_key: str | None = None,
    metadata: str = "{}",
    client_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Call wallet.<kind> with named arguments; return the receipt."""
    assert kind in {"topup", "bonus", "spend"}
    return one(
        conn,
        f"select * from wallet.{kind}(user_id => %s, asset => %s, amount => %s, "
        "idempotency_key => %s, metadata => %s::jsonb, client_id => %s)",
        [
            user_id,
            asset,
            amount,
            key() if idempotency_key is None else idempotency_key,
            metadata,
            client_id,
        ],
    )


def reverse(
    conn: Conn,
    transaction_id: uuid.UUID,
    amount: int | None = None,
    idempotency_key: str | None = None,
    metadata: str = "{}",
    client_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Call wallet.reverse with named arguments; return the receipt."""
    return one(
        conn,
        "select * from wallet.reverse(transaction_id => %s, idempotency_key => %s, amount => %s, "
        "metadata => %s::jsonb, client_id => %s)",
        [
            transaction_id,
            key() if idempotency_key is None else idempotency_key,
            amount,
            metadata,
            client_id,
        ],
    )


def transfer(
    conn: Conn,
    from_user_id: uuid.UUID,
    to_user_id: uuid.UUID,
    asset: str,
    amount: int,
    idempotency_key: str | None = None,
    metadata: str = "{}",
    client_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Call wallet.transfer with named arguments; return the transfer receipt."""
    return one(
        conn,
        "select * from wallet.transfer(from_user_id => %s, to_user_id => %s, asset => %s, "
        "amount => %s, idempotency_key => %s, metadata => %s::jsonb, client_id => %s)",
        [
            from_user_id,
            to_user_id,
            asset,
            amount,
            key() if idempotency_key is None else idempotency_key,
            metadata,
            client_id,
        ],
    )


def create_client(
    conn: Conn,
    scopes: list[str],
    assets: list[str] | None = None,
    max_amount: int | None = None,
) -> dict[str, Any]:
    """A new client with a fresh name, through wallet.create_client (as the owner)."""
    return one(
        conn,
        "select * from wallet.create_client(%s, %s, %s, %s)",
        [f"client-{uuid.uuid4().hex[:12]}", scopes, assets, max_amount],
    )


@contextmanager
def raises_sqlstate(sqlstate: str) -> Iterator[pytest.ExceptionInfo[psycopg.Error]]:
    """Expect a database error with this SQLSTATE."""
    with pytest.raises(psycopg.Error) as info:
        yield info
    assert info.value.sqlstate == sqlstate, f"{info.value.sqlstate}: {info.value}"


def balance(conn: Conn, user_id: uuid.UUID, asset: str) -> int:
    """wallet.balance as an int."""
    return int(one(conn, "select wallet.balance(%s, %s) as b", [user_id, asset])["b"])


def transactions_with_key(conn: Conn, idempotency_key: str) -> int:
    """How many transactions the ledger holds under this idempotency key (as the owner)."""
    row = one(
        conn,
        "select count(*) as n from ledger.transactions where idempotency_key = %s",
        [idempotency_key],
    )
    return int(row["n"])


def verify(conn: Conn) -> dict[str, bool]:
    """wallet.verify() as {check_name: ok}."""
    return {r["check_name"]: r["ok"] for r in conn.execute("select * from wallet.verify()")}


def expire_keys(conn: Conn, idempotency_key: str | None = None) -> None:
    """Move one key (or every key) past its retention, as time would.

    The key table lets nothing but time expire a key (its guard refuses the
    update), so the test steps around the guard as only a superuser can.
    """
    with conn.transaction():
        conn.execute("set local session_replication_role = replica")
        conn.execute(
            "update ledger.idempotency_keys set expires_at = now() - interval '1 second'"
            " where %(key)s::text is null or key = %(key)s",
            {"key": idempotency_key},
        )
