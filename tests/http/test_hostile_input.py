"""Hostile input over HTTP: each answered with a 4xx that says what was wrong, never a 500."""

import http.client
import json
import logging
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from pgwallet import logs
from pgwallet.http import access_log
from tests.http.support import Client, assert_problem, bearer, post, posting


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 3000])
def test_a_body_nested_too_deep_is_400(client: Client, user: uuid.UUID, depth: int) -> None:
    for path, body in [
        ("/v1/users", f'{{"name": {nested(depth)}, "email": "x@example.com"}}'),
        (
            "/v1/transactions/topup",
            f'{{"user_id": "{user}", "asset": "a_b", "amount": "1",'
            f' "metadata": {{"m": {nested(depth)}}}}}',
        ),
    ]:
        response = client.post(
            path,
            content=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "deep"},
        )
        problem = assert_problem(response, 400, "invalid_request")
        assert "nests deeper" in problem["detail"]


def test_metadata_beyond_the_bounds_is_400(client: Client, funded: tuple[uuid.UUID, str]) -> None:
    user, asset = funded
    deep: dict[str, object] = {}
    for _ in range(40):
        deep = {"a": deep}
    for metadata in [deep, {"note": "x" * 17_000}]:
        assert_problem(
            post(client, "topup", posting(user, asset, 1, metadata=metadata)),
            400,
            "invalid_request",
        )


def test_a_body_over_the_size_limit_is_413(client: Client, funded: tuple[uuid.UUID, str]) -> None:
    user, asset = funded
    response = post(client, "topup", posting(user, asset, 1, metadata={"x": "y" * 300_000}))
    assert response.status_code == 413, response.text


def test_a_repeated_key_is_400(client: Client, funded: tuple[uuid.UUID, str]) -> None:
    user, asset = funded
    body = f'{{"user_id": "{user}", "asset": "{asset}", "amount": "1", "amount": "2"}}'
    response = client.post(
        "/v1/transactions/topup",
        content=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": "dup"},
    )
    problem = assert_problem(response, 400, "invalid_request")
    assert "repeats the key amount" in problem["detail"]


def test_an_amount_with_a_final_newline_is_400(
    client: Client, funded: tuple[uuid.UUID, str]
) -> None:
    user, asset = funded
    assert_problem(post(client, "topup", posting(user, asset, "1\n")), 400, "invalid_request")


def test_a_nul_in_the_path_is_400(client: Client) -> None:
    for path in ["/static/a%00b.js", "/v1/users/a%00b"]:
        assert_problem(client.get(path), 400, "invalid_request")


def test_two_idempotency_keys_are_400(
    live_url: str, token: str, funded: tuple[uuid.UUID, str]
) -> None:
    user, asset = funded
    address = urlsplit(live_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.putrequest("POST", "/v1/transactions/topup")
        body = json.dumps(posting(user, asset, 1)).encode()
        for name, value in [
            *bearer(token).items(),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Idempotency-Key", "first"),
            ("Idempotency-Key", "second"),
        ]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        problem = json.loads(response.read())
    finally:
        connection.close()
    assert (response.status, problem["code"]) == (400, "invalid_request")
    assert "one Idempotency-Key" in problem["detail"]


def test_a_client_gone_mid_body_is_no_error_of_ours(
    live_url: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    address = urlsplit(live_url)
    with caplog.at_level(logging.INFO):
        with socket.create_connection((address.hostname or "", address.port or 80)) as sock:
            sock.sendall(
                b"POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 100\r\n\r\n"
                b'{"name": '
            )
        deadline = time.monotonic() + 5
        while not (lines := _access_lines(caplog, "/v1/users")):
            assert time.monotonic() < deadline, "the request was never logged"
            time.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    (line,) = lines
    assert line["status"] == 400


def _access_lines(caplog: pytest.LogCaptureFixture, path: str) -> list[dict[str, Any]]:
    """The access-log lines of requests to `path` (the served app's thread may still be
    logging an earlier test's request)."""
    lines = [access_log.fields(r) for r in caplog.records if r.name == "pgwallet.access"]
    return [line for line in lines if line["path"] == path]


def test_an_encoded_newline_in_the_path_cannot_forge_a_log_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/v1/users/x%0a2026-01-01 INFO forged")
        client.get("/no/route%0d%0aforged")
    lines = [logs.formatter().format(record) for record in caplog.records]
    assert any("forged" in line for line in lines)
    assert not [line for line in lines if "\n" in line or "\r" in line]
