"""`pgwallet migrate`: bring a database to the current schema.

Two steps, both idempotent. First yoyo applies the pending migrations of
`migrations/` (tables, constraints, indexes: versioned, never edited once
released). Then the files of `sql/` (schema `wallet`: types, functions,
triggers, grants) are applied in name order in one transaction, when the
version recorded in `ledger.sql_objects` (the checksum of both folders, see
pgwallet.db.schema) differs from ours or a migration was just applied (it may
have dropped what they define, such as a trigger with its table). We do this
ourselves rather than in a yoyo post-apply hook because yoyo runs those only
when a migration was pending.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations

from pgwallet.db import schema
from pgwallet.db.sources import MIGRATIONS_DIR

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
    checksum = schema.version()
    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        row = conn.execute("select checksum from ledger.sql_objects").fetchone()
        if row is not None and row[0] == checksum and not after_migrations:
            return False
        for path in schema.sql_files():
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
