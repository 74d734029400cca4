"""Drivers: the two ways the harness reaches pgwallet, behind one interface.

The state machine speaks to a `Driver` (create a user, post, read balances)
and never knows whether that is SQL as the `wallet_api` role or HTTP through
the facade. Operator functions (assets, statuses) have no HTTP route by
contract, so the machine always runs them as the owner, in SQL.
"""

import uuid
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import httpx
import psycopg
from litestar import Litestar
from litestar.testing import TestClient

from tests.properties import statements
from tests.properties.model import Caller, HoldAnswer, Outcome, Receipt, Refusal, Request
from tests.support import Conn

# A balance line: (balance, held, available).
Line = tuple[int, int, int]
# What answers with a hold rather than a receipt.
HOLD_KINDS = ("hold", "release")


class Driver(Protocol):
    """What the state machine needs from the system under test."""

    # Whether it can post as a direct SQL caller (no client), besides as clients.
    direct_sql: bool

    def create_user(self, name: str, email: str) -> UUID: ...

    def post(self, caller: Caller, key: str, request: Request) -> Outcome: ...

    def post_batch(
        self, caller: Caller, sends: list[tuple[str, Request]]
    ) -> list[Outcome] | Refusal: ...

    def balances(self, user_id: UUID) -> dict[str, Line]: ...


def error_names(conn: Conn) -> dict[str, str]:
    """SQLSTATE -> name, from the catalogue wallet.error_codes()."""
    return {
        row["sqlstate"]: row["name"] for row in conn.execute("select * from wallet.error_codes()")
    }


class SqlDriver:
    """The SQL API as the facade uses it: a connection in role wallet_api, autocommit.

    A refusal is any error of the catalogue; any other error (a deadlock, a
    serialization failure, a bug) propagates and fails the test. It posts as
    a client by passing its id, as the facade does, or as itself.
    """

    direct_sql = True

    def __init__(self, api: Conn) -> None:
        self.api = api
        self.names = error_names(api)

    def _run(self, statement: str) -> dict[str, Any] | Refusal:
        try:
            row = self.api.execute(statement).fetchone()
        except psycopg.Error as error:
            if error.sqlstate in self.names:
                return Refusal(self.names[error.sqlstate])
            raise
        assert row is not None
        return row

    def create_user(self, name: str, email: str) -> UUID:
        user_id = uuid.uuid4()
        row = self._run(statements.create_user(name, email, user_id))
        assert not isinstance(row, Refusal), row
        return user_id

    def post(self, caller: Caller, key: str, request: Request) -> Outcome:
        row = self._run(statements.posting(key, request, caller.client_id))
        if isinstance(row, Refusal):
            return row
        if request.kind in HOLD_KINDS:
            return HoldAnswer(**row)
        transfer = row["kind"] == "transfer"
        return Receipt(
            transaction_id=row["transaction_id"],
            kind=row["kind"],
            user_id=row["from_user_id" if transfer else "user_id"],
            asset=row["asset"],
            amount=row["amount"],
            balance=row["from_balance" if transfer else "balance"],
            created_at=row["created_at"],
            replayed=row["replayed"],
            counterparty_balance=row["to_balance"] if transfer else None,
        )

    def post_batch(
        self, caller: Caller, sends: list[tuple[str, Request]]
    ) -> list[Outcome] | Refusal:
        try:
            rows = self.api.execute(statements.batch(sends, caller.client_id)).fetchall()
        except psycopg.Error as error:
            if error.sqlstate in self.names:
                return Refusal(self.names[error.sqlstate])
            raise
        return [
            Receipt(
                transaction_id=row["transaction_id"],
                kind=row["kind"],
                user_id=row["user_id"],
                asset=row["asset"],
                amount=row["amount"],
                balance=row["balance"],
                created_at=row["created_at"],
                replayed=row["replayed"],
            )
            if row["ok"]
            else Refusal(self.names[row["error_code"]])
            for row in rows
        ]

    def balances(self, user_id: UUID) -> dict[str, Line]:
        rows = self.api.execute(statements.balances(user_id)).fetchall()
        return {row["asset"]: (row["balance"], row["held"], row["available"]) for row in rows}


# The contract's HTTP status of each refusal the machine can meet (section 4).
PROBLEM_STATUS = {
    "invalid_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "insufficient_funds": 422,
    "balance_out_of_range": 422,
    "idempotency_key_reused": 409,
    "idempotency_key_in_progress": 409,
    "asset_frozen": 409,
    "user_suspended": 409,
    "transaction_not_found": 404,
    "reversal_exceeds_original": 422,
    "not_reversible": 409,
    "hold_not_found": 404,
    "hold_not_active": 409,
    "capture_exceeds_hold": 422,
}


