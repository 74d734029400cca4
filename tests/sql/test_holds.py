"""wallet.hold, capture, release and get_hold: reserve credits now, spend or free them later."""

import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.sql.test_batches import batch, item, outcomes
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


def hold(
    conn: Conn,
    user_id: uuid.UUID,
    asset: str,
    amount: int,
    idempotency_key: str | None = None,
    expires_in: str = "15 minutes",
    client_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return one(
        conn,
        "select * from wallet.hold(user_id => %s, asset => %s, amount => %s,"
        " idempotency_key => %s, expires_in => %s::interval, client_id => %s)",
        [user_id, asset, amount, idempotency_key or key(), expires_in, client_id],
    )


def capture(
    conn: Conn,
    hold_id: uuid.UUID,
    amount: int | None = None,
    idempotency_key: str | None = None,
    client_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return one(
        conn,
        "select * from wallet.capture(hold_id => %s, idempotency_key => %s, amount => %s,"
        " client_id => %s)",
        [hold_id, idempotency_key or key(), amount, client_id],
    )


def release(conn: Conn, hold_id: uuid.UUID, idempotency_key: str | None = None) -> dict[str, Any]:
    return one(
        conn,
        "select * from wallet.release(hold_id => %s, idempotency_key => %s)",
        [hold_id, idempotency_key or key()],
    )


def line(conn: Conn, user_id: uuid.UUID, asset: str) -> tuple[int, int, int]:
    """(balance, held, available) of one asset, from wallet.balances."""
    row = one(conn, "select * from wallet.balances(%s, %s)", [user_id, asset])
    return row["balance"], row["held"], row["available"]


def test_a_hold_reserves_without_moving_credits(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)

    held = hold(conn, user, asset, 30)

    assert (held["user_id"], held["asset"], held["amount"], held["status"]) == (
        user,
        asset,
        30,
        "held",
    )
    assert held["captured_amount"] is None
    assert held["replayed"] is False
    assert line(conn, user, asset) == (100, 30, 70)
    assert balance(conn, user, asset) == 100  # wallet.balance stays the balance
    assert one(conn, "select * from wallet.get_hold(%s)", [held["hold_id"]])["status"] == "held"
    assert all(verify(conn).values())


def test_spends_and_holds_need_what_is_available(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    hold(conn, user, asset, 60)

    with raises_sqlstate("PW020") as error:
        post(conn, "spend", user, asset, 41)
    assert "40" in str(error.value)
    assert "held 60" in str(error.value)
    with raises_sqlstate("PW020"):
        hold(conn, user, asset, 41)
    post(conn, "spend", user, asset, 40)
    assert line(conn, user, asset) == (60, 60, 0)


def test_transfers_and_clawbacks_need_what_is_available(
    conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    sender, receiver = new_user(), new_user()
    topup = post(conn, "topup", sender, asset, 100)
    hold(conn, sender, asset, 70)

    with raises_sqlstate("PW020") as error:
        transfer(conn, sender, receiver, asset, 31)
    assert "held 70" in str(error.value)
    with raises_sqlstate("PW020"):
        reverse(conn, topup["transaction_id"], 31)  # a clawback
    sent = transfer(conn, sender, receiver, asset, 30)
    assert (sent["from_balance"], sent["to_balance"]) == (70, 30)
    hold(conn, receiver, asset, 25)
    with raises_sqlstate("PW020"):
        reverse(conn, sent["transaction_id"], 6)  # a transfer sent back debits the receiver
    assert reverse(conn, sent["transaction_id"], 5)["balance"] == 25
    assert line(conn, sender, asset) == (75, 70, 5)
    assert line(conn, receiver, asset) == (25, 25, 0)
    assert all(verify(conn).values())


def test_batched_spends_need_what_is_available(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    hold(conn, user, asset, 60)

    rows = batch(conn, [item("spend", user, asset, 41), item("spend", user, asset, 40)])

    assert outcomes(rows) == ["PW020", "posted"]
    assert "held 60" in rows[0]["error_message"]
    assert line(conn, user, asset) == (60, 60, 0)
    assert all(verify(conn).values())


def test_a_refund_of_a_capture_credits_the_user_and_keeps_the_hold_captured(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    held = hold(conn, user, asset, 40)
    spent = capture(conn, held["hold_id"])

    refund = reverse(conn, spent["transaction_id"])

    assert refund["balance"] == 100
    after = one(conn, "select * from wallet.get_hold(%s)", [held["hold_id"]])
    assert (after["status"], after["captured_amount"]) == ("captured", 40)
    assert all(verify(conn).values())


def test_capture_spends_at_most_the_hold_and_releases_the_rest(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    held = hold(conn, user, asset, 50)

    with raises_sqlstate("PW024"):
        capture(conn, held["hold_id"], 51)
    receipt = capture(conn, held["hold_id"], 20)

    assert (receipt["kind"], receipt["amount"], receipt["balance"]) == ("spend", 20, 80)
    after = one(conn, "select * from wallet.get_hold(%s)", [held["hold_id"]])
    assert (after["status"], after["captured_amount"]) == ("captured", 20)
    assert line(conn, user, asset) == (80, 0, 80)
    linked = one(
        conn, "select hold_id from ledger.transactions where id = %s", [receipt["transaction_id"]]
    )
    assert linked["hold_id"] == held["hold_id"]
    assert all(verify(conn).values())


def test_capture_takes_the_whole_hold_by_default(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    held = hold(conn, user, asset, 100)

    receipt = capture(conn, held["hold_id"])

    assert (receipt["amount"], receipt["balance"]) == (100, 0)
    assert line(conn, user, asset) == (0, 0, 0)


def test_a_hold_is_final_once_captured_released_or_expired(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    captured = hold(conn, user, asset, 10)
    capture(conn, captured["hold_id"])
    released = hold(conn, user, asset, 10)
    assert release(conn, released["hold_id"])["status"] == "released"
    expiring = hold(conn, user, asset, 10, expires_in="1 second")
    assert line(conn, user, asset) == (90, 10, 80)
    time.sleep(1.1)

    assert line(conn, user, asset) == (90, 0, 90)  # expiry needs no job
    expired = one(conn, "select * from wallet.get_hold(%s)", [expiring["hold_id"]])
    assert expired["status"] == "expired"
    for hold_id in (captured["hold_id"], released["hold_id"], expiring["hold_id"]):
        with raises_sqlstate("PW025"):
            capture(conn, hold_id)
        with raises_sqlstate("PW025"):
            release(conn, hold_id)
    assert all(verify(conn).values())


def test_unknown_hold_and_bad_arguments(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    for call in (capture, release):
        with raises_sqlstate("PW013"):
            call(conn, uuid.uuid4())
    with raises_sqlstate("PW013"):
        conn.execute("select * from wallet.get_hold(%s)", [uuid.uuid4()])
    for expires_in in ("0 seconds", "999 milliseconds", "30 days 1 second"):
        with raises_sqlstate("PW002"):
            hold(conn, user, asset, 10, expires_in=expires_in)
    with raises_sqlstate("PW001"):
        hold(conn, user, asset, 0)
    held = hold(conn, user, asset, 10)
    with raises_sqlstate("PW001"):
        capture(conn, held["hold_id"], 0)
    assert one(conn, "select count(*) as n from ledger.holds where user_id = %s", [user])["n"] == 1


def test_holds_are_idempotent_per_key(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    k = key()
    first = hold(conn, user, asset, 30, k)

    again = hold(conn, user, asset, 30, k)

    assert again == {**first, "replayed": True}
    with raises_sqlstate("PW030"):
        hold(conn, user, asset, 31, k)
    with raises_sqlstate("PW030"):
        post(conn, "spend", user, asset, 30, idempotency_key=k)  # one namespace for every kind
    release_key, capture_key = key(), key()
    freed = release(conn, first["hold_id"], release_key)
    assert release(conn, first["hold_id"], release_key) == {**freed, "replayed": True}
    second = hold(conn, user, asset, 30)
    receipt = capture(conn, second["hold_id"], 5, capture_key)
    assert capture(conn, second["hold_id"], 5, capture_key) == {**receipt, "replayed": True}
    with raises_sqlstate("PW030"):
        capture(conn, second["hold_id"], 6, capture_key)
    assert transactions_with_key(conn, capture_key) == 1
    assert line(conn, user, asset) == (95, 0, 95)
    assert all(verify(conn).values())


def test_a_refused_hold_leaves_nothing(conn: Conn, user: uuid.UUID, asset: str) -> None:
    k = key()
    with raises_sqlstate("PW020"):
        hold(conn, user, asset, 10, k)  # no wallet at all
    post(conn, "topup", user, asset, 10)

    assert hold(conn, user, asset, 10, k)["replayed"] is False  # the key was left free
    wallets = one(conn, "select count(*) as n from ledger.wallets where user_id = %s", [user])
    assert wallets["n"] == 1


def test_holds_need_the_hold_scope_and_follow_the_client_limits(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    spender = create_client(conn, ["spend"])["client_id"]
    holder = create_client(conn, ["hold"], max_amount=20)["client_id"]

    with raises_sqlstate("PW071"):
        hold(conn, user, asset, 10, client_id=spender)
    with raises_sqlstate("PW071"):
        hold(conn, user, asset, 21, client_id=holder)
    held = hold(conn, user, asset, 20, client_id=holder)
    with raises_sqlstate("PW071"):
        capture(conn, held["hold_id"], client_id=spender)
    assert capture(conn, held["hold_id"], client_id=holder)["amount"] == 20


def test_frozen_assets_and_suspended_users_refuse_holds(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    held = hold(conn, user, asset, 10)
    conn.execute("select wallet.set_user_status(%s, 'suspended')", [user])
    with raises_sqlstate("PW041"):
        hold(conn, user, asset, 10)
    with raises_sqlstate("PW041"):
        capture(conn, held["hold_id"])
    conn.execute("select wallet.set_user_status(%s, 'active')", [user])
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [asset])
    with raises_sqlstate("PW040"):
        release(conn, held["hold_id"])
    conn.execute("select wallet.set_asset_status(%s, 'active')", [asset])
    assert release(conn, held["hold_id"])["status"] == "released"


def test_active_holds_lists_what_reserves_now(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 100)
    first = hold(conn, user, asset, 10)
    second = hold(conn, user, asset, 20, expires_in="1 hour")
    release(conn, hold(conn, user, asset, 5)["hold_id"])

    rows = conn.execute("select * from wallet.active_holds(%s)", [user]).fetchall()

    assert [r["hold_id"] for r in rows] == [first["hold_id"], second["hold_id"]]


def test_verify_sees_a_hold_beyond_the_balance(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 10)
    held = hold(conn, user, asset, 10)
    with conn.transaction():
        # Only an owner stepping around the functions can do this.
        conn.execute("update ledger.holds set amount = 11 where id = %s", [held["hold_id"]])
        checks = verify(conn)
        conn.execute("update ledger.holds set amount = 10 where id = %s", [held["hold_id"]])
    assert checks["holds_within_balances"] is False
    assert checks["captures_match_holds"] is True
