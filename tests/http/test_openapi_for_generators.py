"""The OpenAPI document as a client generator reads it: short operation ids, tags,
response headers, closed bodies, an integer page size, a 400 example per route."""

from typing import Any

import pytest

from pgwallet.rules import BIGINT_MAX
from tests.http.support import Client


@pytest.fixture(scope="module")
def document(client: Client) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/schema/openapi.json").json()
    return served


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
    }


def test_operation_ids_are_short_verbs_and_every_operation_has_a_tag(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    assert {"get_balance", "list_users", "get_history", "topup", "check_readiness"} <= set(
        operations
    )
    for operation_id, operation in operations.items():
        assert "/" not in operation_id, operation_id
        assert "v1_" not in operation_id, operation_id
        (tag,) = operation["tags"]
        assert tag in {each["name"] for each in document["tags"]}


def test_response_headers_are_documented(document: dict[str, Any]) -> None:
    headers = document["components"]["headers"]
    assert {"X-Request-ID", "Idempotent-Replayed", "Retry-After", "WWW-Authenticate"} <= set(
        headers
    )
    topup = _operations(document)["topup"]["responses"]
    assert set(topup["201"]["headers"]) == {"X-Request-ID", "Idempotent-Replayed"}
    assert "Retry-After" in topup["409"]["headers"]  # idempotency_key_in_progress
    assert "Retry-After" in topup["503"]["headers"]
    assert "WWW-Authenticate" in topup["401"]["headers"]
    for operation in _operations(document).values():
        for response in operation["responses"].values():
            assert "X-Request-ID" in response["headers"]


def test_bearer_scheme_and_closed_bodies(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert _operations(document)["list_users"]["security"] == [{"bearer": []}]
    schemas = document["components"]["schemas"]
    assert schemas["PostingRequest"]["additionalProperties"] is False
    assert schemas["NewUser"]["additionalProperties"] is False


def test_limit_is_an_integer_from_1_to_500(document: dict[str, Any]) -> None:
    (limit,) = [
        parameter
        for parameter in _operations(document)["list_users"]["parameters"]
        if parameter["name"] == "limit"
    ]
    assert limit["schema"]["type"] == "integer"
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    assert limit["schema"]["default"] == 50


def test_the_feed_parameters_are_integers(document: dict[str, Any]) -> None:
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in _operations(document)["list_events"]["parameters"]
    }
    for name, (minimum, maximum, default) in {
        "after": (0, BIGINT_MAX, 0),
        "limit": (1, 500, 50),
        "wait": (0, 30, 0),
    }.items():
        schema = parameters[name]
        assert schema["type"] == "integer", name
        assert (schema["minimum"], schema["maximum"], schema["default"]) == (
            minimum,
            maximum,
            default,
        ), name


def test_each_route_has_its_own_400_example(document: dict[str, Any]) -> None:
    details = {}
    for operation_id, operation in _operations(document).items():
        if "400" not in operation["responses"]:
            continue
        (content,) = operation["responses"]["400"]["content"].values()
        (example,) = [
            each["value"]
            for each in content["examples"].values()
            if each["value"]["code"] == "invalid_request"
        ]
        details[operation_id] = example["detail"]
    assert details["list_users"].startswith("limit must be a whole number from 1 to 500")
    assert details["get_balance"].startswith("user_id must be a UUID")
    assert details["topup"].startswith("amount must be a whole number")
    assert details["create_user"].startswith("email must be an email address")
    assert details["list_transactions"].startswith("kind must be one of")
    assert details["list_events"].startswith("after must be an event_id")
    assert details["get_asset_summary"].startswith("code must be an asset code")
    assert not any(
        "amount" in detail for name, detail in details.items() if name.startswith(("get_", "list_"))
    )
