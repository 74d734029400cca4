"""Batches beside single postings and other batches, on real connections at once."""

import random
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from tests.concurrency.test_postings_at_once import run_at_once
from tests.sql.test_batches import batch, item, outcomes
from tests.support import Conn, balance, key, one, post, transfer, verify

Call = Callable[[Conn], dict[str, Any]]


def system_total(conn: Conn, asset: str, holder: str) -> int:
    row = one(
        conn,
        "select sum(balance) as total from ledger.wallets where asset = %s and holder = %s",
        [asset, holder],
    )
    return int(row["total"])


def test_batches_and_single_postings_over_the_same_users_never_deadlock(
    conn: Conn, db_url: str, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    users = [new_user() for _ in range(6)]
    for user in users:
        post(conn, "topup", user, asset, 1000)
    rng = random.Random(7)

    def a_batch(c: Conn) -> dict[str, Any]:
        # Users in any order: the batch itself takes them in id order.
        kinds = ["topup", "spend"]
        postings = [
            item(rng.choice(kinds), rng.choice(users), asset, rng.randint(1, 30)) for _ in range(20)
        ]
        return {"posted": sum(row["ok"] for row in batch(c, postings))}

    def a_transfer(n: int, c: Conn) -> dict[str, Any]:
        return transfer(c, users[n], users[-1 - n], asset, 3)

    def a_spend(n: int, c: Conn) -> dict[str, Any]:
        return post(c, "spend", users[n], asset, 2)

    calls: list[Call] = []
    for n in range(6):
        calls += [a_batch, partial(a_transfer, n), partial(a_spend, n)]
    for _ in range(3):
        results = run_at_once(db_url, calls)
        assert all(isinstance(o, dict) for o in results), results

    held = sum(balance(conn, u, asset) for u in users)
    assert held == -system_total(conn, asset, "treasury") - system_total(conn, asset, "revenue")
    assert all(verify(conn).values())


def test_the_same_keys_in_batches_at_once_make_one_transaction_each(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    keys = [key() for _ in range(10)]
    postings = [item("topup", user, asset, 5, k) for k in keys]

    def send(reverse: bool, c: Conn) -> dict[str, Any]:
        return {"rows": batch(c, postings[::-1] if reverse else postings)}

    results = run_at_once(db_url, [partial(send, n % 2 == 1) for n in range(6)])

    counts: Counter[str] = Counter()
    for result in results:
        assert isinstance(result, dict), result
        counts.update(outcomes(result["rows"]))
    assert counts == {"posted": 10, "replayed": 50}
    assert balance(conn, user, asset) == 50
    assert all(verify(conn).values())
