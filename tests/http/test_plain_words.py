"""Every 400 says, in words, what was wrong and what is allowed; hints name routes.

The validators' own words (`Expected str matching regex ...`, `- at $.amount`)
reach no caller: the detail is what the dashboard shows a person.
"""

import uuid
from typing import Any

import pytest

from pgwallet.rules import BIGINT_MAX
from tests.http.support import Client, assert_problem, post, posting

ALICE = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
AMOUNT_RULE = f"amount must be a whole number from 1 to {BIGINT_MAX}, as a JSON integer"
UUID_RULE = "must be a UUID such as a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
EVENT_ID_RULE = f"must be an event_id, a whole number from 0 to {BIGINT_MAX}"
# What no detail may show: a validator's internals.
INTERNALS = ("Expected `", "regex", "$.", "msgspec", "Object ")


def _plain(response: Any) -> str:
    problem = assert_problem(response, 400, "invalid_request")
    detail: str = problem["detail"]
    for word in INTERNALS:
        assert word not in detail, detail
    return detail


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/v1/users?limit=0", "limit must be a whole number from 1 to 500, not '0'"),
        ("/v1/users?limit=1e2", "limit must be a whole number from 1 to 500, not '1e2'"),
        ("/v1/users?limit=501", "limit must be a whole number from 1 to 500, not '501'"),
        ("/v1/users/nope", f"user_id {UUID_RULE}, not 'nope'"),
        ("/v1/transactions/12345", f"transaction_id {UUID_RULE}, not '12345'"),
        ("/v1/transactions?kind=refund", "kind must be one of topup, bonus, spend"),
        # A query string has no null: `null` is no id, rather than no filter.
        ("/v1/transactions?user_id=null", f"user_id {UUID_RULE}, not 'null'"),
        (
            "/v1/transactions?kind=null",
            "kind must be one of topup, bonus, spend, reversal, transfer, not 'null'",
        ),
        ("/v1/users?q=%00", "Text may not contain the NUL character (\\u0000), in any field."),
        ("/v1/events?after=-1", f"after {EVENT_ID_RULE}"),
        ("/v1/events?after=1e2", f"after {EVENT_ID_RULE}"),
        (f"/v1/events?after={BIGINT_MAX + 1}", f"after {EVENT_ID_RULE}"),
        ("/v1/events?limit=0", "limit must be a whole number from 1 to 500, not '0'"),
        ("/v1/events?wait=31", "wait must be a whole number of seconds from 0 to 30, not '31'"),
        ("/v1/events/stream?after=x", f"after {EVENT_ID_RULE}, not 'x'"),
        (
            "/v1/assets/" + "x" * 64 + "/summary",
            "code must be an asset code such as gold_coins (GET /v1/assets lists them)",
        ),
    ],
)
def test_query_and_path_mistakes(client: Client, path: str, detail: str) -> None:
    assert _plain(client.get(path)).startswith(detail)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (posting(uuid.UUID(ALICE), "gold_coins", "0"), AMOUNT_RULE),
        ({**posting(uuid.UUID(ALICE), "gold_coins", 1), "amount": 1.5}, AMOUNT_RULE),
        (posting(uuid.UUID(ALICE), "gold_coins", str(BIGINT_MAX + 1)), AMOUNT_RULE),
        (posting(uuid.UUID(ALICE), "gold_coins", "1\n"), AMOUNT_RULE),
        ({"user_id": ALICE, "asset": "gold_coins"}, "amount is missing: it must be a whole"),
        ({**posting(uuid.UUID(ALICE), "gold_coins", 1), "user_id": "x"}, f"user_id {UUID_RULE}"),
        (
            {**posting(uuid.UUID(ALICE), "gold_coins", 1), "extra": 1},
            "the body has an unknown field 'extra'; it takes user_id, asset, amount, metadata",
        ),
        (
            {**posting(uuid.UUID(ALICE), "gold_coins", 1), "metadata": [1]},
            "metadata must be a JSON object",
        ),
        ([1], "the body must be a JSON object, not an array"),
    ],
    ids=repr,
)
def test_posting_mistakes(client: Client, body: Any, detail: str) -> None:
    assert _plain(
        client.post("/v1/transactions/topup", json=body, headers={"Idempotency-Key": "k"})
    ).startswith(detail)


def test_a_malformed_last_event_id(client: Client) -> None:
    response = client.get("/v1/events/stream", headers={"Last-Event-ID": "abc"})
    assert _plain(response) == f"Last-Event-ID {EVENT_ID_RULE}"  # a header's value is not shown


def test_null_is_searched_for_as_text(client: Client) -> None:
    assert client.get("/v1/users?q=null").status_code == 200


def test_a_malformed_idempotency_key(client: Client) -> None:
    body = posting(uuid.UUID(ALICE), "gold_coins", 1)
    detail = _plain(post(client, "topup", body, idempotency_key="a\x7f"))
    assert detail == "Idempotency-Key must be 1 to 255 printable ASCII characters"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"name": "Bad", "email": "not-an-email"},
            "email must be an email address such as carol@example.com",
        ),
        ({"name": " padded ", "email": "p@b.c"}, "name must be 1 to 200 characters that neither"),
        ({"name": "No Email"}, "email is missing: it must be an email address"),
        (
            {"name": "Extra", "email": "e@b.c", "id": ALICE},
            "the body has an unknown field 'id'; it takes name, email",
        ),
    ],
    ids=repr,
)
def test_new_user_mistakes(client: Client, body: dict[str, Any], detail: str) -> None:
    assert _plain(client.post("/v1/users", json=body)).startswith(detail)


@pytest.mark.parametrize("postings", [[], [1], {}], ids=repr)
def test_batch_mistakes(client: Client, postings: Any) -> None:
    response = client.post("/v1/transactions/batch", json={"postings": postings})
    assert _plain(response) == (
        "postings must be a JSON array of 1 to 1000 postings, each a JSON object"
    )


def test_a_body_that_is_not_json(client: Client) -> None:
    response = client.post("/v1/users", content=b"{", headers={"Content-Type": "application/json"})
    assert _plain(response) == "The body is not valid JSON."


def test_an_http_hint_names_a_route_not_a_sql_function(client: Client, user: uuid.UUID) -> None:
    problem = assert_problem(
        client.get(f"/v1/users/{user}/balances/no_such_asset"), 404, "asset_not_found"
    )
    assert problem["hint"] == "GET /v1/assets lists the assets."
