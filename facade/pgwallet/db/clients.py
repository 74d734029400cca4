"""The operator's side of clients, for `pgwallet clients` and `make run`: SQL calls by name.

The rules (names, scopes, tokens) are wallet.create_client's and its
siblings'; this module only finds a client by its name, since an operator
thinks in names and the functions take ids.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

# The client `make run` signs the dashboard in with.
DEV_CLIENT = "dev"


class ClientError(Exception):
    """What an operator asked cannot be done; the message says why."""


@dataclass(frozen=True)
class NewClient:
    """A client with its token, which is shown this once."""

    client_id: UUID
    name: str
    token: str


def _connect(conninfo: str) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(conninfo, autocommit=True, row_factory=dict_row)


def _id_of(conn: psycopg.Connection[dict[str, Any]], name: str) -> UUID:
    row = conn.execute(
        "select client_id from wallet.list_clients() where name = %s", [name]
    ).fetchone()
    if row is None:
        raise ClientError(f"no client is named {name!r} (pgwallet clients list shows them)")
    client_id: UUID = row["client_id"]
    return client_id


def _new(row: dict[str, Any] | None) -> NewClient:
    assert row is not None, "the function returns one row"
    return NewClient(row["client_id"], row["name"], row["token"])


def create(
    conninfo: str, name: str, scopes: list[str], assets: list[str] | None, max_amount: int | None
) -> NewClient:
    """wallet.create_client."""
    with _connect(conninfo) as conn:
        return _new(
            conn.execute(
                "select * from wallet.create_client(%s, %s, %s, %s)",
                [name, scopes, assets, max_amount],
            ).fetchone()
        )


def listed(conninfo: str) -> list[dict[str, Any]]:
    """wallet.list_clients(): every client, by name, never a token."""
    with _connect(conninfo) as conn:
        return conn.execute("select * from wallet.list_clients()").fetchall()


def revoke(conninfo: str, name: str) -> None:
    """wallet.revoke_client of the client with this name."""
    with _connect(conninfo) as conn:
        conn.execute("select wallet.revoke_client(%s)", [_id_of(conn, name)])


def rotate(conninfo: str, name: str) -> NewClient:
    """wallet.rotate_client_token of the client with this name: its new token."""
    with _connect(conninfo) as conn:
        return _new(
            conn.execute(
                "select * from wallet.rotate_client_token(%s)", [_id_of(conn, name)]
            ).fetchone()
        )


def dev_token(conninfo: str) -> str:
    """A fresh token of the `dev` client (every scope), created on first use.

    Rotated at each start: the link `make run` prints is the only place the
    token appears, and an older one stops working.
    """
    try:
        return rotate(conninfo, DEV_CLIENT).token
    except ClientError:  # no client is named dev yet
        return create(conninfo, DEV_CLIENT, ["all"], None, None).token
