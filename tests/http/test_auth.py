"""Callers over HTTP: bearer tokens, scopes, per-client keys, open routes, hosts and media types."""

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from pgwallet.http import access_log
from pgwallet.http.app import create_app
from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, bearer, post, posting
from tests.support import Conn, create_client, key

# Every route under /v1 with the scope it needs (postings: checked in SQL).
GUARDED = [
    ("GET", "/v1/assets", "read"),
    ("GET", "/v1/users", "read"),
    ("GET", "/v1/users/{user}", "read"),
    ("GET", "/v1/users/{user}/balances", "read"),
    ("GET", "/v1/users/{user}/balances/{asset}", "read"),
    ("GET", "/v1/users/{user}/transactions", "read"),
    ("GET", "/v1/transactions", "read"),
    ("GET", "/v1/transactions/{transaction}", "read"),
    ("POST", "/v1/users", "users"),
    ("POST", "/v1/transactions/topup", "topup"),
    ("POST", "/v1/transactions/bonus", "bonus"),
    ("POST", "/v1/transactions/spend", "spend"),
]
OPEN = [
    "/health",
    "/health/ready",
    "/schema/openapi.json",
    "/",
    "/static/main.js",
    "/static/swagger-ui/swagger-ui-bundle.js",
    "/static/swagger-ui/swagger-ui.css",
]


@pytest.fixture
def anonymous(settings: Settings) -> Iterator[Client]:
    """The app with no token sent."""
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def new_client(conn: Conn) -> Callable[..., dict[str, Any]]:
    """Create a client (as the operator); returns it with its token."""

    def create(scopes: list[str], **limits: Any) -> dict[str, Any]:
        return create_client(conn, scopes, **limits)

    return create


def _request(
    http: Client, method: str, path: str, token: str | None, user: uuid.UUID, asset: str
) -> Any:
    url = path.format(user=user, asset=asset, transaction=uuid.uuid4())
    headers = {"Idempotency-Key": key(), **(bearer(token) if token else {})}
    body = {"name": "Eve", "email": f"{uuid.uuid4().hex}@example.com"}
    if url.startswith("/v1/transactions/") and method == "POST":
        body = posting(user, asset, 1)
    return http.request(method, url, headers=headers, json=body if method == "POST" else None)


@pytest.mark.parametrize(("method", "path", "scope"), GUARDED)
def test_every_v1_route_needs_a_token(
    anonymous: Client, method: str, path: str, scope: str, user: uuid.UUID, asset: str
) -> None:
    response = _request(anonymous, method, path, None, user, asset)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer a b", "pgw_abc", "Basic eDp5"])
def test_a_malformed_authorization_is_401(anonymous: Client, header: str) -> None:
    response = anonymous.get("/v1/assets", headers={"Authorization": header})
    assert_problem(response, 401, "unauthorized")


def test_an_unknown_or_revoked_token_is_401(
    anonymous: Client, conn: Conn, new_client: Callable[..., dict[str, Any]]
) -> None:
    assert_problem(
        anonymous.get("/v1/assets", headers=bearer("pgw_" + "x" * 43)), 401, "unauthorized"
    )
    revoked = new_client(["read"])
    conn.execute("select wallet.revoke_client(%s)", [revoked["client_id"]])
    assert_problem(
        anonymous.get("/v1/assets", headers=bearer(revoked["token"])), 401, "unauthorized"
    )


@pytest.mark.parametrize(("method", "path", "scope"), GUARDED)
def test_each_scope_is_allowed_and_refused(
    anonymous: Client,
    new_client: Callable[..., dict[str, Any]],
    method: str,
    path: str,
    scope: str,
    funded: tuple[uuid.UUID, str],
) -> None:
    user, asset = funded
    allowed = new_client([scope])["token"]
    refused = new_client([s for s in ["read", "users", "topup", "bonus", "spend"] if s != scope])
    response = _request(anonymous, method, path, allowed, user, asset)
    assert response.status_code not in {401, 403}, response.text
    response = _request(anonymous, method, path, refused["token"], user, asset)
    problem = assert_problem(response, 403, "forbidden")
    assert repr(scope) in problem["detail"]


def test_a_client_limited_to_assets_and_amounts_is_refused_beyond_them(
    anonymous: Client,
    new_client: Callable[..., dict[str, Any]],
    funded: tuple[uuid.UUID, str],
    new_asset: Callable[[], str],
) -> None:
    user, asset = funded
    shop = new_client(["spend"], assets=[asset], max_amount=10)["token"]
    sent = [
        (posting(user, asset, 10), 201),
        (posting(user, asset, 11), 403),
        (posting(user, new_asset(), 1), 403),
    ]
    for body, status in sent:
        response = anonymous.post(
            "/v1/transactions/spend", json=body, headers={**bearer(shop), "Idempotency-Key": key()}
        )
        assert response.status_code == status, response.text


