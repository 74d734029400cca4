"""A system wallet's total stays within bigint, whichever of its 64 slots each posting takes."""

import uuid
from collections.abc import Callable

import psycopg
from psycopg.rows import dict_row

from tests.support import Conn, balance, one, post, raises_sqlstate, verify

MAX = 2**63 - 1
HALF = MAX // 2 + 1  # 2^62: two of them fill the treasury's range


def treasury_total(conn: Conn, asset: str) -> int:
    row = one(
        conn,
        "select sum(balance) as total from ledger.wallets where asset = %s and holder = 'treasury'",
        [asset],
    )
    return int(row["total"])


def test_topups_from_several_sessions_cannot_issue_beyond_bigint(
    db_url: str, conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    """Each session takes a slot of its own; the second 2^62 reaches -2^63 exactly, the third
    would pass it and is refused, though its own slot has room."""
    users = [new_user() for _ in range(3)]
    sessions = [psycopg.connect(db_url, autocommit=True, row_factory=dict_row) for _ in range(3)]
    try:
        post(sessions[0], "topup", users[0], asset, HALF)
        post(sessions[1], "topup", users[1], asset, HALF)
        with raises_sqlstate("PW021") as error:
            post(sessions[2], "topup", users[2], asset, 1)
    finally:
        for session in sessions:
            session.close()
    assert "would leave bigint" in str(error.value)
    assert treasury_total(conn, asset) == -(2**63)
    assert balance(conn, users[2], asset) == 0
    assert all(verify(conn).values())


def test_one_posting_of_the_largest_amount_stays_valid(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    receipt = post(conn, "topup", user, asset, MAX)
    assert receipt["balance"] == MAX
    assert treasury_total(conn, asset) == -MAX
    spent = post(conn, "spend", user, asset, MAX)
    assert spent["balance"] == 0
    assert all(verify(conn).values())


def test_a_wallet_near_the_limit_keeps_posting_with_its_total_checked(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    post(conn, "topup", user, asset, HALF)
    flagged = one(
        conn,
        "select bool_and(near_limit) as flagged from ledger.wallets"
        " where asset = %s and holder = 'treasury'",
        [asset],
    )
    assert flagged["flagged"]
    # Until a posting brings every slot back within its 64th (only a clawback
    # can, for the treasury), each posting locks all 64 slots and checks the total.
    post(conn, "topup", user, asset, 1)
    assert treasury_total(conn, asset) == -(HALF + 1)
