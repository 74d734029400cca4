"""The three postings: what they write, what they refuse, how keys replay."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import (
    Conn,
    balance,
    expire_keys,
    key,
    post,
    raises_sqlstate,
    transactions_with_key,
    verify,
)

MAX = 9223372036854775807


def test_topup_credits_the_user_and_debits_the_treasury(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    receipt = post(conn, "topup", user, asset, 100, metadata='{"order": 7}')

    assert receipt["kind"] == "topup"
    assert receipt["user_id"] == user
    assert receipt["asset"] == asset
    assert receipt["amount"] == 100
    assert receipt["balance"] == 100
    assert receipt["replayed"] is False
    assert balance(conn, user, asset) == 100
    lines = conn.execute(
        "select * from wallet.get_transaction(%s)", [receipt["transaction_id"]]
    ).fetchall()
    assert {(line["holder"], line["direction"], line["entry_amount"]) for line in lines} == {
        ("treasury", "debit", 100),
        ("user", "credit", 100),
    }
    assert all(line["metadata"] == {"order": 7} for line in lines)
    assert all(verify(conn).values())


def test_bonus_credits_the_user_from_the_treasury(conn: Conn, user: uuid.UUID, asset: str) -> None:
    receipt = post(conn, "bonus", user, asset, 30)

    assert (receipt["kind"], receipt["balance"]) == ("bonus", 30)
    holders = conn.execute(
        "select holder, direction from wallet.get_transaction(%s) order by holder",
        [receipt["transaction_id"]],
    ).fetchall()
    assert [(h["holder"], h["direction"]) for h in holders] == [
        ("treasury", "debit"),
        ("user", "credit"),
    ]


def test_spend_moves_credits_from_the_user_to_revenue(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)

    receipt = post(conn, "spend", user, asset, 40)

    assert (receipt["kind"], receipt["balance"]) == ("spend", 60)
    holders = conn.execute(
        "select holder, direction, balance_after from wallet.get_transaction(%s) order by holder",
        [receipt["transaction_id"]],
    ).fetchall()
    assert [(h["holder"], h["direction"], h["balance_after"]) for h in holders] == [
        ("revenue", "credit", None),
        ("user", "debit", 60),
    ]
    assert all(verify(conn).values())


def test_spend_may_empty_the_wallet_but_not_overdraw_it(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 50)

    with raises_sqlstate("PW020") as error:
        post(conn, "spend", user, asset, 51)
    assert "insufficient funds" in str(error.value)
    assert post(conn, "spend", user, asset, 50)["balance"] == 0
    assert balance(conn, user, asset) == 0


def test_spend_without_a_wallet_is_insufficient_funds(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    with raises_sqlstate("PW020"):
        post(conn, "spend", user, asset, 1)
    assert conn.execute("select * from wallet.balances(%s)", [user]).fetchall() != []


@pytest.mark.parametrize("amount", [0, -1, -MAX, None])
def test_amounts_below_one_are_refused(
    conn: Conn, user: uuid.UUID, asset: str, amount: int
) -> None:
    with raises_sqlstate("PW001"):
        post(conn, "topup", user, asset, amount)
    assert balance(conn, user, asset) == 0


def test_a_balance_may_reach_but_not_pass_the_bigint_maximum(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, MAX - 1)
    assert post(conn, "topup", user, asset, 1)["balance"] == MAX

    with raises_sqlstate("PW021"):
        post(conn, "bonus", user, asset, 1)
    assert balance(conn, user, asset) == MAX
    assert all(verify(conn).values())


def test_unknown_user_and_asset_are_refused(conn: Conn, user: uuid.UUID, asset: str) -> None:
    with raises_sqlstate("PW010"):
        post(conn, "topup", uuid.uuid4(), asset, 1)
    with raises_sqlstate("PW011"):
        post(conn, "topup", user, "no_such_asset", 1)


@pytest.mark.parametrize("bad_key", ["", "x" * 256, "tab\there", "naïve", "line\nbreak"])
def test_malformed_idempotency_keys_are_refused(
    conn: Conn, user: uuid.UUID, asset: str, bad_key: str
) -> None:
    with raises_sqlstate("PW003"):
        post(conn, "topup", user, asset, 1, idempotency_key=bad_key)


def test_metadata_must_be_an_object(conn: Conn, user: uuid.UUID, asset: str) -> None:
    with raises_sqlstate("PW002"):
        post(conn, "topup", user, asset, 1, metadata="[1, 2]")


@pytest.mark.parametrize(
    ("holder", "lock", "unlock", "sqlstate"),
    [
        (
            "asset",
            "wallet.set_asset_status(%s, 'frozen')",
            "wallet.set_asset_status(%s, 'active')",
            "PW040",
        ),
        (
            "user",
            "wallet.set_user_status(%s, 'suspended')",
            "wallet.set_user_status(%s, 'active')",
            "PW041",
        ),
    ],
)
def test_frozen_assets_and_suspended_users_refuse_postings_until_lifted(
    conn: Conn, user: uuid.UUID, asset: str, holder: str, lock: str, unlock: str, sqlstate: str
) -> None:
    target = asset if holder == "asset" else user
    post(conn, "topup", user, asset, 10)
    conn.execute(f"select {lock}", [target])

    for kind in ("topup", "bonus", "spend"):
        with raises_sqlstate(sqlstate):
            post(conn, kind, user, asset, 1)
    assert balance(conn, user, asset) == 10
    assert conn.execute("select * from wallet.history(%s)", [user]).rowcount == 1

    conn.execute(f"select {unlock}", [target])
    assert post(conn, "spend", user, asset, 1)["balance"] == 9


def test_a_replay_returns_the_stored_receipt(conn: Conn, user: uuid.UUID, asset: str) -> None:
    k = key()
    first = post(conn, "topup", user, asset, 70, idempotency_key=k, metadata='{"a": 1, "b": 2}')
    post(conn, "topup", user, asset, 5)  # the balance moves on meanwhile

    again = post(conn, "topup", user, asset, 70, idempotency_key=k, metadata='{"b": 2,  "a": 1}')

    assert again["replayed"] is True
    assert {**again, "replayed": False} == first
    assert balance(conn, user, asset) == 75
    assert transactions_with_key(conn, k) == 1


@pytest.mark.parametrize(
    "change",
    ["amount", "kind", "user_id", "asset", "metadata"],
)
def test_a_key_reused_with_a_different_request_is_refused(
    conn: Conn,
    new_user: Callable[[], uuid.UUID],
    new_asset: Callable[[], str],
    change: str,
) -> None:
    user, asset, k = new_user(), new_asset(), key()
    # The arguments of `post` but the connection and the key.
    first: dict[str, Any] = {
        "kind": "topup",
        "user_id": user,
        "asset": asset,
        "amount": 10,
        "metadata": '{"x": 1}',
    }
    other: dict[str, Any] = {
        "kind": "bonus",
        "user_id": new_user(),
        "asset": new_asset(),
        "amount": 11,
        "metadata": '{"x": 2}',
    }
    post(conn, idempotency_key=k, **first)

    with raises_sqlstate("PW030") as error:
        post(conn, idempotency_key=k, **{**first, change: other[change]})
    assert "different request" in str(error.value)
    assert balance(conn, user, asset) == 10


def test_a_refused_posting_leaves_its_key_free(conn: Conn, user: uuid.UUID, asset: str) -> None:
    k = key()
    with raises_sqlstate("PW020"):
        post(conn, "spend", user, asset, 5, idempotency_key=k)
    post(conn, "topup", user, asset, 5)

    receipt = post(conn, "spend", user, asset, 5, idempotency_key=k)

    assert (receipt["replayed"], receipt["balance"]) == (False, 0)


def test_an_expired_key_may_be_reused_and_is_purged(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    k = key()
    post(conn, "topup", user, asset, 1, idempotency_key=k)
    expire_keys(conn, k)

    reused = post(conn, "topup", user, asset, 2, idempotency_key=k)

    assert (reused["replayed"], reused["balance"]) == (False, 3)
    expire_keys(conn, k)
    purged = conn.execute("select wallet.purge_idempotency_keys() as n").fetchone()
    assert purged is not None
    assert purged["n"] >= 1
    assert conn.execute("select from ledger.idempotency_keys where key = %s", [k]).rowcount == 0


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_a_posting_outside_read_committed_is_refused(
    conn: Conn, user: uuid.UUID, asset: str, isolation: str
) -> None:
    with raises_sqlstate("PW004") as error, conn.transaction():
        conn.execute(f"set transaction isolation level {isolation}")
        post(conn, "topup", user, asset, 5)
    assert "READ COMMITTED" in str(error.value)
    assert balance(conn, user, asset) == 0


def test_set_constraints_all_immediate_does_not_fail_a_valid_posting(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    with conn.transaction():
        conn.execute("set constraints all immediate")
        post(conn, "topup", user, asset, 5)
        post(conn, "spend", user, asset, 2)
    assert balance(conn, user, asset) == 3
    checks = verify(conn)
    # keys_kept aside: this module expires keys before their time (expire_keys).
    assert all(ok for name, ok in checks.items() if name != "keys_kept"), checks
