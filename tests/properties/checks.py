"""Checks of the database against the model, read as the owner (the API role cannot see tables).

Shared by the state machine's invariants and the concurrency and fault
properties, so every property judges the ledger the same way.
"""

from tests.properties.model import Model
from tests.support import Conn


def assert_verify_passes(owner: Conn) -> None:
    """select * from wallet.verify(): every check ok."""
    failed = [row for row in owner.execute("select * from wallet.verify()") if not row["ok"]]
    assert not failed, failed


def assert_wallets_add_up(owner: Conn, model: Model) -> None:
    """No user wallet is negative; per asset, users, treasury and revenue sum to 0, as modelled."""
    rows = owner.execute(
        "select asset, holder, sum(balance) as total, min(balance) as lowest"
        " from ledger.wallets where asset = any(%s) group by asset, holder",
        [list(model.issued)],
    ).fetchall()
    totals = {(row["asset"], row["holder"]): row["total"] for row in rows}
    assert all(row["lowest"] >= 0 for row in rows if row["holder"] == "user"), rows
    for asset in model.issued:
        users = totals.get((asset, "user"), 0)
        treasury = totals[(asset, "treasury")]
        revenue = totals[(asset, "revenue")]
        assert users + treasury + revenue == 0, (asset, users, treasury, revenue)
        assert (-treasury, revenue) == (model.issued[asset], model.revenue[asset]), asset


def assert_balances_as_modelled(owner: Conn, model: Model) -> None:
    """Every user wallet of the model's assets holds the model's balance."""
    rows = owner.execute(
        "select user_id, asset, balance from ledger.wallets"
        " where holder = 'user' and asset = any(%s)",
        [list(model.issued)],
    ).fetchall()
    actual = {(row["user_id"], row["asset"]): row["balance"] for row in rows}
    expected = {pair: model.balance(*pair) for pair in model.wallets}
    assert actual == expected
