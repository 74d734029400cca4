"""Inputs that once broke a promise: big or deep metadata, hidden characters, busy system slots."""

import json
import uuid

import psycopg
import pytest

from tests.support import Conn, key, one, post, raises_sqlstate


def nested(depth: int) -> str:
    """A JSON object nesting `depth` levels deep."""
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize(
    ("metadata", "refused"),
    [
        (nested(32), False),
        (nested(33), True),
        (nested(1000), True),
        (json.dumps({"note": "x" * 16_000}), False),
        (json.dumps({"note": "x" * 16_400}), True),
        (json.dumps({"brackets": "[{" * 100}), False),  # brackets in a string do not nest
    ],
)
def test_metadata_is_at_most_16_kib_and_32_levels(
    conn: Conn, user: uuid.UUID, asset: str, metadata: str, refused: bool
) -> None:
    if refused:
        with raises_sqlstate("PW002"):
            post(conn, "topup", user, asset, 1, metadata=metadata)
    else:
        assert post(conn, "topup", user, asset, 1, metadata=metadata)["amount"] == 1


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Tab\tName", "ok@example.com"),
        ("Zero\u200bWidth", "ok@example.com"),
        ("Fine", "bell\u0007@example.com"),
        ("Fine", "al\u200dice@example.com"),
        ("Fine", "right\u202eleft@example.com"),
    ],
)
def test_names_and_emails_with_hidden_characters_are_refused(
    conn: Conn, name: str, email: str
) -> None:
    with raises_sqlstate("PW002"):
        conn.execute("select wallet.create_user(%s, %s)", [name, email])


def test_an_email_is_kept_in_nfkc_so_look_alikes_are_one_address(conn: Conn) -> None:
    tag = uuid.uuid4().hex[:8]
    created = one(conn, "select wallet.create_user('Wide', %s) as id", [f"\uff41{tag}@example.com"])
    stored = one(conn, "select email from wallet.get_user(%s)", [created["id"]])
    assert stored["email"] == f"a{tag}@example.com"
    with raises_sqlstate("PW050"):
        conn.execute("select wallet.create_user('Narrow', %s)", [f"A{tag}@example.com"])


def test_a_busy_system_wallet_is_named_as_such(
    db_url: str, api: Conn, user: uuid.UUID, asset: str, conn: Conn
) -> None:
    post(conn, "topup", user, asset, 10)
    with psycopg.connect(db_url) as holder:
        holder.execute(
            "select from ledger.wallets where asset = %s and holder = 'revenue' for update",
            [asset],
        )
        api.execute("set lock_timeout = '200ms'")
        with raises_sqlstate("PW032") as error:
            post(api, "spend", user, asset, 1, key())
        holder.rollback()
    assert f"every revenue slot of '{asset}' is busy" in str(error.value)
