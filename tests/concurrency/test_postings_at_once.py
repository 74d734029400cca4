"""Postings from many real connections at once: no coin lost or duplicated,
no deadlock, one transaction per idempotency key."""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import Conn, balance, key, post, transactions_with_key, verify

Outcome = dict[str, Any] | str  # a receipt, or the SQLSTATE of the refusal


def run_at_once(db_url: str, calls: list[Callable[[Conn], dict[str, Any]]]) -> list[Outcome]:
    """Run each call on its own connection, all released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[Conn], dict[str, Any]]) -> Outcome:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
            barrier.wait()
            try:
                return call(conn)
            except psycopg.Error as error:
                return error.sqlstate or "?"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_forty_spends_of_ten_from_a_hundred(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)

    outcomes = run_at_once(db_url, [lambda c: post(c, "spend", user, asset, 10) for _ in range(40)])

    receipts = [o for o in outcomes if isinstance(o, dict)]
    assert len(receipts) == 10
    assert Counter(o for o in outcomes if isinstance(o, str)) == {"PW020": 30}
    assert sorted(r["balance"] for r in receipts) == list(range(0, 100, 10))
    assert balance(conn, user, asset) == 0
    assert all(verify(conn).values())


def test_sixteen_duplicates_of_one_key_make_one_transaction(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    k = key()

    outcomes = run_at_once(
        db_url, [lambda c: post(c, "topup", user, asset, 25, idempotency_key=k) for _ in range(16)]
    )

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    receipts = [o for o in outcomes if isinstance(o, dict)]
    assert len({r["transaction_id"] for r in receipts}) == 1
    assert sorted(r["replayed"] for r in receipts) == [False] + [True] * 15
    assert balance(conn, user, asset) == 25
    assert transactions_with_key(conn, k) == 1


def test_random_postings_from_eight_connections_never_deadlock(
    conn: Conn,
    db_url: str,
    new_user: Callable[[], uuid.UUID],
    new_asset: Callable[[], str],
) -> None:
    """A few seconds of random topups, bonuses and spends over a few users and assets."""
    users = [new_user() for _ in range(4)]
    assets = [new_asset() for _ in range(2)]
    deadline = time.monotonic() + 3.0

    def worker(seed: int) -> list[tuple[str, uuid.UUID, str, int] | str]:
        rng = random.Random(seed)
        log: list[tuple[str, uuid.UUID, str, int] | str] = []
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            while time.monotonic() < deadline:
                kind = rng.choice(["topup", "bonus", "spend", "spend"])
                user, asset, amount = rng.choice(users), rng.choice(assets), rng.randint(1, 50)
                try:
                    post(c, kind, user, asset, amount)
                    log.append((kind, user, asset, amount))
                except psycopg.Error as error:
                    log.append(error.sqlstate or "?")
        return log

    with ThreadPoolExecutor(max_workers=8) as pool:
        logs = list(pool.map(worker, range(8)))

    outcomes = [entry for log in logs for entry in log]
    refusals = Counter(o for o in outcomes if isinstance(o, str))
    assert set(refusals) <= {"PW020"}, refusals  # never 40P01, 40001 or anything else
    expected: Counter[tuple[uuid.UUID, str]] = Counter()
    for outcome in outcomes:
        if isinstance(outcome, tuple):
            kind, user, asset, amount = outcome
            expected[user, asset] += -amount if kind == "spend" else amount
    assert sum(1 for o in outcomes if isinstance(o, tuple)) > 50
    for user in users:
        for asset in assets:
            assert balance(conn, user, asset) == expected[user, asset]
    assert all(verify(conn).values())


def test_postings_for_different_users_do_not_wait_on_the_system_wallet(
    db_url: str, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    """While one posting holds its treasury slot, another user's posting goes through."""
    first, second = new_user(), new_user()
    with psycopg.connect(db_url, row_factory=dict_row) as holder:
        post(holder, "topup", first, asset, 5)  # its transaction stays open
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as other:
            other.execute("set lock_timeout = '200ms'")
            assert post(other, "topup", second, asset, 7)["balance"] == 7
        holder.rollback()


def test_key_in_progress_and_wallet_busy_are_different_errors(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    k = key()
    with psycopg.connect(db_url, row_factory=dict_row) as first:
        post(first, "topup", user, asset, 5, idempotency_key=k)  # not committed yet
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as other:
            other.execute("set lock_timeout = '200ms'")
            with pytest.raises(psycopg.Error) as same_key:
                post(other, "topup", user, asset, 5, idempotency_key=k)
            with pytest.raises(psycopg.Error) as same_wallet:
                post(other, "topup", user, asset, 5)
        first.commit()

    assert same_key.value.sqlstate == "PW031"
    assert same_key.value.diag.message_hint is not None
    assert same_wallet.value.sqlstate == "PW032"
    replay = post(conn, "topup", user, asset, 5, idempotency_key=k)
    assert (replay["replayed"], replay["balance"]) == (True, 5)


def test_a_duplicate_waiting_on_a_crashed_call_posts_it_once(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    """The first call dies before commit; the duplicate that waited on its key takes over."""
    k = key()
    first = psycopg.connect(db_url, row_factory=dict_row)
    post(first, "topup", user, asset, 9, idempotency_key=k)

    def retry() -> dict[str, Any]:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            return post(c, "topup", user, asset, 9, idempotency_key=k)

    with ThreadPoolExecutor(max_workers=1) as pool:
        duplicate = pool.submit(retry)
        time.sleep(0.3)
        assert not duplicate.done()  # it waits on the key
        first.close()  # the connection dies: its transaction rolls back
        receipt = duplicate.result(timeout=10)

    assert (receipt["replayed"], receipt["balance"]) == (False, 9)
    assert balance(conn, user, asset) == 9


def test_history_pages_stay_complete_and_ordered_while_postings_arrive(
    conn: Conn, db_url: str, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    assets = [new_asset(), new_asset()]
    for i in range(60):
        post(conn, "topup", user, assets[i % 2], i + 1)
    existing = {
        r["entry_id"] for r in conn.execute("select * from wallet.history(%s, null, 500)", [user])
    }
    stop = threading.Event()

    def keep_posting() -> None:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            while not stop.is_set():
                post(c, "topup", user, random.choice(assets), 1)

    seen: list[int] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        writers = [pool.submit(keep_posting) for _ in range(2)]
        before = None
        while True:
            page = conn.execute(
                "select entry_id from wallet.history(%s, null, 7, %s)", [user, before]
            ).fetchall()
            if not page:
                break
            seen.extend(r["entry_id"] for r in page)
            before = page[-1]["entry_id"]
            time.sleep(0.01)
        stop.set()
        for writer in writers:
            writer.result()

    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)
