"""The SQL of every call the harness makes, as text a DBA can paste into psql.

Values are inlined as plain literals (psycopg quotes the strings), so the same
text is both what the SQL driver runs and what a failing example prints:
there is one rendering of a call, never a second one for display.
"""

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import sql

from tests.properties.model import Request


@dataclass(frozen=True)
class Interval:
    """A number of seconds, written as an interval."""

    seconds: int


def literal(value: Any) -> str:
    """A value as psql reads it: uuids and JSON as quoted strings, ints bare, lists as arrays,
    intervals as `interval 'N seconds'`, None as null."""
    if isinstance(value, Interval):
        return f"interval '{value.seconds} seconds'"
    if isinstance(value, UUID):
        value = str(value)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    elif isinstance(value, list):
        return f"array[{', '.join(literal(item) for item in value)}]::text[]"
    return sql.Literal(value).as_string(None)


def call(function: str, **arguments: Any) -> str:
    """`select * from wallet.<function>(name => value, ...);` with named arguments."""
    named = ", ".join(f"{name} => {literal(value)}" for name, value in arguments.items())
    return f"select * from wallet.{function}({named});"


def posting(key: str, request: Request, client_id: UUID | None = None) -> str:
    """A posting (a hold, capture or release too); a client's carries its id (a direct SQL
    call's has none)."""
    client = {"client_id": client_id} if client_id else {}
    if request.kind == "hold":
        return call(
            "hold",
            user_id=request.user_id,
            asset=request.asset,
            amount=request.amount,
            idempotency_key=key,
            expires_in=Interval(request.expires_in or 0),
            metadata=request.metadata,
            **client,
        )
    if request.kind == "capture":
        return call(
            "capture",
            hold_id=request.hold_id,
            idempotency_key=key,
            amount=request.amount,
            metadata=request.metadata,
            **client,
        )
    if request.kind == "release":
        return call("release", hold_id=request.hold_id, idempotency_key=key, **client)
    if request.kind == "reversal":
        return call(
            "reverse",
            transaction_id=request.reverses,
            idempotency_key=key,
            amount=request.amount,
            metadata=request.metadata,
            **client,
        )
    parties = (
        {"from_user_id": request.user_id, "to_user_id": request.to_user_id}
        if request.kind == "transfer"
        else {"user_id": request.user_id}
    )
    return call(
        request.kind,
        **parties,
        asset=request.asset,
        amount=request.amount,
        idempotency_key=key,
        metadata=request.metadata,
        **client,
    )


def batch(sends: list[tuple[str, Request]], client_id: UUID | None = None) -> str:
    """A batch of topups, bonuses and spends, as wallet.post_batch takes it."""
    client = {"client_id": client_id} if client_id else {}
    postings = [
        {
            "kind": request.kind,
            "user_id": str(request.user_id),
            "asset": request.asset,
            "amount": request.amount,
            "idempotency_key": key,
            "metadata": request.metadata,
        }
        for key, request in sends
    ]
    return call("post_batch", postings=json.dumps(postings), **client)


def create_client(
    name: str, scopes: list[str], assets: list[str] | None, max_amount: int | None
) -> str:
    return call("create_client", name=name, scopes=scopes, assets=assets, max_amount=max_amount)


def revoke_client(client_id: UUID) -> str:
    return call("revoke_client", client_id=client_id)


def create_user(name: str, email: str, user_id: UUID) -> str:
    return call("create_user", name=name, email=email, id=user_id)


def create_asset(code: str, name: str) -> str:
    return call("create_asset", code=code, name=name)


def set_asset_status(code: str, status: str) -> str:
    return call("set_asset_status", code=code, status=status)


def set_user_status(user_id: UUID, status: str) -> str:
    return call("set_user_status", user_id=user_id, status=status)


def balances(user_id: UUID) -> str:
    return call("balances", user_id=user_id)
