"""The HTTP acceptance through PgBouncer in transaction pooling mode.

Debian's PgBouncer runs on loopback before this module's database with two
server sessions for the facade's eight pooled connections, so consecutive
transactions of one connection land on different server sessions: anything
the facade left in a session (a role, a timeout) would be missing or leak.
The facade connects as the production role: a login role that is only a
member of `wallet_api`, whose own time zone is not UTC (receipts must still
print UTC). A representative set of the HTTP tests runs again here, through
the module's `settings`, which point at PgBouncer; then what needs real
concurrency, and PgBouncer's own count of the transactions it carried.
"""

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, post, post_at_once, posting, topup
from tests.http.test_errors import (  # noqa: F401  (run again, through PgBouncer)
    test_balance_out_of_range,
    test_data_the_database_refuses_is_a_400_not_a_500,
    test_email_taken_in_any_case,
    test_frozen_asset_and_suspended_user,
    test_insufficient_funds_changes_nothing,
    test_unknown_user_asset_and_transaction,
)
from tests.http.test_idempotency import (  # noqa: F401
    test_a_key_in_progress_is_409_with_retry_after_then_replays,
    test_a_key_reused_with_another_request_is_409,
    test_a_refusal_leaves_the_key_free,
    test_a_replay_answers_the_first_status_and_body,
)
from tests.http.test_routes import (  # noqa: F401
    test_balances_show_every_active_asset_and_zero_where_none,
    test_create_user_then_get_it,
    test_history_newest_first_with_an_opaque_cursor,
    test_postings_answer_201_with_the_receipt,
    test_ready_makes_a_database_round_trip,
    test_transaction_by_id_has_its_two_entries,
    test_transactions_filter_by_user_asset_and_kind_and_page,
    test_users_search_any_case_and_pages_with_a_cursor,
)
from tests.pgbouncer import running_pgbouncer, skip_without_pgbouncer
from tests.support import Conn, key, transactions_with_key, verify

SERVER_SESSIONS = 2


@pytest.fixture(scope="module")
def login_role(db_url: str) -> Iterator[str]:
    """A login role that is only a member of wallet_api, its own time zone not UTC."""
    name = f"pgwallet_app_{uuid.uuid4().hex[:8]}"
    role = sql.Identifier(name)
    with psycopg.connect(db_url, autocommit=True) as owner:
        owner.execute(sql.SQL("create role {} login in role wallet_api").format(role))
        owner.execute(sql.SQL("alter role {} set timezone = 'Asia/Kolkata'").format(role))
    yield name
    with psycopg.connect(db_url, autocommit=True) as owner:
        owner.execute(sql.SQL("drop role {}").format(role))


@pytest.fixture(scope="module")
def pgbouncer_url(db_url: str, login_role: str) -> Iterator[str]:
    """This module's database through PgBouncer, as `login_role`."""
    skip_without_pgbouncer()
    with running_pgbouncer(db_url, login_role, pool_size=SERVER_SESSIONS) as url:
        yield url


@pytest.fixture(scope="module")
def settings(pgbouncer_url: str) -> Settings:
    """The app's settings (those of tests/http/conftest.py), through PgBouncer."""
    return Settings(database_url=pgbouncer_url, pool_max_size=8, lock_timeout_ms=500)


def test_the_facade_runs_as_wallet_api_in_utc_on_every_session(client: Client, conn: Conn) -> None:
    # The role and the time zone hold whichever server session serves the request.
    database = client.app.state.database
    for _ in range(6):
        (row,) = client.blocking_portal.call(
            database.rows,
            "select current_user as role, current_setting('lock_timeout') as lock_timeout,"
            " current_setting('timezone') as timezone,"
            " current_setting('transaction_isolation') as isolation",
        )
        assert row == {
            "role": "wallet_api",
            "lock_timeout": "500ms",
            "timezone": "UTC",
            "isolation": "read committed",
        }
    sessions = conn.execute(
        "select count(*) as n from pg_stat_activity where datname = current_database()"
        " and usename like 'pgwallet_app_%%'"
    ).fetchone()
    assert sessions is not None
    assert 1 <= sessions["n"] <= SERVER_SESSIONS


def test_receipts_print_utc(client: Client, user: uuid.UUID, asset: str) -> None:
    receipt = topup(client, user, asset, 5)
    assert receipt["created_at"].endswith("Z") or receipt["created_at"].endswith("+00:00")


def test_concurrent_postings_and_duplicates(
    serve: Callable[[Settings], str],
    pgbouncer_url: str,
    token: str,
    client: Client,
    conn: Conn,
    user: uuid.UUID,
    asset: str,
) -> None:
    # 20 copies of one key and 20 spends of 10 from 100, all at once, over
    # ten client connections and two server sessions.
    live_url = serve(Settings(database_url=pgbouncer_url, pool_max_size=10, lock_timeout_ms=5000))
    topup(client, user, asset, 100)
    same = key()
    duplicates = post_at_once(live_url, token, "topup", [(posting(user, asset, 1), same)] * 20)
    assert {response.status_code for response in duplicates} <= {201, 409}
    assert len({r.json()["transaction_id"] for r in duplicates if r.status_code == 201}) == 1
    assert transactions_with_key(conn, same) == 1
    spends = post_at_once(
        live_url, token, "spend", [(posting(user, asset, "10"), key()) for _ in range(20)]
    )
    statuses = sorted(response.status_code for response in spends)
    assert statuses == [201] * 10 + [422] * 10, statuses
    for refused in (r for r in spends if r.status_code == 422):
        assert_problem(refused, 422, "insufficient_funds")
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "1"
    assert all(verify(conn).values())


def test_pgbouncer_carried_the_transactions(
    client: Client, pgbouncer_url: str, login_role: str, user: uuid.UUID, asset: str
) -> None:
    assert post(client, "topup", posting(user, asset, 1)).status_code == 201
    admin = psycopg.conninfo.make_conninfo(pgbouncer_url, dbname="pgbouncer")
    # The admin console speaks only the simple query protocol: a client-side cursor.
    with psycopg.connect(admin, autocommit=True, cursor_factory=psycopg.ClientCursor) as console:
        stats = {row[0]: row for row in console.execute("show stats").fetchall()}
    database = psycopg.conninfo.conninfo_to_dict(pgbouncer_url)["dbname"]
    assert stats[database][1] > 0  # total_xact_count
