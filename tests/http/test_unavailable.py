"""The database busy, lost or overloaded: 503 `unavailable` with Retry-After, never a 500."""

import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest

from pgwallet.http.problems import UNAVAILABLE, from_database_error
from pgwallet.http.settings import Settings
from tests.http.support import (
    Client,
    assert_problem,
    bearer,
    post,
    posting,
    terminate_facade_sessions,
)
from tests.support import Conn, key


@pytest.fixture
def user_row_locked(db_url: str, user: uuid.UUID) -> Iterator[uuid.UUID]:
    """The user's row locked by another transaction (as a long posting would hold it)."""
    with psycopg.connect(db_url) as holder:
        holder.execute("select from ledger.users where id = %s for update", [user])
        yield user
        holder.rollback()


def test_busy_wallet_is_503_with_retry_after(
    client: Client, asset: str, user_row_locked: uuid.UUID
) -> None:
    response = post(client, "topup", posting(user_row_locked, asset, 5))
    assert_problem(response, 503, "unavailable")
    assert response.headers["retry-after"] == "1"


def test_dead_pooled_connections_are_replaced_at_checkout(client: Client, conn: Conn) -> None:
    # The pool checks each connection as it hands it out (a database restart
    # leaves only dead ones): the request gets a fresh connection, not a 503.
    assert client.get("/v1/assets").status_code == 200
    assert terminate_facade_sessions(conn) >= 1
    assert client.get("/v1/assets").status_code == 200


def test_a_connection_lost_mid_request_is_503_then_the_pool_recovers(
    token: str,
    serve: Callable[[Settings], str],
    db_url: str,
    conn: Conn,
    asset: str,
    user_row_locked: uuid.UUID,
) -> None:
    # A posting waits on the locked user; its session dies under it.
    url = serve(Settings(database_url=db_url, lock_timeout_ms=10_000))
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=url, headers=bearer(token), timeout=20) as http:
        waiting = threading.Thread(
            target=lambda: answers.append(
                http.post(
                    "/v1/transactions/topup",
                    json=posting(user_row_locked, asset, 1),
                    headers={"Idempotency-Key": key()},
                )
            )
        )
        waiting.start()
        try:
            for _ in range(100):
                if terminate_facade_sessions(conn, waiting_for="Lock"):
                    break
                threading.Event().wait(0.05)
        finally:
            waiting.join()
        assert_problem(answers[0], 503, "unavailable")
        assert answers[0].headers["retry-after"] == "1"
        assert http.get("/v1/assets").status_code == 200


def test_exhausted_pool_is_503(
    token: str,
    serve: Callable[[Settings], str],
    db_url: str,
    client: Client,
    asset: str,
    user_row_locked: uuid.UUID,
) -> None:
    # One connection, held for the lock timeout by a posting on a locked user;
    # meanwhile a read waits for a connection longer than the pool timeout.
    url = serve(
        Settings(
            database_url=db_url,
            pool_min_size=1,
            pool_max_size=1,
            pool_timeout_seconds=0.2,
            lock_timeout_ms=1500,
        )
    )
    with httpx.Client(base_url=url, headers=bearer(token), timeout=10) as http:
        slow = threading.Thread(
            target=http.post,
            args=["/v1/transactions/topup"],
            kwargs={
                "json": posting(user_row_locked, asset, 1),
                "headers": {"Idempotency-Key": key()},
            },
        )
        slow.start()
        try:
            threading.Event().wait(0.3)
            response = http.get("/v1/assets")
        finally:
            slow.join()
    assert_problem(response, 503, "unavailable")
    assert response.headers["retry-after"] == "1"


def test_serialization_failure_is_retried_once_then_503(client: Client, conn: Conn) -> None:
    # Two functions of this test's own: one fails with 40001 on its first call
    # only, one fails always (with 40P01). The API functions cannot deadlock.
    conn.execute("create sequence public.flaky_calls")
    conn.execute(
        """
        create function public.flaky_once() returns int language plpgsql security definer as $$
        begin
            if nextval('public.flaky_calls') = 1 then
                raise exception 'first call fails' using errcode = '40001';
            end if;
            return 42;
        end $$;
        create function public.always_deadlocked() returns int language plpgsql as $$
        begin
            raise exception 'deadlock' using errcode = '40P01';
        end $$;
        """
    )
    database = client.app.state.database
    rows = client.blocking_portal.call(database.rows, "select public.flaky_once() as answer")
    assert rows == [{"answer": 42}]
    with pytest.raises(psycopg.errors.DeadlockDetected):
        client.blocking_portal.call(database.rows, "select public.always_deadlocked()")
    assert from_database_error(psycopg.errors.DeadlockDetected()).kind is UNAVAILABLE
