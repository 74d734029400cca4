"""Clients: tokens, scopes, assets and max_amount enforced in SQL; keys, who posted."""

import hashlib
import re
import uuid
from collections.abc import Callable

import pytest

from tests.support import Conn, create_client, key, one, post, raises_sqlstate, verify

KINDS = ["topup", "bonus", "spend"]
SCOPES = ["read", "users", "topup", "bonus", "spend", "reverse", "transfer", "hold", "batch"]


def test_a_new_client_gets_a_random_token_shown_once_and_stored_as_its_hash(conn: Conn) -> None:
    first = create_client(conn, ["read"])
    second = create_client(conn, ["read"])

    # 'pgw_' and 43 base64url characters: 256 bits, and a prefix secret scanners can match.
    assert re.fullmatch(r"pgw_[A-Za-z0-9_-]{43}", first["token"])
    assert first["token"] != second["token"]
    stored = one(conn, "select * from ledger.clients where id = %s", [first["client_id"]])
    assert stored["token_hash"] == hashlib.sha256(first["token"].encode()).digest()
    assert first["token"] not in str(stored)
    listed = conn.execute("select * from wallet.list_clients()").fetchall()
    assert {row["client_id"] for row in listed} >= {first["client_id"], second["client_id"]}
    assert all("token" not in column for row in listed for column in row)


def test_all_means_every_scope_and_each_is_kept_once_in_order(conn: Conn) -> None:
    assert create_client(conn, ["all"])["scopes"] == SCOPES
    assert create_client(conn, ["spend", "read", "spend"])["scopes"] == ["read", "spend"]


@pytest.mark.parametrize(
    ("name", "scopes", "assets", "max_amount", "sqlstate"),
    [
        ("Shop", ["read"], None, None, "PW002"),
        ("-shop", ["read"], None, None, "PW002"),
        ("s" * 64, ["read"], None, None, "PW002"),
        ("shop", [], None, None, "PW002"),
        ("shop", ["read", "mint"], None, None, "PW002"),
        ("shop", ["read"], [], None, "PW002"),
        ("shop", ["read"], ["no_such_asset"], None, "PW011"),
        ("shop", ["read"], None, 0, "PW001"),
    ],
)
def test_a_malformed_client_is_refused(
    conn: Conn,
    name: str,
    scopes: list[str],
    assets: list[str] | None,
    max_amount: int | None,
    sqlstate: str,
) -> None:
    with raises_sqlstate(sqlstate):
        conn.execute(
            "select * from wallet.create_client(%s, %s, %s, %s)", [name, scopes, assets, max_amount]
        )


def test_client_names_are_unique(conn: Conn) -> None:
    name = create_client(conn, ["read"])["name"]
    with raises_sqlstate("PW073"):
        conn.execute("select * from wallet.create_client(%s, %s)", [name, ["read"]])


def test_authenticate_knows_a_token_until_it_is_rotated_or_revoked(conn: Conn, api: Conn) -> None:
    client = create_client(conn, ["read"])
    authenticated = one(api, "select * from wallet.authenticate(%s)", [client["token"]])
    assert (authenticated["client_id"], authenticated["revoked_at"]) == (client["client_id"], None)

    rotated = one(conn, "select * from wallet.rotate_client_token(%s)", [client["client_id"]])
    with raises_sqlstate("PW070"):
        api.execute("select * from wallet.authenticate(%s)", [client["token"]])
    one(api, "select * from wallet.authenticate(%s)", [rotated["token"]])

    revoked = one(conn, "select * from wallet.revoke_client(%s)", [client["client_id"]])
    assert revoked["revoked_at"] is not None
    with raises_sqlstate("PW070") as error:
        api.execute("select * from wallet.authenticate(%s)", [rotated["token"]])
    assert rotated["token"] not in str(error.value)
    with raises_sqlstate("PW070"):
        conn.execute("select * from wallet.rotate_client_token(%s)", [client["client_id"]])
    again = one(conn, "select * from wallet.revoke_client(%s)", [client["client_id"]])
    assert again["revoked_at"] == revoked["revoked_at"]


def test_an_unknown_token_or_client_is_refused(conn: Conn, api: Conn) -> None:
    with raises_sqlstate("PW070"):
        api.execute("select * from wallet.authenticate('pgw_no-such-token')")
    for function in ["revoke_client", "rotate_client_token"]:
        with raises_sqlstate("PW072"):
            conn.execute(f"select * from wallet.{function}(gen_random_uuid())")