class HttpDriver:
    """The facade, in-process through Litestar's TestClient (its real pool, real database).

    Each answer is checked against the contract's shape on the way: 201 with
    amounts as strings, `Idempotent-Replayed: true` on a replay, refusals as
    problem+json with the contract's status for their code. Postings carry
    their caller's token; users are created and balances read with `token`,
    a client with every scope.
    """

    direct_sql = False

    def __init__(self, client: TestClient[Litestar], token: str) -> None:
        self.client = client
        self.client.headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def _ok(response: httpx.Response, status: int) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def create_user(self, name: str, email: str) -> UUID:
        user = self._ok(self.client.post("/v1/users", json={"name": name, "email": email}), 201)
        return UUID(user["id"])

    def post(self, caller: Caller, key: str, request: Request) -> Outcome:
        assert caller.token is not None, "over HTTP every caller is a client"
        path, body = self._route(request)
        response = self.client.post(
            path,
            json=body,
            headers={"Idempotency-Key": key, "Authorization": f"Bearer {caller.token}"},
        )
        if response.status_code != (200 if request.kind == "release" else 201):
            assert response.headers["content-type"].startswith("application/problem+json")
            return self._refusal(response.status_code, response.json())
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        if request.kind in HOLD_KINDS:
            return hold_answer(response.json(), replayed)
        return self._receipt(response.json(), replayed)

    @staticmethod
    def _refusal(status: int, problem: dict[str, Any]) -> Refusal:
        """A problem document as the refusal it names; its status must be its code's."""
        assert status == PROBLEM_STATUS.get(problem["code"]), (status, problem)
        return Refusal(problem["code"])

    @staticmethod
    def _receipt(body: dict[str, Any], replayed: bool) -> Receipt:
        """A receipt (or a transfer receipt) in JSON, amounts as strings."""
        transfer = body["kind"] == "transfer"
        balance = body["from_balance" if transfer else "balance"]
        assert isinstance(body["amount"], str), body
        assert isinstance(balance, str), body
        return Receipt(
            transaction_id=UUID(body["transaction_id"]),
            kind=body["kind"],
            user_id=UUID(body["from_user_id" if transfer else "user_id"]),
            asset=body["asset"],
            amount=int(body["amount"]),
            balance=int(balance),
            created_at=datetime.fromisoformat(body["created_at"]),
            replayed=replayed,
            counterparty_balance=int(body["to_balance"]) if transfer else None,
        )

    def post_batch(
        self, caller: Caller, sends: list[tuple[str, Request]]
    ) -> list[Outcome] | Refusal:
        assert caller.token is not None, "over HTTP every caller is a client"
        postings = [
            {**(self._route(request)[1] or {}), "kind": request.kind, "idempotency_key": key}
            for key, request in sends
        ]
        response = self.client.post(
            "/v1/transactions/batch",
            json={"postings": postings},
            headers={"Authorization": f"Bearer {caller.token}"},
        )
        if response.status_code != 200:
            return self._refusal(response.status_code, response.json())
        return [
            self._receipt(result["receipt"], result["replayed"])
            if result["status"] == 201
            else self._refusal(result["status"], result["problem"])
            for result in response.json()["results"]
        ]

    @staticmethod
    def _route(request: Request) -> tuple[str, dict[str, Any] | None]:
        """The path and body of a posting (a release has none)."""
        amount = {} if request.amount is None else {"amount": str(request.amount)}
        if request.kind == "capture":
            return f"/v1/holds/{request.hold_id}/capture", {**amount, "metadata": request.metadata}
        if request.kind == "release":
            return f"/v1/holds/{request.hold_id}/release", None
        if request.kind == "hold":
            return "/v1/holds", {
                "user_id": str(request.user_id),
                "asset": request.asset,
                **amount,
                "expires_in_seconds": request.expires_in,
                "metadata": request.metadata,
            }
        if request.kind == "reversal":
            return (
                f"/v1/transactions/{request.reverses}/reversals",
                {**amount, "metadata": request.metadata},
            )
        parties = (
            {"from_user_id": str(request.user_id), "to_user_id": str(request.to_user_id)}
            if request.kind == "transfer"
            else {"user_id": str(request.user_id)}
        )
        return (
            f"/v1/transactions/{request.kind}",
            {**parties, "asset": request.asset, **amount, "metadata": request.metadata},
        )

    def balances(self, user_id: UUID) -> dict[str, Line]:
        body = self._ok(self.client.get(f"/v1/users/{user_id}/balances"), 200)
        assert body["user_id"] == str(user_id)
        return {
            line["asset"]: (int(line["balance"]), int(line["held"]), int(line["available"]))
            for line in body["balances"]
        }


def hold_answer(body: dict[str, Any], replayed: bool) -> HoldAnswer:
    """A hold as the HTTP API shows it, amounts as strings, checked on the way."""
    assert isinstance(body["amount"], str), body
    captured = body["captured_amount"]
    return HoldAnswer(
        hold_id=UUID(body["hold_id"]),
        user_id=UUID(body["user_id"]),
        asset=body["asset"],
        amount=int(body["amount"]),
        captured_amount=None if captured is None else int(captured),
        status=body["status"],
        expires_at=datetime.fromisoformat(body["expires_at"]),
        created_at=datetime.fromisoformat(body["created_at"]),
        replayed=replayed,
    )
