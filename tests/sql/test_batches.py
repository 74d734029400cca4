"""wallet.post_batch: many postings, one call, one commit, each the outcome it would have alone."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.support import Conn, balance, create_client, key, post, raises_sqlstate, verify


def batch(conn: Conn, postings: Any, client_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """wallet.post_batch; its rows in order."""
    return conn.execute(
        "select * from wallet.post_batch(%s::jsonb, %s)", [json.dumps(postings), client_id]
    ).fetchall()


def item(
    kind: str, user: uuid.UUID, asset: str, amount: Any, k: str | None = None, **more: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "user_id": str(user),
        "asset": asset,
        "amount": amount,
        "idempotency_key": k or key(),
        **more,
    }


def outcomes(rows: list[dict[str, Any]]) -> list[str]:
    """Each row as 'posted', 'replayed' or its error code."""
    return [
        ("replayed" if row["replayed"] else "posted") if row["ok"] else row["error_code"]
        for row in rows
    ]


def test_postings_apply_in_order_each_seeing_the_ones_before(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    rows = batch(
        conn,
        [
            item("topup", user, asset, 100),
            item("spend", user, asset, "60"),
            item("spend", user, asset, 50),
            item("bonus", user, asset, 5, metadata={"why": "sorry"}),
            item("spend", user, asset, 45),
        ],
    )

    assert outcomes(rows) == ["posted", "posted", "PW020", "posted", "posted"]
    assert [row["balance"] for row in rows] == [100, 40, None, 45, 0]
    assert [row["item"] for row in rows] == [1, 2, 3, 4, 5]
    assert "insufficient funds" in rows[2]["error_message"]
    assert balance(conn, user, asset) == 0
    assert all(verify(conn).values())


def test_a_key_repeated_in_the_batch_replays_its_first_posting(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    k = key()
    rows = batch(
        conn,
        [
            item("topup", user, asset, 10, k),
            item("topup", user, asset, 10, k),
            item("topup", user, asset, 11, k),
        ],
    )

    assert outcomes(rows) == ["posted", "replayed", "PW030"]
    assert str(rows[0]["transaction_id"]) in rows[2]["error_detail"]
    assert rows[1]["transaction_id"] == rows[0]["transaction_id"]
    assert rows[1]["hash"] == rows[0]["hash"]
    again = batch(conn, [item("topup", user, asset, 10, k)])
    assert outcomes(again) == ["replayed"]
    assert again[0]["transaction_id"] == rows[0]["transaction_id"]
    assert balance(conn, user, asset) == 10


def test_a_batch_replays_a_single_posting_and_a_single_replays_a_batch(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    single = post(conn, "topup", user, asset, 7)
    k = key()
    first = batch(conn, [item("topup", user, asset, 3, k)])

    assert (
        post(conn, "topup", user, asset, 3, idempotency_key=k)["transaction_id"]
        == (first[0]["transaction_id"])
    )
    assert balance(conn, user, asset) == 10
    assert single["replayed"] is False


def test_a_refused_key_is_judged_again_later_in_the_batch(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    k = key()
    rows = batch(
        conn,
        [
            item("spend", user, asset, 5, k),
            item("topup", user, asset, 5),
            item("spend", user, asset, 5, k),
        ],
    )

    assert outcomes(rows) == ["PW020", "posted", "posted"]


def test_each_posting_is_refused_for_its_own_reason(
    conn: Conn, new_user: Callable[[], uuid.UUID], asset: str, new_asset: Callable[[], str]
) -> None:
    alice, bob, suspended = new_user(), new_user(), new_user()
    frozen = new_asset()
    conn.execute("select wallet.set_user_status(%s, 'suspended')", [suspended])
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [frozen])
    rows = batch(
        conn,
        [
            item("topup", alice, asset, 0),
            item("topup", alice, asset, "1.5"),
            item("topup", alice, asset, 9223372036854775808),
            item("refund", alice, asset, 1),
            {**item("topup", alice, asset, 1), "user_id": "not-a-uuid"},
            item("topup", alice, asset, 1, metadata=[1]),
            item("topup", alice, asset, 1, extra=True),
            {**item("topup", alice, asset, 1), "idempotency_key": ""},
            item("topup", uuid.uuid4(), asset, 1),
            item("topup", alice, "no_such_asset", 1),
            item("topup", alice, frozen, 1),
            item("topup", suspended, asset, 1),
            item("spend", bob, asset, 1),
            item("topup", bob, asset, 1),
        ],
    )

    assert outcomes(rows) == [
        "PW001",
        "PW001",
        "PW001",
        "PW002",
        "PW002",
        "PW002",
        "PW002",
        "PW003",
        "PW010",
        "PW011",
        "PW040",
        "PW041",
        "PW020",
        "posted",
    ]
    assert balance(conn, alice, asset) == 0
    assert all(verify(conn).values())


def test_the_refusals_are_the_ones_a_single_posting_raises(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    rows = batch(conn, [item("spend", user, asset, 5), item("topup", uuid.uuid4(), asset, 1)])
    for row, (kind, who, amount) in zip(
        rows, [("spend", user, 5), ("topup", rows[1]["user_id"], 1)], strict=True
    ):
        with pytest.raises(psycopg.Error) as error:
            post(conn, kind, who, asset, amount)
        assert (row["error_code"], row["error_message"]) == (
            error.value.sqlstate,
            error.value.diag.message_primary,
        )


@pytest.mark.parametrize(
    "postings",
    [{}, [], "x", [1], [{"kind": "topup"}, 2], [{}] * 1001],
    ids=["object", "empty", "string", "number", "not-all-objects", "too-many"],
)
def test_a_malformed_batch_is_refused_whole(conn: Conn, postings: Any) -> None:
    with raises_sqlstate("PW002"):
        batch(conn, postings)


def test_a_thousand_postings_in_one_call(
    conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    users = [new_user() for _ in range(50)]
    postings = [item("topup", users[n % 50], asset, n + 1) for n in range(1000)]

    rows = batch(conn, postings)

    assert outcomes(rows) == ["posted"] * 1000
    assert sum(balance(conn, u, asset) for u in users) == sum(range(1, 1001))
    assert all(verify(conn).values())


def test_a_client_needs_each_kinds_scope(
    api: Conn, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    shop = create_client(conn, ["topup", "batch"], max_amount=10)

    rows = batch(
        api,
        [
            item("topup", user, asset, 5),
            item("spend", user, asset, 1),
            item("topup", user, asset, 11),
        ],
        shop["client_id"],
    )

    assert outcomes(rows) == ["posted", "PW071", "PW071"]


def test_near_the_limit_the_batch_checks_the_system_totals(
    conn: Conn, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    """The treasury can issue at most 2^63 in all, whichever slots the postings take."""
    alice, bob = new_user(), new_user()
    half = 2**62 + 1

    rows = batch(conn, [item("topup", alice, asset, half), item("topup", bob, asset, half)])

    assert outcomes(rows) == ["posted", "PW021"]
    assert "balance out of range" in rows[1]["error_message"]
    assert balance(conn, bob, asset) == 0
    assert all(verify(conn).values())


def test_a_batch_that_waits_too_long_leaves_nothing(
    conn: Conn, db_url: str, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    free, busy = new_user(), new_user()
    postings = [item("topup", free, asset, 5), item("topup", busy, asset, 5)]
    with psycopg.connect(db_url) as holder:
        holder.execute("select from ledger.users where id = %s for update", [busy])
        conn.execute("set lock_timeout = '200ms'")
        try:
            with raises_sqlstate("PW032"):
                batch(conn, postings)
        finally:
            conn.execute("reset lock_timeout")

    assert outcomes(batch(conn, postings)) == ["posted", "posted"]  # the same keys, again
    assert (balance(conn, free, asset), balance(conn, busy, asset)) == (5, 5)
