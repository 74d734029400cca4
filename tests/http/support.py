"""Helpers of the HTTP tests: postings over HTTP and problem-document checks."""

import asyncio
import uuid
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import TestClient

from pgwallet.http.database import APPLICATION_NAME
from tests.support import Conn, key

Client = TestClient[Litestar]


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a client's token."""
    return {"Authorization": f"Bearer {token}"}


def posting(user_id: uuid.UUID, asset: str, amount: int | str, **extra: Any) -> dict[str, Any]:
    """A posting body."""
    return {"user_id": str(user_id), "asset": asset, "amount": amount, **extra}


def post(
    client: Client,
    kind: str,
    body: dict[str, Any],
    idempotency_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /v1/transactions/<kind> with a fresh key unless one is given (and more headers)."""
    headers = {"Idempotency-Key": idempotency_key or key(), **(headers or {})}
    return client.post(f"/v1/transactions/{kind}", json=body, headers=headers)


def post_at_once(
    url: str, token: str, kind: str, postings: list[tuple[dict[str, Any], str]]
) -> list[httpx.Response]:
    """POST each (body, Idempotency-Key) to /v1/transactions/<kind> of the app served at
    `url`, all concurrently; the answers in the same order. A `kind` that is a path
    (`/v1/holds`) is posted to as it is."""
    path = kind if kind.startswith("/") else f"/v1/transactions/{kind}"

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, headers=bearer(token), timeout=30) as http:
            return await asyncio.gather(
                *[
                    http.post(
                        path,
                        json=body,
                        headers={"Idempotency-Key": idempotency_key},
                    )
                    for body, idempotency_key in postings
                ]
            )

    return asyncio.run(send_all())


def topup(client: Client, user_id: uuid.UUID, asset: str, amount: int) -> dict[str, Any]:
    """A successful topup over HTTP; returns the receipt."""
    response = post(client, "topup", posting(user_id, asset, str(amount)))
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"].endswith(code)
    assert problem["title"]
    assert problem["detail"]
    return problem


def terminate_facade_sessions(conn: Conn, waiting_for: str | None = None) -> int:
    """Kill the facade's server sessions on this database (those waiting on `waiting_for`,
    a wait event type, if given), as a database restart or a failover would; how many.
    Each is gone when this returns (the 5 s wait of pg_terminate_backend)."""
    terminated = conn.execute(
        "select count(pg_terminate_backend(pid, 5000)) as n from pg_stat_activity"
        " where datname = current_database() and application_name = %s"
        " and (%s::text is null or wait_event_type = %s)",
        [APPLICATION_NAME, waiting_for, waiting_for],
    ).fetchone()
    assert terminated is not None
    return int(terminated["n"])
