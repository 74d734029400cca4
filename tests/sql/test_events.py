"""The event feed (wallet.events): every transaction once, in an order no reader can page past."""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support import Conn, key, one, post, raises_sqlstate


def read_all(conn: Conn, after: int, limit: int = 500) -> list[dict[str, Any]]:
    """Every event after `after`, paging as a consumer does."""
    events: list[dict[str, Any]] = []
    while page := conn.execute("select * from wallet.events(%s, %s)", [after, limit]).fetchall():
        events.extend(page)
        after = page[-1]["event_id"]
    return events


def last_event_id(conn: Conn) -> int:
    """Where a reader that has read everything stands."""
    events = read_all(conn, 0)
    return int(events[-1]["event_id"]) if events else 0


def test_each_posting_is_one_event_with_its_fields(
    api: Conn, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    start = last_event_id(api)
    topup = post(conn, "topup", user, asset, 100, metadata='{"order": 7}')
    spend = post(conn, "spend", user, asset, 30)

    events = read_all(api, start)

    assert [e["transaction_id"] for e in events] == [
        topup["transaction_id"],
        spend["transaction_id"],
    ]
    assert events[0]["event_id"] < events[1]["event_id"]
    first = events[0]
    assert (first["kind"], first["user_id"], first["asset"], first["amount"]) == (
        "topup",
        user,
        asset,
        100,
    )
    assert first["metadata"] == {"order": 7}
    assert first["created_at"] == topup["created_at"]
    assert first["client_id"] is None
    assert first["counterparty_user_id"] is None
    assert first["reverses"] is None


def test_a_replay_or_a_refusal_adds_no_event(
    api: Conn, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    used = key()
    post(conn, "topup", user, asset, 5, idempotency_key=used)
    start = last_event_id(api)
    post(conn, "topup", user, asset, 5, idempotency_key=used)
    with raises_sqlstate("PW020"):
        post(conn, "spend", user, asset, 50)
    assert read_all(api, start) == []


def test_a_posting_that_commits_late_is_not_skipped(
    db_url: str, api: Conn, conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    """The classic gap: T1 takes its number, T2..T4 take later ones and commit,
    a reader reads past them, then T1 commits. The reader still gets T1, once."""
    held_user = new_user()
    start = last_event_id(api)
    with psycopg.connect(db_url, row_factory=dict_row) as held:
        held_receipt = post(held, "topup", held_user, asset, 1)  # open, not committed
        later = [post(conn, "topup", new_user(), asset, 1) for _ in range(3)]

        seen = read_all(api, start)
        assert [e["transaction_id"] for e in seen] == [r["transaction_id"] for r in later]
        # T1 did take a smaller number than the ones the reader has passed.
        seqs = {
            r["id"]: r["seq"]
            for r in conn.execute(
                "select id, seq from ledger.transactions where id = any(%s)",
                [[r["transaction_id"] for r in later]],
            )
        }
        held_seq = one(
            held,
            "select seq from ledger.transactions where id = %s",
            [held_receipt["transaction_id"]],
        )["seq"]
        assert held_seq < min(seqs.values())
        held.commit()

    after_commit = read_all(api, seen[-1]["event_id"])
    assert [e["transaction_id"] for e in after_commit] == [held_receipt["transaction_id"]]
    assert after_commit[0]["event_id"] > seen[-1]["event_id"]
    # And nothing more, ever: it is not delivered twice.
    assert read_all(api, after_commit[0]["event_id"]) == []
    everything = [e["transaction_id"] for e in read_all(api, start)]
    assert sorted(everything) == sorted(
        [held_receipt["transaction_id"]] + [r["transaction_id"] for r in later]
    )


def test_a_rolled_back_posting_leaves_no_event(
    db_url: str, api: Conn, user: uuid.UUID, asset: str
) -> None:
    start = last_event_id(api)
    with psycopg.connect(db_url, row_factory=dict_row) as aborted:
        post(aborted, "topup", user, asset, 1)
        assert read_all(api, start) == []
        aborted.rollback()
    assert read_all(api, start) == []


def test_readers_paging_during_concurrent_postings_see_each_once(
    db_url: str, api: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    """Four sessions post while two readers page with small pages: each reader
    ends with every transaction exactly once, in increasing event_id."""
    users = [new_user() for _ in range(8)]
    start = last_event_id(api)
    posted: list[uuid.UUID] = []
    done = threading.Event()
    lock = threading.Lock()

    def poster(index: int) -> None:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as session:
            for n in range(60):
                receipt = post(session, "topup", users[(index + n) % len(users)], asset, 1)
                with lock:
                    posted.append(receipt["transaction_id"])

    def reader(into: list[dict[str, Any]]) -> None:
        after = start
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as session:
            session.execute("set role wallet_api")
            while True:
                finished = done.is_set()
                page = session.execute("select * from wallet.events(%s, 7)", [after]).fetchall()
                into.extend(page)
                if page:
                    after = page[-1]["event_id"]
                elif finished:
                    return

    posters = [threading.Thread(target=poster, args=(i,)) for i in range(4)]
    readings: list[list[dict[str, Any]]] = [[], []]
    readers = [threading.Thread(target=reader, args=(r,)) for r in readings]
    for thread in posters + readers:
        thread.start()
    for thread in posters:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()

    for events in readings:
        ids = [e["event_id"] for e in events]
        assert ids == sorted(set(ids))
        assert sorted(e["transaction_id"] for e in events) == sorted(posted)


def test_bad_arguments_are_refused(api: Conn) -> None:
    for after, limit in [(-1, 10), (None, 10), (0, 0), (0, 501)]:
        with raises_sqlstate("PW002"):
            api.execute("select * from wallet.events(%s, %s)", [after, limit])


def test_a_repeatable_read_reader_gets_what_is_numbered(
    db_url: str, api: Conn, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    """Outside READ COMMITTED the call numbers nothing (it could not do so
    safely) and returns what other readers have numbered."""
    start = last_event_id(api)
    receipt = post(conn, "topup", user, asset, 1)
    with psycopg.connect(db_url, row_factory=dict_row) as report:
        report.execute("set transaction isolation level repeatable read")
        assert report.execute("select * from wallet.events(%s)", [start]).fetchall() == []
    assert [e["transaction_id"] for e in read_all(api, start)] == [receipt["transaction_id"]]


def test_a_transfer_and_a_reversal_name_their_counterparty_and_original(
    api: Conn, conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    sender, receiver = new_user(), new_user()
    post(conn, "topup", sender, asset, 50)
    start = last_event_id(api)
    transfer = one(
        conn,
        "select * from wallet.transfer(%s, %s, %s, 20, %s)",
        [sender, receiver, asset, key()],
    )
    reversal = one(
        conn, "select * from wallet.reverse(%s, %s, 5)", [transfer["transaction_id"], key()]
    )

    events = read_all(api, start)

    assert [(e["transaction_id"], e["kind"]) for e in events] == [
        (transfer["transaction_id"], "transfer"),
        (reversal["transaction_id"], "reversal"),
    ]
    assert (events[0]["user_id"], events[0]["counterparty_user_id"]) == (sender, receiver)
    assert events[0]["reverses"] is None
    # The reversal debits the receiver and credits the sender back.
    assert (events[1]["user_id"], events[1]["counterparty_user_id"]) == (receiver, sender)
    assert events[1]["reverses"] == transfer["transaction_id"]
    assert events[1]["amount"] == 5


def test_an_asset_summary_adds_up_and_verifies(
    api: Conn, conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    alice, bob, carol = new_user(), new_user(), new_user()
    post(conn, "topup", alice, asset, 100)
    post(conn, "bonus", bob, asset, 50)
    post(conn, "spend", alice, asset, 30)
    post(conn, "topup", carol, asset, 5)
    post(conn, "spend", carol, asset, 5)
    for amount, expires_in in [(20, "15 minutes"), (7, "1 second")]:
        conn.execute(
            "select wallet.hold(%s, %s, %s, %s, %s::interval)",
            [alice, asset, amount, f"summary-hold-{amount}", expires_in],
        )
    time.sleep(1.1)  # the second hold expires: it reserves nothing

    summary = one(api, "select * from wallet.asset_summary(%s)", [asset])

    assert summary == {
        "asset": asset,
        "issued": 155,
        "revenue": 35,
        "in_circulation": 120,
        "held": 20,
        "holders": 2,
        "verified": True,
        "verify_detail": "its balances sum to 0, none is below 0, each equals its entries",
    }
    with raises_sqlstate("PW011"):
        api.execute("select * from wallet.asset_summary('no_such_asset')")


def test_an_asset_summary_shows_a_tampered_balance(
    conn: Conn, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    asset = new_asset()
    post(conn, "topup", user, asset, 10)
    with conn.transaction(force_rollback=True):
        # What only an owner who disables the guards can do (contract section 12).
        conn.execute("alter table ledger.wallets disable trigger user")
        conn.execute(
            "update ledger.wallets set balance = 11 where user_id = %s and asset = %s",
            [user, asset],
        )
        summary = one(conn, "select verified, verify_detail from wallet.asset_summary(%s)", [asset])
    assert summary == {
        "verified": False,
        "verify_detail": "its balances sum to 1, not 0; 1 wallets differ from their entries",
    }


def test_the_feed_is_append_only_and_verify_says_so(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 5)
    read_all(conn, 0)  # numbered now

    for statement in (
        "update ledger.events set transaction_id = gen_random_uuid()",
        "delete from ledger.events",
        "truncate ledger.events",
    ):
        with raises_sqlstate("PW060"):
            conn.execute(statement)
    conn.execute("alter table ledger.events disable trigger _100_append_only")
    try:
        checks = {r["check_name"]: r for r in conn.execute("select * from wallet.verify()")}
    finally:
        conn.execute("alter table ledger.events enable trigger _100_append_only")
    assert not checks["append_only_enforced"]["ok"]
    assert "_100_append_only on ledger.events" in checks["append_only_enforced"]["detail"]
