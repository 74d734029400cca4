"""Reads: balances, history, transactions, users and assets."""

import uuid
from collections.abc import Callable

import pytest

from tests.support import Conn, balance, one, post, raises_sqlstate


def test_balance_is_zero_without_a_wallet(conn: Conn, user: uuid.UUID, asset: str) -> None:
    assert balance(conn, user, asset) == 0


def test_balance_of_unknown_user_or_asset_is_an_error(
    conn: Conn, user: uuid.UUID, asset: str
) -> None:
    with raises_sqlstate("PW010"):
        balance(conn, uuid.uuid4(), asset)
    with raises_sqlstate("PW011"):
        balance(conn, user, "no_such_asset")


def test_balances_list_active_assets_and_frozen_ones_held(
    conn: Conn, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    held, unheld_frozen, unheld = new_asset(), new_asset(), new_asset()
    post(conn, "topup", user, held, 5)
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [held])
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [unheld_frozen])

    lines = {
        r["asset"]: (r["balance"], r["asset_status"])
        for r in conn.execute("select * from wallet.balances(%s)", [user])
    }

    assert lines[held] == (5, "frozen")
    assert lines[unheld] == (0, "active")
    assert unheld_frozen not in lines
    with raises_sqlstate("PW010"):
        conn.execute("select * from wallet.balances(%s)", [uuid.uuid4()])


def test_history_is_newest_first_and_pages_by_entry_id(
    conn: Conn, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    gold, gems = new_asset(), new_asset()
    post(conn, "topup", user, gold, 100, metadata='{"note": "first"}')
    post(conn, "topup", user, gems, 3)
    post(conn, "spend", user, gold, 40)

    everything = conn.execute("select * from wallet.history(%s)", [user]).fetchall()
    assert [(h["kind"], h["direction"], h["amount"], h["balance_after"]) for h in everything] == [
        ("spend", "debit", 40, 60),
        ("topup", "credit", 3, 3),
        ("topup", "credit", 100, 100),
    ]
    assert everything[-1]["metadata"] == {"note": "first"}

    gold_only = conn.execute("select * from wallet.history(%s, %s)", [user, gold]).fetchall()
    assert [h["amount"] for h in gold_only] == [40, 100]

    page = conn.execute(
        'select * from wallet.history(user_id => %s, "limit" => 1, before => %s)',
        [user, everything[0]["entry_id"]],
    ).fetchall()
    assert [h["entry_id"] for h in page] == [everything[1]["entry_id"]]


@pytest.mark.parametrize("limit", [0, 501, -1])
def test_history_refuses_bad_page_sizes(conn: Conn, user: uuid.UUID, limit: int) -> None:
    with raises_sqlstate("PW002"):
        conn.execute("select * from wallet.history(%s, null, %s)", [user, limit])


def test_history_of_unknown_user_or_asset_is_an_error(conn: Conn, user: uuid.UUID) -> None:
    with raises_sqlstate("PW010"):
        conn.execute("select * from wallet.history(%s)", [uuid.uuid4()])
    with raises_sqlstate("PW011"):
        conn.execute("select * from wallet.history(%s, 'nope')", [user])


def test_get_transaction_returns_both_entries(conn: Conn, user: uuid.UUID, asset: str) -> None:
    receipt = post(conn, "topup", user, asset, 12, metadata='{"order": "A-1"}')

    lines = conn.execute(
        "select * from wallet.get_transaction(%s)", [receipt["transaction_id"]]
    ).fetchall()

    assert len(lines) == 2
    assert {line["transaction_id"] for line in lines} == {receipt["transaction_id"]}
    assert all(
        (line["kind"], line["asset"], line["amount"], line["user_id"]) == ("topup", asset, 12, user)
        for line in lines
    )
    assert [line["direction"] for line in lines] == ["debit", "credit"]
    with raises_sqlstate("PW012"):
        conn.execute("select * from wallet.get_transaction(%s)", [uuid.uuid4()])


def test_list_transactions_filters_and_pages(
    conn: Conn, new_user: Callable[[], uuid.UUID], new_asset: Callable[[], str]
) -> None:
    alice, bob = new_user(), new_user()
    gold, gems = new_asset(), new_asset()
    post(conn, "topup", alice, gold, 10)
    post(conn, "bonus", alice, gems, 2)
    post(conn, "spend", alice, gold, 3)
    post(conn, "topup", bob, gold, 1)

    def kinds(**filters: object) -> list[str]:
        rows = conn.execute(
            "select * from wallet.list_transactions(user_id => %(user_id)s, asset => %(asset)s, "
            'kind => %(kind)s, "limit" => %(limit)s, before => %(before)s)',
            {"user_id": None, "asset": None, "kind": None, "limit": 50, "before": None, **filters},
        ).fetchall()
        assert len(rows) % 2 == 0  # two lines per transaction
        return [r["kind"] for r in rows[::2]]

    assert kinds(user_id=alice) == ["spend", "bonus", "topup"]
    assert kinds(user_id=alice, asset=gold) == ["spend", "topup"]
    assert kinds(user_id=alice, kind="bonus") == ["bonus"]
    assert kinds(asset=gold, limit=2) == ["topup", "spend"]
    newest = one(conn, "select seq from wallet.list_transactions(%s, null, null, 1)", [alice])
    assert kinds(user_id=alice, before=newest["seq"]) == ["bonus", "topup"]
    with raises_sqlstate("PW002"):
        kinds(kind="refund")
    with raises_sqlstate("PW010"):
        kinds(user_id=uuid.uuid4())


def test_users_are_listed_searched_and_paged(conn: Conn) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = [
        one(
            conn,
            "select wallet.create_user(%s, %s) as id",
            [f"{name} {tag}", f"{name}.{tag}@Example.com"],
        )["id"]
        for name in ("Carol", "Dave", "Erin_")
    ]

    found = conn.execute("select * from wallet.list_users(%s)", [tag.upper()]).fetchall()
    assert [u["id"] for u in found] == ids
    assert [
        u["name"] for u in conn.execute("select * from wallet.list_users(%s)", [f"dave {tag}"])
    ] == [f"Dave {tag}"]
    assert conn.execute("select * from wallet.list_users('%%')").fetchall() == []  # no wildcards
    page = conn.execute("select * from wallet.list_users(%s, 2, %s)", [tag, ids[0]]).fetchall()
    assert [u["id"] for u in page] == ids[1:]
    assert one(conn, "select * from wallet.get_user(%s)", [ids[1]])["email"] == (
        f"Dave.{tag}@Example.com"
    )


def test_assets_are_listed_by_code(conn: Conn, asset: str) -> None:
    codes = [a["code"] for a in conn.execute("select * from wallet.list_assets()")]
    assert asset in codes
    assert codes == sorted(codes)
    assert one(conn, "select * from wallet.get_asset(%s)", [asset])["status"] == "active"
    with raises_sqlstate("PW011"):
        conn.execute("select * from wallet.get_asset('nope')")
