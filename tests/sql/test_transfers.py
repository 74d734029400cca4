"""wallet.transfer: credits from one user to another, under the same rules as every posting."""

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
    transactions_with_key,
    transfer,
    verify,
)


@pytest.fixture
def receiver(new_user: Callable[[], uuid.UUID]) -> uuid.UUID:
    return new_user()


def test_a_transfer_moves_credits_and_names_both_users(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)

    receipt = transfer(conn, user, receiver, asset, 30, metadata='{"gift": "birthday"}')

    assert receipt["kind"] == "transfer"
    assert (receipt["from_user_id"], receipt["to_user_id"]) == (user, receiver)
    assert (receipt["from_balance"], receipt["to_balance"]) == (70, 30)
    assert receipt["replayed"] is False
    assert receipt["from_hash"] != receipt["to_hash"]
    assert (balance(conn, user, asset), balance(conn, receiver, asset)) == (70, 30)
    lines = conn.execute(
        "select * from wallet.get_transaction(%s)", [receipt["transaction_id"]]
    ).fetchall()
    assert [(line["holder"], line["direction"], line["balance_after"]) for line in lines] == [
        ("user", "debit", 70),
        ("user", "credit", 30),
    ]
    assert {(line["user_id"], line["counterparty_user_id"]) for line in lines} == {(user, receiver)}
    assert all(verify(conn).values())


def test_each_user_sees_the_other_in_history_and_in_their_transactions(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    receipt = transfer(conn, user, receiver, asset, 4)

    for me, other, direction in ((user, receiver, "debit"), (receiver, user, "credit")):
        newest = one(conn, "select * from wallet.history(%s, %s, 1)", [me, asset])
        assert (newest["kind"], newest["direction"], newest["counterparty_user_id"]) == (
            "transfer",
            direction,
            other,
        )
        listed = conn.execute(
            "select distinct transaction_id from wallet.list_transactions(user_id => %s)", [me]
        ).fetchall()
        assert receipt["transaction_id"] in {row["transaction_id"] for row in listed}


def test_a_replay_returns_the_transfer_receipt(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    k = key()
    first = transfer(conn, user, receiver, asset, 4, idempotency_key=k)

    again = transfer(conn, user, receiver, asset, 4, idempotency_key=k)

    assert again == {**first, "replayed": True}
    assert transactions_with_key(conn, k) == 1
    with raises_sqlstate("PW030"):
        transfer(conn, receiver, user, asset, 4, idempotency_key=k)


def test_the_sender_never_goes_below_zero_and_nothing_remains(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    k = key()

    with raises_sqlstate("PW020"):
        transfer(conn, user, receiver, asset, 11, idempotency_key=k)

    assert (balance(conn, user, asset), balance(conn, receiver, asset)) == (10, 0)
    assert transactions_with_key(conn, k) == 0
    transfer(conn, user, receiver, asset, 10, idempotency_key=k)  # the key is still free


def test_a_transfer_to_oneself_is_refused(conn: Conn, user: uuid.UUID, asset: str) -> None:
    post(conn, "topup", user, asset, 10)

    with raises_sqlstate("PW002") as error:
        transfer(conn, user, user, asset, 1)

    assert "the same user" in str(error.value)


@pytest.mark.parametrize("suspended", ["sender", "receiver"])
def test_both_users_must_be_active(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str, suspended: str
) -> None:
    post(conn, "topup", user, asset, 10)
    conn.execute(
        "select wallet.set_user_status(%s, 'suspended')",
        [user if suspended == "sender" else receiver],
    )

    with raises_sqlstate("PW041"):
        transfer(conn, user, receiver, asset, 1)


def test_unknown_users_and_assets_and_bad_amounts_are_refused(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    with raises_sqlstate("PW010"):
        transfer(conn, user, uuid.uuid4(), asset, 1)
    with raises_sqlstate("PW010"):
        transfer(conn, uuid.uuid4(), receiver, asset, 1)
    with raises_sqlstate("PW011"):
        transfer(conn, user, receiver, "no_such_asset", 1)
    with raises_sqlstate("PW001"):
        transfer(conn, user, receiver, asset, 0)
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [asset])
    with raises_sqlstate("PW040"):
        transfer(conn, user, receiver, asset, 1)


def test_the_receiver_cannot_be_carried_beyond_bigint(
    conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", receiver, asset, 9223372036854775807)
    post(conn, "topup", user, asset, 1)  # the treasury is now at its least, -2^63

    with raises_sqlstate("PW021"):
        transfer(conn, user, receiver, asset, 1)
    assert balance(conn, user, asset) == 1


def test_a_client_needs_the_transfer_scope(
    api: Conn, conn: Conn, user: uuid.UUID, receiver: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 10)
    shop = create_client(conn, ["spend"])
    gifts = create_client(conn, ["transfer"])

    with raises_sqlstate("PW071"):
        transfer(api, user, receiver, asset, 1, client_id=shop["client_id"])
    receipt = transfer(api, user, receiver, asset, 1, client_id=gifts["client_id"])

    assert receipt["to_balance"] == 1
