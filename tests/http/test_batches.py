"""POST /v1/transactions/batch over HTTP: one answer per posting, as it would have been alone."""

import uuid
from typing import Any

from tests.http.support import Client, assert_problem, bearer, post, posting
from tests.support import Conn, create_client, key


def posting_item(
    kind: str, user: uuid.UUID, asset: str, amount: Any, k: str | None = None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "user_id": str(user),
        "asset": asset,
        "amount": amount,
        "idempotency_key": k or key(),
    }


def test_each_posting_gets_the_answer_it_would_have_had_alone(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    k = key()
    postings = [
        posting_item("topup", user, asset, "100", k),
        posting_item("spend", user, asset, 500),
        posting_item("topup", user, asset, "100", k),
        posting_item("spend", user, asset, "abc"),
    ]

    response = client.post("/v1/transactions/batch", json={"postings": postings})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 400]
    assert results[0]["receipt"]["balance"] == "100"
    assert results[0]["replayed"] is False
    assert results[2] == {**results[0], "replayed": True}
    assert results[1]["problem"]["code"] == "insufficient_funds"
    assert results[3]["problem"]["code"] == "invalid_request"
    # The single posting with the same key replays the batch's.
    alone = post(client, "topup", posting(user, asset, "100"), idempotency_key=k)
    assert alone.status_code == 201
    assert alone.headers["Idempotent-Replayed"] == "true"
    assert alone.json() == results[0]["receipt"]


def test_a_malformed_batch_is_refused_whole(client: Client) -> None:
    bodies: list[dict[str, Any]] = [
        {"postings": []},
        {"postings": [1]},
        {"items": []},
        {"postings": [{}] * 1001},
    ]
    for body in bodies:
        assert_problem(client.post("/v1/transactions/batch", json=body), 400, "invalid_request")


def test_a_batch_needs_the_batch_scope_and_each_kinds(
    client: Client, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    no_batch = bearer(create_client(conn, ["topup"])["token"])
    topups_only = bearer(create_client(conn, ["topup", "batch"])["token"])
    postings = [posting_item("topup", user, asset, 5), posting_item("bonus", user, asset, 5)]

    refused = client.post("/v1/transactions/batch", json={"postings": postings}, headers=no_batch)
    assert_problem(refused, 403, "forbidden")
    mixed = client.post("/v1/transactions/batch", json={"postings": postings}, headers=topups_only)
    assert [r["status"] for r in mixed.json()["results"]] == [201, 403]
