"""Failover without a restart: a multi-host DATABASE_URL, and a primary that turns read-only.

The cluster itself (Patroni, kill -9 of the primary) is `make test-ha`
(tests/ha/); here, on the test server alone: libpq skips a host that is down
for the next one, and a server that refuses writes (SQLSTATE 25006, what a
demoted primary answers) makes postings and readiness 503, never 500, until
it takes writes again, with no restart of the facade.
"""

import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgwallet.http.settings import Settings
from pgwallet.testing import free_port
from tests.http.support import assert_problem, bearer, posting, terminate_facade_sessions
from tests.support import Conn, key


def test_a_multi_host_url_skips_a_host_that_is_down(
    serve: Callable[[Settings], str],
    db_url: str,
    token: str,
) -> None:
    server = conninfo_to_dict(db_url)
    url = make_conninfo(
        db_url,
        host=f"127.0.0.1,{server.get('host') or '127.0.0.1'}",
        port=f"{free_port()},{server.get('port') or 5432}",
        target_session_attrs="read-write",
    )
    with httpx.Client(base_url=serve(Settings(database_url=url)), headers=bearer(token)) as http:
        assert http.get("/health/ready").status_code == 200
        assert http.get("/v1/assets").status_code == 200


@pytest.fixture
def read_only_database(conn: Conn) -> Iterator[Callable[[bool], None]]:
    """Turn this module's database read-only and back, as a demoted primary and a promoted one;
    the facade's sessions end each time, as they do at a failover."""
    database = sql.Identifier(conn.info.dbname)

    def turn(read_only: bool) -> None:
        conn.execute(
            sql.SQL("alter database {} set default_transaction_read_only = {}").format(
                database, sql.Literal("on" if read_only else "off")
            )
        )
        terminate_facade_sessions(conn)

    yield turn
    conn.execute(sql.SQL("alter database {} reset default_transaction_read_only").format(database))


def test_a_read_only_server_is_503_and_not_ready_until_it_takes_writes(
    serve: Callable[[Settings], str],
    db_url: str,
    token: str,
    read_only_database: Callable[[bool], None],
    user: uuid.UUID,
    asset: str,
) -> None:
    with httpx.Client(base_url=serve(Settings(database_url=db_url)), headers=bearer(token)) as http:
        read_only_database(True)
        refused = http.post(
            "/v1/transactions/topup",
            json=posting(user, asset, 1),
            headers={"Idempotency-Key": key()},
        )
        assert_problem(refused, 503, "unavailable")
        assert_problem(http.get("/health/ready"), 503, "unavailable")
        assert http.get("/v1/assets").status_code == 200  # reads still served
        read_only_database(False)
        # A session the pool was opening meanwhile may still be read-only:
        # ready again within a few probes, as an orchestrator would see it.
        assert any(_ready(http) for _ in range(50))
        accepted = http.post(
            "/v1/transactions/topup",
            json=posting(user, asset, 1),
            headers={"Idempotency-Key": key()},
        )
        assert accepted.status_code == 201, accepted.text


def _ready(http: httpx.Client) -> bool:
    """One readiness probe, after a short pause when it fails."""
    if http.get("/health/ready").status_code == 200:
        return True
    time.sleep(0.1)
    return False