@pytest.mark.parametrize("kind", KINDS)
def test_a_posting_needs_its_kinds_scope(
    conn: Conn, api: Conn, user: uuid.UUID, asset: str, kind: str
) -> None:
    post(conn, "topup", user, asset, 100)
    allowed = create_client(conn, [kind])
    others = create_client(conn, [s for s in SCOPES if s != kind])

    receipt = post(api, kind, user, asset, 10, client_id=allowed["client_id"])
    assert receipt["kind"] == kind
    with raises_sqlstate("PW071") as error:
        post(api, kind, user, asset, 10, client_id=others["client_id"])
    assert f"lacks the scope '{kind}'" in str(error.value)


def test_a_client_posts_only_in_its_assets_and_up_to_its_max_amount(
    conn: Conn, api: Conn, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    mine, other = new_asset(), new_asset()
    client = create_client(conn, ["topup"], assets=[mine], max_amount=50)

    assert post(api, "topup", user, mine, 50, client_id=client["client_id"])["balance"] == 50
    with raises_sqlstate("PW071") as error:
        post(api, "topup", user, other, 1, client_id=client["client_id"])
    assert f"may not post in asset '{other}'" in str(error.value)
    with raises_sqlstate("PW071") as error:
        post(api, "topup", user, mine, 51, client_id=client["client_id"])
    assert "at most 50" in str(error.value)


def test_a_revoked_client_is_refused_at_once_even_a_replay(
    conn: Conn, api: Conn, user: uuid.UUID, asset: str
) -> None:
    client = create_client(conn, ["topup"])
    sent = key()
    post(api, "topup", user, asset, 10, sent, client_id=client["client_id"])
    conn.execute("select wallet.revoke_client(%s)", [client["client_id"]])

    for idempotency_key in [sent, key()]:
        with raises_sqlstate("PW070"):
            post(api, "topup", user, asset, 10, idempotency_key, client_id=client["client_id"])
    with raises_sqlstate("PW070"):
        post(api, "topup", user, asset, 10, client_id=uuid.uuid4())


def test_keys_are_per_client(conn: Conn, api: Conn, user: uuid.UUID, asset: str) -> None:
    shop, bank = create_client(conn, ["topup"]), create_client(conn, ["topup"])
    shared = key()

    by_shop = post(api, "topup", user, asset, 10, shared, client_id=shop["client_id"])
    by_bank = post(api, "topup", user, asset, 20, shared, client_id=bank["client_id"])
    by_sql = post(conn, "topup", user, asset, 30, shared)
    replayed = post(api, "topup", user, asset, 10, shared, client_id=shop["client_id"])

    assert (
        len({by_shop["transaction_id"], by_bank["transaction_id"], by_sql["transaction_id"]}) == 3
    )
    assert (replayed["transaction_id"], replayed["replayed"]) == (by_shop["transaction_id"], True)
    assert [by_shop["balance"], by_bank["balance"], by_sql["balance"]] == [10, 30, 60]
    with raises_sqlstate("PW030"):
        post(api, "topup", user, asset, 11, shared, client_id=bank["client_id"])
    assert all(verify(conn).values())


def test_each_transaction_records_its_client_or_sql_user(
    conn: Conn, api: Conn, user: uuid.UUID, asset: str
) -> None:
    client = create_client(conn, ["topup"])
    by_client = post(api, "topup", user, asset, 10, client_id=client["client_id"])
    by_sql = post(conn, "topup", user, asset, 10)
    session_user = one(conn, "select session_user as name")["name"]

    def who(receipt: dict[str, object]) -> tuple[object, object, object]:
        line = one(conn, "select * from wallet.get_transaction(%s)", [receipt["transaction_id"]])
        return line["client_id"], line["client_name"], line["sql_user"]

    assert who(by_client) == (client["client_id"], client["name"], None)
    assert who(by_sql) == (None, None, session_user)


def test_the_reader_cannot_read_token_hashes(conn: Conn, db_url: str) -> None:
    create_client(conn, ["read"])
    conn.execute("set role wallet_reader")
    try:
        one(conn, "select count(name) as n from ledger.clients")
        with raises_sqlstate("42501"):
            conn.execute("select token_hash from ledger.clients")
    finally:
        conn.execute("reset role")