def test_a_revocation_stops_postings_at_once_and_reads_within_seconds(
    db_url: str, conn: Conn, new_client: Callable[..., dict[str, Any]], user: uuid.UUID, asset: str
) -> None:
    caller = new_client(["read", "topup"])
    settings = Settings(database_url=db_url, auth_cache_seconds=1)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as http:
        http.headers.update(bearer(caller["token"]))
        assert http.get("/v1/assets").status_code == 200  # now cached
        conn.execute("select wallet.revoke_client(%s)", [caller["client_id"]])

        assert_problem(post(http, "topup", posting(user, asset, 1)), 401, "unauthorized")
        deadline = time.monotonic() + 5
        while http.get("/v1/assets").status_code == 200:
            assert time.monotonic() < deadline, "reads still served 5 s after the revocation"
            time.sleep(0.2)
        assert_problem(http.get("/v1/assets"), 401, "unauthorized")


def test_keys_are_per_client_over_http(
    anonymous: Client,
    new_client: Callable[..., dict[str, Any]],
    user: uuid.UUID,
    asset: str,
) -> None:
    shop, bank = new_client(["topup"])["token"], new_client(["topup"])["token"]
    same = key()
    answers = [
        anonymous.post(
            "/v1/transactions/topup",
            json=posting(user, asset, amount),
            headers={**bearer(token), "Idempotency-Key": same},
        )
        for token, amount in [(shop, 10), (bank, 20)]
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["transaction_id"] != answers[1].json()["transaction_id"]
    assert answers[1].json()["balance"] == "30"


@pytest.mark.parametrize("path", OPEN)
def test_open_routes_need_no_token(anonymous: Client, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_of_swagger_ui_only_the_pages_two_files_are_served(anonymous: Client) -> None:
    assert (
        anonymous.get("/static/swagger-ui/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
    for name in ["swagger-editor-bundle.js", "index.css", "..%2F__init__.py", "LICENSE"]:
        assert anonymous.get(f"/static/swagger-ui/{name}").status_code == 404, name


def test_the_openapi_document_declares_the_bearer_scheme(anonymous: Client) -> None:
    document = anonymous.get("/schema/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, operations in document["paths"].items():
        for operation in operations.values():
            secured = operation.get("security") == [{"bearer": []}]
            assert secured == path.startswith("/v1"), path
            if secured:
                assert {"401", "403"} <= set(operation["responses"]), path


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_post_body_that_is_not_json_is_415(
    client: Client, content_type: str | None, user: uuid.UUID, asset: str
) -> None:
    body = json.dumps({"name": "Mallory", "email": f"{uuid.uuid4().hex}@example.com"})
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/users", content=body, headers=headers)
    if content_type is None:
        # httpx sends no Content-Type for raw content: still not JSON.
        assert_problem(response, 415, "unsupported_media_type")
        return
    assert_problem(response, 415, "unsupported_media_type")
    posted = client.post(
        "/v1/transactions/topup",
        content=json.dumps(posting(user, asset, 1)),
        headers={"Content-Type": content_type, "Idempotency-Key": key()},
    )
    assert_problem(posted, 415, "unsupported_media_type")


def test_a_json_body_with_a_charset_is_fine(client: Client) -> None:
    body = json.dumps({"name": "Grace", "email": f"{uuid.uuid4().hex}@example.com"})
    response = client.post(
        "/v1/users", content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8000", 200),
        ("localhost", 200),
        ("LOCALHOST:8000", 200),
        ("[::1]:8000", 200),
        ("evil.example", 400),
        ("127.0.0.1.evil.example:8000", 400),
    ],
)
def test_only_allowed_hosts_are_served(client: Client, host: str, status: int) -> None:
    response = client.get("/v1/assets", headers={"Host": host})
    assert response.status_code == status, response.text
    if status == 400:
        assert_problem(response, 400, "invalid_request")
        assert client.get("/health", headers={"Host": host}).status_code == 200


def test_allowed_hosts_come_from_the_environment(db_url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": db_url, "ALLOWED_HOSTS": "wallet.internal, *.x"})
    assert settings.allowed_hosts == ("wallet.internal", "*.x")
    assert Settings.from_env({"DATABASE_URL": db_url}).allowed_hosts == (
        "localhost",
        "127.0.0.1",
        "::1",
    )


def test_no_token_reaches_a_log_line(
    anonymous: Client,
    new_client: Callable[..., dict[str, Any]],
    conn: Conn,
    user: uuid.UUID,
    asset: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = new_client(["read", "topup"])
    revoked = new_client(["read"])
    conn.execute("select wallet.revoke_client(%s)", [revoked["client_id"]])
    with caplog.at_level(logging.DEBUG):
        anonymous.get("/v1/assets", headers=bearer(good["token"]))
        post(anonymous, "topup", posting(user, asset, 1), headers=bearer(good["token"]))
        anonymous.get("/v1/assets", headers=bearer(revoked["token"]))
        anonymous.get("/v1/assets", headers=bearer(good["token"] + "x"))
        anonymous.get("/v1/assets", headers={"Authorization": f"Token {good['token']}"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged
    for secret in [good["token"], revoked["token"], good["token"][4:]]:
        assert secret not in logged
    access = [access_log.fields(r) for r in caplog.records if r.name == "pgwallet.access"]
    assert [line["client"] for line in access] == [good["name"], good["name"], None, None, None]
