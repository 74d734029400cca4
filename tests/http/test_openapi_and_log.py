"""The OpenAPI document documents every route with examples; every answer carries X-Request-ID."""

import logging

import pytest

from pgwallet.http import access_log
from tests.http.support import Client

# The codes of the contract's error table (section 4).
CONTRACT_CODES = {
    "idempotency_key_missing",
    "invalid_request",
    "user_not_found",
    "asset_not_found",
    "transaction_not_found",
    "idempotency_key_reused",
    "idempotency_key_in_progress",
    "asset_frozen",
    "user_suspended",
    "email_taken",
    "insufficient_funds",
    "balance_out_of_range",
    "unavailable",
    # Holds (section 8).
    "hold_not_found",
    "hold_not_active",
    "capture_exceeds_hold",
}


def test_every_route_has_examples_of_its_success_and_errors(client: Client) -> None:
    document = client.get("/schema/openapi.json").json()
    codes: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(status.startswith("2") for status in responses), (method, path)
            for status, response in responses.items():
                (content,) = response["content"].values()
                assert content["examples"], (method, path, status)
                codes |= {example["value"].get("code") for example in content["examples"].values()}
            if "requestBody" in operation:
                (body,) = operation["requestBody"]["content"].values()
                assert body["schema"]["examples"], (method, path)
    assert codes >= CONTRACT_CODES


def test_request_id_is_echoed_or_made_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pgwallet.access"):
        echoed = client.get("/health", headers={"X-Request-ID": "req-42"})
        made = client.get("/no/such/route", headers={"X-Request-ID": "bad id"})
    assert echoed.headers["x-request-id"] == "req-42"
    assert made.headers["x-request-id"] not in {"", "bad id"}
    lines = [access_log.fields(r) for r in caplog.records if r.name == "pgwallet.access"]
    assert {"method": "GET", "path": "/health", "status": 200, "request_id": "req-42"}.items() <= (
        lines[0].items()
    )
    assert lines[1]["status"] == 404
    assert lines[1]["request_id"] == made.headers["x-request-id"]
