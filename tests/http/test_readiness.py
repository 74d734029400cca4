"""Readiness tells the truth: ready means reachable, migrated to this version and
`wallet_api` usable; otherwise 503 with the reason. The app refuses to start on a
database that is not migrated, and a missing API function is a 503, never a 500."""

import uuid
from collections.abc import Iterator
from typing import LiteralString

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.rows import dict_row

from pgwallet.db import schema, target
from pgwallet.http.app import create_app
from pgwallet.http.database import NotReadyError
from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, bearer
from tests.support import create_client


@pytest.fixture
def own_db(server_url: str, template_database: str) -> Iterator[str]:
    """A migrated database of this test alone, since the test damages it."""
    name = f"pgwallet_test_ready_{uuid.uuid4().hex[:8]}"
    with target.temporary_database(server_url, name, template=template_database) as url:
        yield url


@pytest.fixture
def served(own_db: str) -> Iterator[Client]:
    """The app on `own_db`, signed in with a client of every scope."""
    with psycopg.connect(own_db, autocommit=True, row_factory=dict_row) as conn:
        token = create_client(conn, ["all"])["token"]
    with TestClient(
        create_app(Settings(database_url=own_db)), base_url="http://127.0.0.1"
    ) as client:
        client.headers.update(bearer(str(token)))
        yield client


def _owner(url: str, statement: LiteralString) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def test_a_current_database_is_ready(served: Client) -> None:
    assert served.get("/health/ready").json() == {"status": "ok"}


def test_a_database_migrated_by_another_version_is_not_ready(served: Client, own_db: str) -> None:
    _owner(own_db, "update ledger.sql_objects set checksum = 'from an older release'")

    problem = assert_problem(served.get("/health/ready"), 503, "unavailable")

    assert problem["detail"] == schema.OTHER_VERSION
    assert served.get("/health").status_code == 200  # alive all the same


def test_a_database_older_than_the_version_function_is_not_ready(
    served: Client, own_db: str
) -> None:
    _owner(own_db, "drop function wallet.schema_version()")
    _owner(own_db, "drop function wallet.list_assets()")

    problem = assert_problem(served.get("/health/ready"), 503, "unavailable")
    assert problem["detail"] == schema.NOT_MIGRATED
    # A route whose function is missing is unavailable, not a bug of ours.
    problem = assert_problem(served.get("/v1/assets"), 503, "unavailable")
    assert "not migrated" in problem["detail"]


def test_an_unusable_api_role_is_not_ready_and_says_why(served: Client, own_db: str) -> None:
    _owner(own_db, "revoke execute on function wallet.schema_version() from wallet_api")

    problem = assert_problem(served.get("/health/ready"), 503, "unavailable")

    assert "permission denied for function schema_version" in problem["detail"]
    assert "wallet_api" in problem["detail"]


@pytest.mark.usefixtures("template_database")  # the roles exist: only the database is empty
def test_the_app_refuses_to_start_on_an_unmigrated_database(server_url: str) -> None:
    name = f"pgwallet_test_empty_{uuid.uuid4().hex[:8]}"
    with target.temporary_database(server_url, name) as url:
        app = create_app(Settings(database_url=url))
        with (
            pytest.RaisesGroup(
                pytest.RaisesExc(
                    NotReadyError, match="^pgwallet cannot start: the database is not"
                ),
                allow_unwrapped=True,
                flatten_subgroups=True,
            ),
            TestClient(app),
        ):
            pass
