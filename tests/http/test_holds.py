"""/v1/holds over HTTP: hold, capture, release, read; balances show held and available."""

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, bearer, post_at_once, topup
from tests.support import Conn, create_client, key, verify


def hold_body(user_id: uuid.UUID, asset: str, amount: int | str, **extra: Any) -> dict[str, Any]:
    return {"user_id": str(user_id), "asset": asset, "amount": amount, **extra}


def place(
    client: Client, body: dict[str, Any], idempotency_key: str | None = None
) -> httpx.Response:
    return client.post(
        "/v1/holds", json=body, headers={"Idempotency-Key": idempotency_key or key()}
    )


def act(
    client: Client,
    hold_id: str,
    action: str,
    body: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> httpx.Response:
    """POST /v1/holds/{hold_id}/{capture|release}; a release without a body unless given."""
    return client.post(
        f"/v1/holds/{hold_id}/{action}",
        json=body,
        headers={"Idempotency-Key": idempotency_key or key()},
    )


def test_a_hold_answers_201_and_shows_in_the_balances(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    topup(client, user, asset, 100)

    response = place(client, hold_body(user, asset, "30", metadata={"order": "A-1"}))

    assert response.status_code == 201, response.text
    held = response.json()
    assert set(held) == {
        "hold_id",
        "user_id",
        "asset",
        "amount",
        "captured_amount",
        "status",
        "expires_at",
        "created_at",
    }
    assert (held["amount"], held["captured_amount"], held["status"]) == ("30", None, "held")
    line = client.get(f"/v1/users/{user}/balances/{asset}").json()
    assert (line["balance"], line["held"], line["available"]) == ("100", "30", "70")
    (listed,) = [
        b
        for b in client.get(f"/v1/users/{user}/balances").json()["balances"]
        if b["asset"] == asset
    ]
    assert listed == {"asset": asset, "balance": "100", "held": "30", "available": "70"}
    assert client.get(f"/v1/holds/{held['hold_id']}").json() == held
    active = client.get(f"/v1/users/{user}/holds").json()["items"]
    assert [h["hold_id"] for h in active] == [held["hold_id"]]


def test_capture_and_release(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 100)
    first = place(client, hold_body(user, asset, 50)).json()
    second = place(client, hold_body(user, asset, 50)).json()

    assert_problem(
        act(client, first["hold_id"], "capture", {"amount": "51"}), 422, "capture_exceeds_hold"
    )
    captured = act(client, first["hold_id"], "capture", {"amount": "20", "metadata": {"d": 1}})
    released = act(client, second["hold_id"], "release")

    assert captured.status_code == 201, captured.text
    assert (captured.json()["kind"], captured.json()["amount"], captured.json()["balance"]) == (
        "spend",
        "20",
        "80",
    )
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    after = client.get(f"/v1/holds/{first['hold_id']}").json()
    assert (after["status"], after["captured_amount"]) == ("captured", "20")
    for hold_id in (first["hold_id"], second["hold_id"]):
        assert_problem(act(client, hold_id, "capture"), 409, "hold_not_active")
        assert_problem(act(client, hold_id, "release", {}), 409, "hold_not_active")
    line = client.get(f"/v1/users/{user}/balances/{asset}").json()
    assert (line["balance"], line["held"], line["available"]) == ("80", "0", "80")


def test_holds_are_idempotent_and_replays_say_so(
    client: Client, user: uuid.UUID, asset: str
) -> None:
    topup(client, user, asset, 100)
    k = key()
    first = place(client, hold_body(user, asset, 10), k)
    again = place(client, hold_body(user, asset, 10), k)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(place(client, hold_body(user, asset, 11), k), 409, "idempotency_key_reused")
    hold_id = first.json()["hold_id"]
    rk, ck = key(), key()
    released = act(client, hold_id, "release", idempotency_key=rk)
    replay = act(client, hold_id, "release", idempotency_key=rk)
    assert (replay.status_code, replay.json()) == (200, released.json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = place(client, hold_body(user, asset, 10)).json()["hold_id"]
    receipt = act(client, other, "capture", idempotency_key=ck)
    replay = act(client, other, "capture", idempotency_key=ck)
    assert (replay.status_code, replay.json()) == (201, receipt.json())
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_hold_errors(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 10)
    nobody = uuid.uuid4()
    assert_problem(client.get(f"/v1/holds/{nobody}"), 404, "hold_not_found")
    assert_problem(client.get("/v1/holds/not-a-uuid"), 400, "invalid_request")
    assert_problem(act(client, str(nobody), "capture"), 404, "hold_not_found")
    assert_problem(act(client, str(nobody), "release"), 404, "hold_not_found")
    assert_problem(place(client, hold_body(user, asset, 11)), 422, "insufficient_funds")
    assert_problem(place(client, hold_body(nobody, asset, 1)), 404, "user_not_found")
    for bad in (
        hold_body(user, asset, 0),
        hold_body(user, asset, 1, expires_in_seconds=0),
        hold_body(user, asset, 1, expires_in_seconds=30 * 24 * 3600 + 1),
        hold_body(user, asset, 1, expires_in_seconds="60"),
        hold_body(user, asset, 1, extra=True),
    ):
        assert_problem(place(client, bad), 400, "invalid_request")
    response = client.post("/v1/holds", json=hold_body(user, asset, 1))
    assert_problem(response, 400, "idempotency_key_missing")
    held = place(client, hold_body(user, asset, 5)).json()["hold_id"]
    assert_problem(act(client, held, "capture", {"amount": "-1"}), 400, "invalid_request")
    assert_problem(act(client, held, "release", {"amount": "1"}), 400, "invalid_request")


def test_a_hold_expires_by_itself(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 10)
    held = place(client, hold_body(user, asset, 10, expires_in_seconds=1)).json()
    assert_problem(place(client, hold_body(user, asset, 1)), 422, "insufficient_funds")
    time.sleep(1.1)

    assert client.get(f"/v1/holds/{held['hold_id']}").json()["status"] == "expired"
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["available"] == "10"
    assert_problem(act(client, held["hold_id"], "capture"), 409, "hold_not_active")


def test_holds_need_the_hold_scope(client: Client, conn: Conn, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 10)
    spender = create_client(conn, ["spend", "read"])["token"]
    response = client.post(
        "/v1/holds",
        json=hold_body(user, asset, 1),
        headers={"Idempotency-Key": key(), **bearer(spender)},
    )
    assert_problem(response, 403, "forbidden")


def test_twenty_holds_of_ten_at_once_over_http(
    token: str,
    serve: Callable[[Settings], str],
    db_url: str,
    client: Client,
    conn: Conn,
    user: uuid.UUID,
    asset: str,
) -> None:
    topup(client, user, asset, 100)
    url = serve(Settings(database_url=db_url, pool_max_size=10, lock_timeout_ms=5000))

    bodies = [(hold_body(user, asset, "10"), key()) for _ in range(20)]
    responses = post_at_once(url, token, "/v1/holds", bodies)

    assert Counter(r.status_code for r in responses) == {201: 10, 422: 10}
    line = client.get(f"/v1/users/{user}/balances/{asset}").json()
    assert (line["balance"], line["held"], line["available"]) == ("100", "100", "0")
    assert all(verify(conn).values())
