"""Every error of the contract's table, over HTTP, as a problem document; nothing is a 500."""

import uuid
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from pgwallet.http.app import create_app
from pgwallet.http.problems import SQLSTATE_PROBLEMS
from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, post, posting, topup
from tests.support import Conn, key

ALICE = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"


def test_the_mapping_covers_every_row_of_the_sql_catalogue(api: Conn) -> None:
    catalogue = {row["sqlstate"] for row in api.execute("select * from wallet.error_codes()")}
    assert set(SQLSTATE_PROBLEMS) == catalogue


@pytest.mark.parametrize(
    ("sqlstate", "status", "code"),
    [
        ("PW001", 400, "invalid_request"),
        ("PW002", 400, "invalid_request"),
        ("PW003", 400, "invalid_request"),
        ("PW010", 404, "user_not_found"),
        ("PW011", 404, "asset_not_found"),
        ("PW012", 404, "transaction_not_found"),
        ("PW013", 404, "hold_not_found"),
        ("PW020", 422, "insufficient_funds"),
        ("PW021", 422, "balance_out_of_range"),
        ("PW024", 422, "capture_exceeds_hold"),
        ("PW025", 409, "hold_not_active"),
        ("PW030", 409, "idempotency_key_reused"),
        ("PW031", 409, "idempotency_key_in_progress"),
        ("PW032", 503, "unavailable"),
        ("PW040", 409, "asset_frozen"),
        ("PW041", 409, "user_suspended"),
        ("PW050", 409, "email_taken"),
    ],
)
def test_the_mapping_says_what_the_contract_says(sqlstate: str, status: int, code: str) -> None:
    kind = SQLSTATE_PROBLEMS[sqlstate]
    assert (kind.status, kind.code) == (status, code)


def test_posting_without_idempotency_key(client: Client, user: uuid.UUID, asset: str) -> None:
    response = client.post("/v1/transactions/topup", json=posting(user, asset, 1))
    assert_problem(response, 400, "idempotency_key_missing")


def test_unknown_user_asset_and_transaction(client: Client, user: uuid.UUID, asset: str) -> None:
    nobody = uuid.uuid4()
    assert_problem(client.get(f"/v1/users/{nobody}"), 404, "user_not_found")
    assert_problem(client.get(f"/v1/users/{nobody}/balances"), 404, "user_not_found")
    assert_problem(client.get(f"/v1/users/{user}/balances/no_such"), 404, "asset_not_found")
    assert_problem(client.get(f"/v1/users/{nobody}/transactions"), 404, "user_not_found")
    assert_problem(client.get(f"/v1/transactions/{nobody}"), 404, "transaction_not_found")
    assert_problem(
        client.get("/v1/transactions", params={"asset": "no_such"}), 404, "asset_not_found"
    )
    assert_problem(post(client, "topup", posting(nobody, asset, 5)), 404, "user_not_found")
    assert_problem(post(client, "topup", posting(user, "no_such", 5)), 404, "asset_not_found")


def test_frozen_asset_and_suspended_user(
    client: Client, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    topup(client, user, asset, 10)
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [asset])
    assert_problem(post(client, "spend", posting(user, asset, 1)), 409, "asset_frozen")
    conn.execute("select wallet.set_asset_status(%s, 'active')", [asset])
    conn.execute("select wallet.set_user_status(%s, 'suspended')", [user])
    assert_problem(post(client, "bonus", posting(user, asset, 1)), 409, "user_suspended")
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "10"


def test_email_taken_in_any_case(client: Client) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    assert client.post("/v1/users", json={"name": "A", "email": email}).status_code == 201
    response = client.post("/v1/users", json={"name": "B", "email": email.upper()})
    assert_problem(response, 409, "email_taken")


def test_insufficient_funds_changes_nothing(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 10)
    assert_problem(post(client, "spend", posting(user, asset, 11)), 422, "insufficient_funds")
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "10"


def test_balance_out_of_range(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 9223372036854775807)
    response = post(client, "topup", posting(user, asset, 1))
    assert_problem(response, 422, "balance_out_of_range")


@pytest.mark.parametrize(
    ("path", "takes"),
    [
        ("/v1/users?nmae=al", "cursor, limit, q"),
        ("/v1/transactions?asset_id=gold_coins", "asset, cursor, kind, limit, user_id"),
        ("/v1/assets?limit=1", "none"),
    ],
)
def test_an_unknown_query_parameter_is_refused(client: Client, path: str, takes: str) -> None:
    problem = assert_problem(client.get(path), 400, "invalid_request")

    assert problem["detail"].endswith(f"this route takes {takes}")


