"""`pgwallet migrate` and `pgwallet seed` are idempotent and upgrade older databases."""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from yoyo import get_backend, read_migrations

from pgwallet.db import schema, target
from pgwallet.db.migrate import migrate, yoyo_uri
from pgwallet.db.seed import USERS, seed
from pgwallet.db.sources import MIGRATIONS_DIR
from tests.support import Conn, balance, expire_keys

ALL_MIGRATIONS = sorted(
    p.stem for p in MIGRATIONS_DIR.glob("*.sql") if not p.stem.endswith(".rollback")
)


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database with nothing in it."""
    name = f"pgwallet_test_empty_{uuid.uuid4().hex[:8]}"
    with target.temporary_database(server_url, name) as url:
        yield url


def test_migrating_twice_changes_nothing_the_second_time(empty_database: str) -> None:
    first = migrate(empty_database)
    second = migrate(empty_database)

    assert first.migrations_applied == ALL_MIGRATIONS
    assert first.sql_applied
    assert second.migrations_applied == []
    assert not second.sql_applied


def test_migrating_a_database_from_its_first_version_upgrades_it(empty_database: str) -> None:
    backend = get_backend(yoyo_uri(empty_database))
    first = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0001_ledger")
    backend.apply_migrations(backend.to_apply(first))
    backend.connection.close()

    report = migrate(empty_database)

    assert report.migrations_applied == ALL_MIGRATIONS[1:]
    assert report.sql_applied
    with psycopg.connect(empty_database) as conn:
        assert all(ok for (ok,) in conn.execute("select ok from wallet.verify()"))


def test_migration_0004_moves_existing_keys_into_the_sql_callers_namespace(
    empty_database: str,
) -> None:
    backend = get_backend(yoyo_uri(empty_database))
    before = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id < "0004")
    backend.apply_migrations(backend.to_apply(before))
    backend.connection.close()
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute(
            """
            insert into ledger.users (id, name, email) values (gen_random_uuid(), 'Old', 'o@x.y');
            insert into ledger.transactions (kind, asset, user_id, amount, idempotency_key)
            select 'topup', 'coins', id, 1, 'old-key' from ledger.users;
            insert into ledger.idempotency_keys
                (key, fingerprint, transaction_id, receipt, expires_at)
            select 'old-key', '\\x00', id, '{}', now() + interval '1 day'
            from ledger.transactions;
            """
        )

    migrate(empty_database)

    with psycopg.connect(empty_database) as conn:
        assert conn.execute(
            "select namespace::text, key from ledger.idempotency_keys"
        ).fetchall() == [("00000000-0000-0000-0000-000000000000", "old-key")]
        assert conn.execute("select client_id, sql_user from ledger.transactions").fetchall() == [
            (None, None)
        ]


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
            schema.version(),
        )


def test_seeding_twice_changes_nothing_even_after_keys_expire(conn: Conn, db_url: str) -> None:
    assert seed(db_url) == 6
    expire_keys(conn)  # as if the retention had passed
    conn.execute("select wallet.purge_idempotency_keys()")

    assert seed(db_url) == 0
    for user in USERS:
        for asset, amount in user.balances.items():
            assert balance(conn, user.id, asset) == amount
    assert conn.execute("select count(*) as n from ledger.transactions").fetchone() == {"n": 6}


def test_migrate_ends_sessions_left_idle_in_a_transaction(empty_database: str) -> None:
    """They would hold row locks that stall postings (sql/95_settings.sql)."""
    migrate(empty_database)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("show idle_in_transaction_session_timeout").fetchone() == ("1min",)
