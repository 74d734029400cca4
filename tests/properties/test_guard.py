"""The guard tells the harness's own rows from anyone else's and refuses to run beside the latter.

Each test writes inside a transaction that it rolls back, so it leaves no
trace even when the harness runs in place on a staging database.
"""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.properties import guard, statements
from tests.properties.model import Request
from tests.support import Conn


@pytest.fixture
def rolled_back(harness_url: str) -> Iterator[Conn]:
    """An owner connection whose every change is rolled back at the end."""
    with (
        psycopg.connect(harness_url, row_factory=dict_row) as conn,
        conn.transaction(force_rollback=True),
    ):
        yield conn


def add_user_with_a_topup(conn: Conn, email: str, asset: str) -> None:
    """A user of this email, credited 10 of a new asset of this code."""
    user_id = uuid.uuid4()
    conn.execute(statements.create_asset(asset, f"Asset {asset}"))
    conn.execute(statements.create_user("Someone", email, user_id))
    conn.execute(statements.posting(f"key-{user_id}", Request("topup", user_id, asset, 10)))


def test_the_harness_own_rows_are_not_foreign_data(rolled_back: Conn) -> None:
    before = guard.foreign_data(rolled_back)
    names = guard.Names()

    add_user_with_a_topup(rolled_back, names.user()[1], names.asset())

    assert guard.foreign_data(rolled_back) == before


def test_anyone_else_s_rows_are_foreign_data(rolled_back: Conn) -> None:
    before = guard.foreign_data(rolled_back)

    add_user_with_a_topup(rolled_back, f"{uuid.uuid4().hex}@example.com", "gold_coins_x")

    after = guard.foreign_data(rolled_back)
    assert {name: after[name] - before.get(name, 0) for name in after} == {
        "users": 1,
        "assets": 1,
        "transactions": 1,
    }


def test_the_guard_refuses_foreign_data_unless_told_otherwise(
    rolled_back: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user_with_a_topup(rolled_back, f"{uuid.uuid4().hex}@example.com", "gold_coins_x")

    monkeypatch.delenv(guard.ALLOW_FOREIGN_DATA_ENV, raising=False)
    reason = guard.refusal(rolled_back)
    assert reason is not None
    assert "did not create" in reason
    assert guard.ALLOW_FOREIGN_DATA_ENV in reason

    monkeypatch.setenv(guard.ALLOW_FOREIGN_DATA_ENV, "1")
    assert guard.refusal(rolled_back) is None