def test_unknown_route_and_method_are_problems(client: Client) -> None:
    assert_problem(client.get("/v1/nothing/here"), 404, "not_found")
    response = client.delete("/v1/assets")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert_problem(client.put(f"/v1/users/{ALICE}"), 405, "method_not_allowed")


# Bodies, amounts, headers and query strings that must each be a 400 problem.
MALFORMED_AMOUNTS: list[Any] = [
    0,
    -1,
    "0",
    "-1",
    "+1",
    "01",
    " 1",
    "1 ",
    "1.0",
    1.0,
    1.5,
    1e3,
    "1e3",
    True,
    None,
    [],
    {},
    "",
    "abc",
    "9223372036854775808",
    9223372036854775808,
    "99999999999999999999",
    "\uff11",  # a fullwidth digit one
]


@pytest.mark.parametrize("amount", MALFORMED_AMOUNTS, ids=repr)
def test_malformed_amounts(client: Client, user: uuid.UUID, asset: str, amount: Any) -> None:
    assert_problem(post(client, "topup", posting(user, asset, amount)), 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"user_id": "' + ALICE.encode() + b'", "asset": "gold_coins"}',
        b'{"user_id": "nope", "asset": "gold_coins", "amount": "1"}',
        b'{"user_id": "' + ALICE.encode() + b'", "asset": 5, "amount": "1"}',
        b'{"user_id": "' + ALICE.encode() + b'", "asset": "gold_coins", "amount": "1", "x": 1}',
        b'{"user_id": "' + ALICE.encode() + b'", "asset": "gold_coins", "amount": "1", '
        b'"metadata": []}',
        b'{"user_id": "' + ALICE.encode() + b'", "asset": "gold_coins", "amount": "1", '
        b'"metadata": {"a": "\\u0000"}}',
        b'{"user_id": "' + ALICE.encode() + b'", "asset": "gold\\u0000", "amount": "1"}',
    ],
    ids=repr,
)
def test_malformed_posting_bodies(client: Client, body: bytes) -> None:
    response = client.post(
        "/v1/transactions/spend",
        content=body,
        headers={"Idempotency-Key": key(), "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_request")


@pytest.mark.parametrize("idempotency_key", ["", "x" * 256, "caf\u00e9", "tab\there"], ids=repr)
def test_malformed_idempotency_keys(
    client: Client, user: uuid.UUID, asset: str, idempotency_key: str
) -> None:
    response = client.post(
        "/v1/transactions/topup",
        json=posting(user, asset, 1),
        headers={b"Idempotency-Key": idempotency_key.encode("latin-1")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] in {"invalid_request", "idempotency_key_missing"}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "email": "a@b.c"},
        {"name": " padded ", "email": "p@b.c"},
        {"name": "No Email"},
        {"name": "Bad", "email": "not-an-email"},
        {"name": "Extra", "email": "e@b.c", "id": ALICE},
        {"name": 5, "email": "n@b.c"},
        {"name": "Nul\u0000", "email": "nul@b.c"},
    ],
    ids=repr,
)
def test_malformed_new_users(client: Client, body: dict[str, Any]) -> None:
    assert_problem(client.post("/v1/users", json=body), 400, "invalid_request")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/users/not-a-uuid",
        "/v1/users/not-a-uuid/balances",
        f"/v1/users/{ALICE}/balances/gold%00",
        "/v1/transactions/12345",
        "/v1/users?limit=0",
        "/v1/users?limit=501",
        "/v1/users?limit=1e2",
        "/v1/users?limit=1.0",
        "/v1/users?limit=+5",
        "/v1/users?limit=abc",
        "/v1/users?cursor=garbage!",
        "/v1/users?q=%00",
        f"/v1/users/{ALICE}/transactions?cursor=dXNlcjox",  # a cursor of another list
        f"/v1/users/{ALICE}/transactions?cursor=ZW50cnk6LTE",  # entry:-1
        f"/v1/users/{ALICE}/transactions?cursor=ZW50cnk6OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
        "/v1/transactions?kind=refund",
        "/v1/transactions?user_id=nope",
        "/v1/transactions?limit=-1",
    ],
)
def test_malformed_paths_and_query_strings(client: Client, path: str) -> None:
    assert_problem(client.get(path), 400, "invalid_request")


def test_data_the_database_refuses_is_a_400_not_a_500(client: Client) -> None:
    response = client.get("/v1/transactions", params={"asset": "x\u0000"})
    assert_problem(response, 400, "invalid_request")


def test_database_down_at_start_fails_the_start() -> None:
    dead = Settings(database_url="postgresql://nobody@127.0.0.1:9/none", pool_timeout_seconds=1)
    with pytest.raises(BaseExceptionGroup) as info, TestClient(create_app(dead)):
        pass
    assert info.group_contains(psycopg.OperationalError, match="Connection refused")
