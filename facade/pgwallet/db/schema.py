"""Is a database migrated to this version of pgwallet?

`pgwallet migrate` records in `ledger.sql_objects` the `version()` of the
files it applied: the sha256 of `sql/` and `migrations/`. The function
`wallet.schema_version()` (granted to wallet_api) reads it back, so the
facade's readiness probe and every command can tell a database that is
migrated to their own version from one that is not migrated at all, or
migrated by an older (or newer) pgwallet, and say "run pgwallet migrate"
instead of failing later on a missing function.
"""

import functools
import hashlib
from pathlib import Path

import psycopg

from pgwallet.db.sources import MIGRATIONS_DIR, SQL_DIR

NOT_MIGRATED = "the database is not migrated: run pgwallet migrate"
OTHER_VERSION = (
    "the database is migrated by another version of pgwallet: run this version's pgwallet migrate"
)

# What calling wallet.schema_version() raises where it is missing: a database
# never migrated, or migrated by a version older than the function.
ABSENT = (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName)


class NotMigratedError(Exception):
    """The database is not migrated to this version; the message says what to do."""


def sql_files() -> list[Path]:
    """The files of `sql/`, in the order they are applied."""
    return sorted(SQL_DIR.glob("*.sql"))


@functools.cache
def version() -> str:
    """The sha256 of the `sql/` and `migrations/` files, names and contents, in order."""
    digest = hashlib.sha256()
    for path in [*sql_files(), *sorted(MIGRATIONS_DIR.glob("*.sql"))]:
        digest.update(path.parent.name.encode() + b"/" + path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def mismatch(recorded: str | None) -> str | None:
    """Why a database whose wallet.schema_version() is `recorded` is not ready; None if it is."""
    if recorded is None:
        return NOT_MIGRATED
    return None if recorded == version() else OTHER_VERSION


def require_current(conninfo: str) -> None:
    """Raise NotMigratedError unless the database is migrated to this version."""
    with psycopg.connect(conninfo) as conn:
        try:
            row = conn.execute("select wallet.schema_version()").fetchone()
        except ABSENT:
            raise NotMigratedError(NOT_MIGRATED) from None
    if reason := mismatch(row[0] if row else None):
        raise NotMigratedError(reason)
