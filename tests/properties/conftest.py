"""Fixtures of the property harness: its database, behind the guard.

By default each module runs in its own fresh clone (`db_url` of
tests/conftest.py), on the embedded server or on DATABASE_URL's server. With
PGWALLET_PROPERTIES_IN_PLACE=1 it runs in DATABASE_URL's database itself (a
staging database, already migrated, DATABASE_URL naming its owner). Either
way the guard (tests/properties/guard.py) looks first and stops the session
if the database holds data the harness did not create.
"""

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from pgwallet.db import target
from tests.properties import guard
from tests.support import Conn


@pytest.fixture(scope="module")
def harness_url(request: pytest.FixtureRequest) -> str:
    """The database the harness may write to; the session stops if the guard refuses."""
    if guard.flag(guard.IN_PLACE_ENV):
        url = os.environ.get(target.DATABASE_URL_ENV)
        if not url:
            pytest.exit(f"{guard.IN_PLACE_ENV}=1 needs DATABASE_URL", returncode=4)
    else:
        url = request.getfixturevalue("db_url")
        # A throwaway clone need not wait for its commits to reach the disk:
        # the harness makes thousands of small ones. Never done in place.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter database {} set synchronous_commit = off").format(
                    sql.Identifier(conn.info.dbname)
                )
            )
    with psycopg.connect(url, row_factory=dict_row) as conn:
        reason = guard.refusal(conn)
    if reason:
        pytest.exit(reason, returncode=4)
    return url


@pytest.fixture(scope="module")
def owner(harness_url: str) -> Iterator[Conn]:
    """The schema owner (the DBA in psql), autocommit: operator functions and ledger reads."""
    with psycopg.connect(harness_url, autocommit=True, row_factory=dict_row) as connection:
        yield connection


@pytest.fixture(scope="module")
def api(harness_url: str) -> Iterator[Conn]:
    """A connection as the facade has it: role wallet_api, autocommit."""
    with psycopg.connect(harness_url, autocommit=True, row_factory=dict_row) as connection:
        connection.execute("set role wallet_api")
        yield connection
