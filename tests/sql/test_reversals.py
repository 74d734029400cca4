"""wallet.reverse: refunds, clawbacks and transfers sent back, never more than the original."""

import uuid
from collections.abc import Callable

import pytest

from tests.support import (
    Conn,
    balance,
    create_client,
    key,
    one,
    post,
    raises_sqlstate,
    reverse,
    transactions_with_key,
    transfer,
    verify,
)


def system_total(conn: Conn, asset: str, holder: str) -> int:
    """The sum of a system wallet's slots (as the owner)."""
    row = one(
        conn,
        "select coalesce(sum(balance), 0) as total from ledger.wallets"
        " where asset = %s and holder = %s",
        [asset, holder],
    )
    return int(row["total"])


def test_a_refund_gives_a_spend_back_from_revenue(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    spend = post(conn, "spend", user, asset, 40)

    refund = reverse(conn, spend["transaction_id"], metadata='{"reason": "item not delivered"}')

    assert (refund["kind"], refund["user_id"], refund["amount"], refund["balance"]) == (
        "reversal",
        user,
        40,
        100,
    )
    assert system_total(conn, asset, "revenue") == 0
    lines = conn.execute(
        "select * from wallet.get_transaction(%s)", [refund["transaction_id"]]
    ).fetchall()
    assert [(line["holder"], line["direction"]) for line in lines] == [
        ("revenue", "debit"),
        ("user", "credit"),
    ]
    assert lines[0]["reverses"] == spend["transaction_id"]
    original = one(conn, "select * from wallet.get_transaction(%s)", [spend["transaction_id"]])
    assert original["reversed_amount"] == 40
    assert all(verify(conn).values())


@pytest.mark.parametrize("kind", ["topup", "bonus"])
def test_a_clawback_takes_credits_back_to_the_treasury(
    conn: Conn, user: uuid.UUID, asset: str, kind: str
) -> None:
    original = post(conn, kind, user, asset, 50)

    clawback = reverse(conn, original["transaction_id"], 20)

    assert (clawback["balance"], system_total(conn, asset, "treasury")) == (30, -30)
    assert all(verify(conn).values())


def test_partial_reversals_add_up_to_the_original_and_no_more(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    spend = post(conn, "spend", user, asset, 10)
    spend_id = spend["transaction_id"]

    assert reverse(conn, spend_id, 3)["balance"] == 93
    with raises_sqlstate("PW022") as error:
        reverse(conn, spend_id, 8)
    assert "7 of its 10" in str(error.value)
    assert reverse(conn, spend_id)["amount"] == 7  # all that is left
    for amount in (None, 1):
        with raises_sqlstate("PW022") as error:
            reverse(conn, spend_id, amount)
        assert "already wholly reversed" in str(error.value)
    newest = one(conn, "select * from wallet.history(%s, %s, 1)", [user, asset])
    assert (newest["reverses"], newest["reversed_amount"]) == (spend_id, 0)
    assert all(verify(conn).values())


def test_a_reversal_cannot_be_reversed(conn: Conn, user: uuid.UUID, asset: str) -> None:
    refund = reverse(conn, post(conn, "topup", user, asset, 5)["transaction_id"], 1)

    with raises_sqlstate("PW023"):
        reverse(conn, refund["transaction_id"])


def test_a_clawback_never_overdraws_the_user(conn: Conn, user: uuid.UUID, asset: str) -> None:
    topup = post(conn, "topup", user, asset, 50)
    post(conn, "spend", user, asset, 45)
    k = key()

    with raises_sqlstate("PW020"):
        reverse(conn, topup["transaction_id"], idempotency_key=k)

    assert balance(conn, user, asset) == 5
    assert transactions_with_key(conn, k) == 0
    assert reverse(conn, topup["transaction_id"], 5, idempotency_key=k)["balance"] == 0


def test_a_transfer_goes_back_from_the_receiver_to_the_sender(
    conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    sender, receiver = new_user(), new_user()
    post(conn, "topup", sender, asset, 10)
    sent = transfer(conn, sender, receiver, asset, 10)

    back = reverse(conn, sent["transaction_id"], 4)

    assert (back["user_id"], back["balance"]) == (receiver, 6)
    assert (balance(conn, sender, asset), balance(conn, receiver, asset)) == (4, 6)
    line = one(conn, "select * from wallet.get_transaction(%s)", [back["transaction_id"]])
    assert (line["user_id"], line["counterparty_user_id"]) == (receiver, sender)
    newest = one(conn, "select * from wallet.history(%s, %s, 1)", [sender, asset])
    assert (newest["kind"], newest["counterparty_user_id"]) == ("reversal", receiver)
    post(conn, "spend", receiver, asset, 6)
    with raises_sqlstate("PW020"):
        reverse(conn, sent["transaction_id"])
    assert all(verify(conn).values())


def test_a_replay_returns_the_stored_receipt_and_another_request_is_refused(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    topup = post(conn, "topup", user, asset, 20)
    k = key()
    first = reverse(conn, topup["transaction_id"], idempotency_key=k)

    assert reverse(conn, topup["transaction_id"], idempotency_key=k) == {**first, "replayed": True}
    with raises_sqlstate("PW030"):
        reverse(conn, topup["transaction_id"], 1, idempotency_key=k)
    assert transactions_with_key(conn, k) == 1


def test_unknown_transactions_and_bad_amounts_are_refused(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    topup = post(conn, "topup", user, asset, 20)

    with raises_sqlstate("PW012"):
        reverse(conn, uuid.uuid4())
    for amount in (0, -1):
        with raises_sqlstate("PW001"):
            reverse(conn, topup["transaction_id"], amount)


def test_frozen_assets_and_suspended_users_refuse_reversals(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    topup = post(conn, "topup", user, asset, 20)
    conn.execute("select wallet.set_user_status(%s, 'suspended')", [user])
    with raises_sqlstate("PW041"):
        reverse(conn, topup["transaction_id"])
    conn.execute("select wallet.set_user_status(%s, 'active')", [user])
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [asset])
    with raises_sqlstate("PW040"):
        reverse(conn, topup["transaction_id"])


def test_a_client_needs_the_reverse_scope_and_the_asset(
    api: Conn, conn: Conn, user: uuid.UUID, asset: str, new_asset: Callable[[], str]
) -> None:
    topup = post(conn, "topup", user, asset, 20)
    shop = create_client(conn, ["spend", "topup"])
    elsewhere = create_client(conn, ["reverse"], assets=[new_asset()])
    small = create_client(conn, ["reverse"], max_amount=5)
    refunds = create_client(conn, ["reverse"])

    for client in (shop, elsewhere):
        with raises_sqlstate("PW071"):
            reverse(api, topup["transaction_id"], client_id=client["client_id"])
    with raises_sqlstate("PW071"):
        reverse(api, topup["transaction_id"], client_id=small["client_id"])  # all 20 left
    assert reverse(api, topup["transaction_id"], 5, client_id=small["client_id"])["balance"] == 15
    assert reverse(api, topup["transaction_id"], client_id=refunds["client_id"])["balance"] == 0


def test_a_forged_over_reversal_is_refused_at_commit(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    """The owner calls the writer itself, past the cap: the deferred check still counts."""
    first = post(conn, "topup", user, asset, 10)
    post(conn, "topup", user, asset, 10)
    reverse(conn, first["transaction_id"])

    with raises_sqlstate("PW062") as error, conn.transaction():
        conn.execute(
            """
            select wallet_internal.write_posting(
                'reversal', %(user)s, null, %(original)s, 5, '{}', 'forged', null,
                u, u.balance - 5, s, s.balance + 5
            )
            from ledger.wallets as u, ledger.wallets as s
            where u.user_id = %(user)s and u.asset = %(asset)s
                and s.asset = %(asset)s and s.holder = 'treasury' and s.slot = 0
            """,
            {"user": user, "asset": asset, "original": first["transaction_id"]},
        )

    assert "does not balance" in str(error.value)
    assert balance(conn, user, asset) == 10
