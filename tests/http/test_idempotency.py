"""Idempotency over HTTP: replays, a reused key, a key still in progress, concurrent duplicates."""

import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, post, post_at_once, posting, topup
from tests.support import Conn, key, transactions_with_key


def test_a_replay_answers_the_first_status_and_body(
    client: Client, funded: tuple[uuid.UUID, str]
) -> None:
    user, asset = funded
    body, same = posting(user, asset, "30", metadata={"order": 1}), key()
    first = post(client, "spend", body, same)
    post(client, "spend", posting(user, asset, "5"))  # the balance moves on meanwhile
    again = post(client, "spend", {**body, "amount": 30}, same)  # same request, other spelling
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "65"


def test_a_key_reused_with_another_request_is_409(
    client: Client, funded: tuple[uuid.UUID, str]
) -> None:
    user, asset = funded
    same = key()
    assert post(client, "spend", posting(user, asset, 1), same).status_code == 201
    other_requests = [
        ("spend", posting(user, asset, 2)),
        ("spend", posting(user, asset, 1, metadata={"a": 1})),
        ("bonus", posting(user, asset, 1)),
    ]
    for kind, other in other_requests:
        response = post(client, kind, other, same)
        assert_problem(response, 409, "idempotency_key_reused")


def test_a_key_in_progress_is_409_with_retry_after_then_replays(
    client: Client, caller: dict[str, Any], db_url: str, user: uuid.UUID, asset: str
) -> None:
    same = key()
    with psycopg.connect(db_url) as first:  # its transaction stays open: the key is held
        row = first.execute(
            "select transaction_id from wallet.topup(%s, %s, 10, %s, '{}', %s)",
            [user, asset, same, caller["client_id"]],
        ).fetchone()
        assert row is not None
        response = post(client, "topup", posting(user, asset, 10), same)
        problem = assert_problem(response, 409, "idempotency_key_in_progress")
        assert response.headers["retry-after"] == "1"
        assert same in problem["detail"]
        first.commit()
    retried = post(client, "topup", posting(user, asset, 10), same)
    assert retried.status_code == 201
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["transaction_id"] == str(row[0])


def test_a_refusal_leaves_the_key_free(client: Client, user: uuid.UUID, asset: str) -> None:
    same = key()
    response = post(client, "spend", posting(user, asset, 5), same)
    assert_problem(response, 422, "insufficient_funds")
    topup(client, user, asset, 5)
    assert post(client, "spend", posting(user, asset, 5), same).status_code == 201


def test_concurrent_duplicates_make_one_transaction(
    token: str,
    serve: Callable[[Settings], str],
    db_url: str,
    conn: Conn,
    user: uuid.UUID,
    asset: str,
) -> None:
    url = serve(Settings(database_url=db_url, pool_max_size=10, lock_timeout_ms=2000))
    same = key()

    responses = post_at_once(url, token, "topup", [(posting(user, asset, 10), same)] * 20)
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    assert len({r.json()["transaction_id"] for r in created}) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "idempotency_key_in_progress")
    assert transactions_with_key(conn, same) == 1
