"""`pgwallet migrate` and `pgwallet seed` are idempotent and upgrade older databases."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgwallet import database
from pgwallet.migrate import migrate, sql_checksum
from pgwallet.seed import USERS, seed
from tests.support import Conn, balance


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database with nothing in it."""
    name = f"pgwallet_test_empty_{uuid.uuid4().hex[:8]}"
    database.create_database(server_url, name)
    yield database.with_database(server_url, name)
    database.drop_database(server_url, name)


def test_migrating_twice_changes_nothing_the_second_time(empty_database: str) -> None:
    first = migrate(empty_database)
    second = migrate(empty_database)

    assert first.migrations_applied == ["0001_ledger"]
    assert first.sql_applied
    assert second.migrations_applied == []
    assert not second.sql_applied


def test_migrating_a_database_with_older_functions_recreates_them(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("update ledger.sql_objects set checksum = 'from an older release'")
        conn.execute("drop function wallet.get_asset(text)")

    report = migrate(db_url)

    assert report.sql_applied
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select to_regprocedure('wallet.get_asset(text)')").fetchone() != (
            None,
        )
        assert conn.execute("select checksum from ledger.sql_objects").fetchone() == (
            sql_checksum(),
        )


def test_seeding_twice_changes_nothing_even_after_keys_expire(conn: Conn, db_url: str) -> None:
    assert seed(db_url) == 6
    conn.execute("delete from ledger.idempotency_keys")  # as if the retention had passed

    assert seed(db_url) == 0
    for user in USERS:
        for asset, amount in user.balances.items():
            assert balance(conn, user.id, asset) == amount
    assert conn.execute("select count(*) as n from ledger.transactions").fetchone() == {"n": 6}
