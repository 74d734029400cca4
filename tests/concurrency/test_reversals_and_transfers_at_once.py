"""Reversals and transfers from many real connections at once: the cap holds, no deadlock."""

import uuid
from collections import Counter
from collections.abc import Callable

from tests.concurrency.test_postings_at_once import run_at_once
from tests.support import Conn, balance, post, reverse, transfer, verify


def test_ten_full_reversals_of_one_spend_give_one_refund(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    spend = post(conn, "spend", user, asset, 60)

    outcomes = run_at_once(
        db_url, [lambda c: reverse(c, spend["transaction_id"]) for _ in range(10)]
    )

    refunds = [o for o in outcomes if isinstance(o, dict)]
    assert len(refunds) == 1
    assert refunds[0]["balance"] == 100
    assert Counter(o for o in outcomes if isinstance(o, str)) == {"PW022": 9}
    assert balance(conn, user, asset) == 100
    assert all(verify(conn).values())


def test_partial_reversals_at_once_never_exceed_the_original(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    topup = post(conn, "topup", user, asset, 25)

    outcomes = run_at_once(
        db_url, [lambda c: reverse(c, topup["transaction_id"], 3) for _ in range(12)]
    )

    assert sum(isinstance(o, dict) for o in outcomes) == 8  # 8 x 3 = 24 of 25
    assert Counter(o for o in outcomes if isinstance(o, str)) == {"PW022": 4}
    assert balance(conn, user, asset) == 1
    assert all(verify(conn).values())


def test_transfers_crossing_between_two_users_never_deadlock(
    conn: Conn, db_url: str, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    alice, bob = new_user(), new_user()
    post(conn, "topup", alice, asset, 1000)
    post(conn, "topup", bob, asset, 1000)
    sent = transfer(conn, alice, bob, asset, 100)

    calls: list[Callable[[Conn], dict[str, object]]] = []
    for _ in range(8):
        calls.append(lambda c: transfer(c, alice, bob, asset, 7))
        calls.append(lambda c: transfer(c, bob, alice, asset, 5))
    calls.append(lambda c: reverse(c, sent["transaction_id"], 10))
    calls.append(lambda c: post(c, "spend", bob, asset, 1))
    for _ in range(5):  # a few rounds: each a fresh interleaving
        outcomes = run_at_once(db_url, calls)
        assert all(isinstance(o, dict) for o in outcomes), outcomes

    # 5 rounds: alice sends 8 x 7 and gets 8 x 5 and 10 back, bob spends 1.
    assert balance(conn, alice, asset) == 900 + 5 * (-56 + 40 + 10)
    assert balance(conn, bob, asset) == 1100 + 5 * (56 - 40 - 10 - 1)
    assert all(verify(conn).values())
