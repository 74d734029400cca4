"""Fixtures shared by every test layer: a real PostgreSQL, fresh databases.

Without DATABASE_URL the session starts one throwaway embedded server; with
it, the tests use that server and create and drop only databases named
`pgwallet_test_*`. A template database is migrated once per session and each
test module gets its own clone, so modules never see each other's data.

A run stopped by SIGTERM or SIGHUP (a timeout, `kill`, a closed terminal, make
stopped) ends as Ctrl-C ends it: pytest tears the session down, so the
throwaway server stops rather than running on, orphaned
(tests/commands/test_interrupted_run.py).
"""

import itertools
import os
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import psycopg
import pytest
from psycopg.rows import dict_row

from pgwallet.db import embedded, target
from pgwallet.db.migrate import migrate
from tests.support import Conn

_SESSION_TAG = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
_module_numbers = itertools.count()


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    # Once: a second signal must not cut the teardown that the first one started.
    for each in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def pytest_configure(config: pytest.Config) -> None:
    """Stop on SIGTERM and SIGHUP as on Ctrl-C, tearing the session's fixtures down."""
    for each in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, _interrupt)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to a maintenance database of the test server."""
    if url := os.environ.get(target.DATABASE_URL_ENV):
        yield url
        return
    data_dir: Path = tmp_path_factory.mktemp("embedded") / "pgdata"
    with embedded.running_server(data_dir, throwaway=True) as url:
        yield url


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    """A database migrated once per session, the template of every test database."""
    name = f"pgwallet_test_template_{_SESSION_TAG}"
    with target.temporary_database(server_url, name) as url:
        migrate(url)
        yield name


@pytest.fixture(scope="module")
def db_url(server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for this test module."""
    name = f"pgwallet_test_{_SESSION_TAG}_{next(_module_numbers)}"
    with target.temporary_database(server_url, name, template=template_database) as url:
        yield url


@pytest.fixture
def conn(db_url: str) -> Iterator[Conn]:
    """A connection as the schema owner (the DBA in psql), autocommit."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as connection:
        yield connection


@pytest.fixture
def api(db_url: str) -> Iterator[Conn]:
    """A connection as the facade has it: role wallet_api, autocommit."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as connection:
        connection.execute("set role wallet_api")
        yield connection


@pytest.fixture
def new_asset(conn: Conn) -> Callable[[], str]:
    """Create a fresh active asset; returns its code."""

    def create() -> str:
        code = f"asset_{uuid.uuid4().hex[:12]}"
        conn.execute("select wallet.create_asset(%s, %s)", [code, code.replace("_", " ").title()])
        return code

    return create


@pytest.fixture
def new_user(conn: Conn) -> Callable[[], uuid.UUID]:
    """Create a fresh active user; returns their id."""

    def create() -> uuid.UUID:
        tag = uuid.uuid4().hex[:12]
        row = conn.execute(
            "select wallet.create_user(%s, %s) as id", [f"User {tag}", f"{tag}@example.com"]
        ).fetchone()
        assert row is not None
        return uuid.UUID(str(row["id"]))

    return create


@pytest.fixture
def asset(new_asset: Callable[[], str]) -> str:
    """A fresh asset for this test."""
    return new_asset()


@pytest.fixture
def user(new_user: Callable[[], uuid.UUID]) -> uuid.UUID:
    """A fresh user for this test."""
    return new_user()
