"""`pgwallet migrate`: bring a database to the current schema.

Two steps, both idempotent. First yoyo applies the pending migrations of
`migrations/` (tables, constraints, indexes: versioned, never edited once
released). Then the files of `sql/` (schema `wallet`: types, functions,
triggers, grants) are applied in name order in one transaction, when their
checksum differs from the one recorded in `ledger.sql_objects` or a
migration was just applied (it may have dropped what they define, such as a
trigger with its table). We do this
ourselves rather than in a yoyo post-apply hook because yoyo runs those only
when a migration was pending.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations

from pgwallet.db.sources import MIGRATIONS_DIR, SQL_DIR

# Serializes concurrent `pgwallet migrate` runs on one database.
_ADVISORY_LOCK_KEY = 0x70677761  # "pgwa"


@dataclass(frozen=True)
class MigrationReport:
    """What a migration run changed."""

    migrations_applied: list[str]
    sql_applied: bool


def yoyo_uri(conninfo: str) -> str:
    """A yoyo URI for the psycopg 3 backend; every parameter but the database goes in the query."""
    params = conninfo_to_dict(conninfo)
    dbname = params.pop("dbname", "")
    return f"postgresql+psycopg:///{dbname}?{urlencode(params)}"


def sql_files() -> list[Path]:
    """The files of `sql/`, in the order they are applied."""
    return sorted(SQL_DIR.glob("*.sql"))


def sql_checksum() -> str:
    """The sha256 of the `sql/` files, names and contents, in order."""
    digest = hashlib.sha256()
    for path in sql_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _apply_migrations(conninfo: str) -> list[str]:
    backend = get_backend(yoyo_uri(conninfo))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    try:
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    return [migration.id for migration in pending]


def _apply_sql(conninfo: str, *, after_migrations: bool) -> bool:
    checksum = sql_checksum()
    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        row = conn.execute("select checksum from ledger.sql_objects").fetchone()
        if row is not None and row[0] == checksum and not after_migrations:
            return False
        for path in sql_files():
            conn.execute(path.read_text().encode())  # our own trusted files, no parameters
        conn.execute(
            """
            insert into ledger.sql_objects (checksum) values (%s)
            on conflict (id) do update set checksum = excluded.checksum, applied_at = now()
            """,
            [checksum],
        )
    return True


def migrate(conninfo: str) -> MigrationReport:
    """Apply pending migrations, then `sql/` if it changed or a migration was applied."""
    applied = _apply_migrations(conninfo)
    return MigrationReport(applied, _apply_sql(conninfo, after_migrations=bool(applied)))
