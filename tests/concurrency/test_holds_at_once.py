"""Holds, captures, releases and spends from many real connections at once: holds are
guarded by their user's row lock, so no credit is reserved or taken twice."""

import uuid
from collections import Counter
from typing import Any

from tests.concurrency.test_postings_at_once import run_at_once
from tests.sql.test_holds import capture, hold, line, release
from tests.support import Conn, post, verify


def test_twenty_holds_of_ten_on_a_hundred(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)

    outcomes = run_at_once(db_url, [lambda c: hold(c, user, asset, 10) for _ in range(20)])

    assert sum(isinstance(o, dict) for o in outcomes) == 10
    assert Counter(o for o in outcomes if isinstance(o, str)) == {"PW020": 10}
    assert line(conn, user, asset) == (100, 100, 0)
    assert all(verify(conn).values())


def test_a_capture_racing_a_release_has_one_winner(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)
    holds = [hold(conn, user, asset, 10)["hold_id"] for _ in range(8)]

    def race(hold_id: uuid.UUID) -> list[Any]:
        return run_at_once(db_url, [lambda c: capture(c, hold_id), lambda c: release(c, hold_id)])

    results = [race(hold_id) for hold_id in holds]

    for captured, released in results:
        winners = [o for o in (captured, released) if isinstance(o, dict)]
        assert len(winners) == 1, (captured, released)
        assert "PW025" in (captured, released)
    spent = sum(10 for captured, _ in results if isinstance(captured, dict))
    assert line(conn, user, asset) == (100 - spent, 0, 100 - spent)
    assert all(verify(conn).values())


def test_holds_racing_spends_never_hold_more_than_the_balance(
    conn: Conn, db_url: str, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, 100)

    calls = [lambda c: hold(c, user, asset, 10) for _ in range(10)] + [
        lambda c: post(c, "spend", user, asset, 10) for _ in range(10)
    ]
    outcomes = run_at_once(db_url, calls)

    holds, spends = outcomes[:10], outcomes[10:]
    held = 10 * sum(isinstance(o, dict) for o in holds)
    spent = 10 * sum(isinstance(o, dict) for o in spends)
    assert set(o for o in outcomes if isinstance(o, str)) <= {"PW020"}, outcomes
    assert held + spent == 100
    assert line(conn, user, asset) == (100 - spent, held, 0)
    assert all(verify(conn).values())
