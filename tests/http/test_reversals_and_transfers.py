"""POST /v1/transactions/transfer and /v1/transactions/{id}/reversals over HTTP."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.http.support import Client, assert_problem, bearer, post, posting, topup
from tests.support import Conn, create_client, key


def transfer(
    client: Client, body: dict[str, Any], idempotency_key: str | None = None, **headers: str
) -> httpx.Response:
    return client.post(
        "/v1/transactions/transfer",
        json=body,
        headers={"Idempotency-Key": idempotency_key or key(), **headers},
    )


def reverse(
    client: Client,
    transaction_id: str,
    body: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    **headers: str,
) -> httpx.Response:
    return client.post(
        f"/v1/transactions/{transaction_id}/reversals",
        json=body or {},
        headers={"Idempotency-Key": idempotency_key or key(), **headers},
    )


@pytest.fixture
def alice_and_bob(new_user: Callable[[], uuid.UUID]) -> tuple[uuid.UUID, uuid.UUID]:
    return new_user(), new_user()


def test_a_transfer_answers_201_with_both_balances_and_replays(
    client: Client, alice_and_bob: tuple[uuid.UUID, uuid.UUID], asset: str
) -> None:
    alice, bob = alice_and_bob
    topup(client, alice, asset, 100)
    body = {
        "from_user_id": str(alice),
        "to_user_id": str(bob),
        "asset": asset,
        "amount": "25",
        "metadata": {"note": "gift"},
    }
    k = key()

    first = transfer(client, body, k)
    again = transfer(client, body, k)

    assert first.status_code == 201, first.text
    receipt = first.json()
    assert (receipt["kind"], receipt["from_balance"], receipt["to_balance"]) == (
        "transfer",
        "75",
        "25",
    )
    assert len(receipt["from_hash"]) == len(receipt["to_hash"]) == 64
    assert "replayed" not in receipt
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == receipt
    shown = client.get(f"/v1/transactions/{receipt['transaction_id']}").json()
    assert (shown["user_id"], shown["counterparty_user_id"]) == (str(alice), str(bob))
    history = client.get(f"/v1/users/{bob}/transactions").json()["items"]
    assert (history[0]["kind"], history[0]["counterparty_user_id"]) == ("transfer", str(alice))
    received = client.get("/v1/transactions", params={"user_id": str(bob)}).json()["items"]
    assert [t["transaction_id"] for t in received] == [receipt["transaction_id"]]


def test_transfer_refusals(
    client: Client, alice_and_bob: tuple[uuid.UUID, uuid.UUID], asset: str
) -> None:
    alice, bob = alice_and_bob
    topup(client, alice, asset, 10)

    def body(**changes: Any) -> dict[str, Any]:
        return {"from_user_id": str(alice), "to_user_id": str(bob), "asset": asset} | {
            "amount": "5",
            **changes,
        }

    assert_problem(transfer(client, body(amount="11")), 422, "insufficient_funds")
    assert_problem(transfer(client, body(to_user_id=str(alice))), 400, "invalid_request")
    assert_problem(transfer(client, body(to_user_id=str(uuid.uuid4()))), 404, "user_not_found")
    assert_problem(transfer(client, body(amount="0")), 400, "invalid_request")
    assert_problem(transfer(client, body(user_id=str(bob))), 400, "invalid_request")
    response = client.post("/v1/transactions/transfer", json=body())
    assert_problem(response, 400, "idempotency_key_missing")


def test_a_reversal_answers_201_and_links_to_what_it_undoes(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    topup(client, user, asset, 100)
    spend = post(client, "spend", posting(user, asset, "40")).json()
    k = key()

    first = reverse(client, spend["transaction_id"], {"amount": 15}, k)
    again = reverse(client, spend["transaction_id"], {"amount": 15}, k)

    assert first.status_code == 201, first.text
    refund = first.json()
    assert (refund["kind"], refund["amount"], refund["balance"]) == ("reversal", "15", "75")
    assert again.headers["Idempotent-Replayed"] == "true"
    original = client.get(f"/v1/transactions/{spend['transaction_id']}").json()
    assert original["reversed_amount"] == "15"
    shown = client.get(f"/v1/transactions/{refund['transaction_id']}").json()
    assert shown["reverses"] == spend["transaction_id"]
    rest = reverse(client, spend["transaction_id"])
    assert rest.json()["amount"] == "25"


def test_reversal_refusals(client: Client, user: uuid.UUID, asset: str) -> None:
    topup_receipt = topup(client, user, asset, 10)
    whole = reverse(client, topup_receipt["transaction_id"]).json()

    assert_problem(
        reverse(client, topup_receipt["transaction_id"]), 422, "reversal_exceeds_original"
    )
    assert_problem(reverse(client, whole["transaction_id"]), 409, "not_reversible")
    assert_problem(reverse(client, str(uuid.uuid4())), 404, "transaction_not_found")
    assert_problem(reverse(client, "not-a-uuid"), 400, "invalid_request")
    assert_problem(
        reverse(client, topup_receipt["transaction_id"], {"amount": "-1"}), 400, "invalid_request"
    )
    assert_problem(
        reverse(client, topup_receipt["transaction_id"], {"user_id": str(user)}),
        400,
        "invalid_request",
    )
    spent = topup(client, user, asset, 5)
    post(client, "spend", posting(user, asset, "5"))
    assert_problem(reverse(client, spent["transaction_id"]), 422, "insufficient_funds")


def test_each_needs_its_scope(
    client: Client, conn: Conn, alice_and_bob: tuple[uuid.UUID, uuid.UUID], asset: str
) -> None:
    alice, bob = alice_and_bob
    receipt = topup(client, alice, asset, 10)
    shop = bearer(create_client(conn, ["spend", "read"])["token"])
    body = {"from_user_id": str(alice), "to_user_id": str(bob), "asset": asset, "amount": 1}

    assert_problem(transfer(client, body, **shop), 403, "forbidden")
    assert_problem(reverse(client, receipt["transaction_id"], None, None, **shop), 403, "forbidden")
