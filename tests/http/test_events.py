"""GET /v1/events (pages and long polls) and GET /v1/events/stream (Server-Sent Events)."""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pgwallet.http.routes import events
from pgwallet.http.settings import Settings
from tests.http.support import Client, assert_problem, bearer, topup
from tests.support import Conn, create_client


def head(client: Client) -> int:
    """Where the feed stands: the next_after of paging to its end."""
    after = 0
    while True:
        page = client.get("/v1/events", params={"after": after, "limit": 500}).json()
        if page["next_after"] == after:
            return after
        after = page["next_after"]


def test_a_page_holds_the_events_after_after(client: Client, user: uuid.UUID, asset: str) -> None:
    start = head(client)
    receipts = [topup(client, user, asset, amount) for amount in (5, 6, 7)]

    first = client.get("/v1/events", params={"after": start, "limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["transaction_id"] for e in page["items"]] == [
        r["transaction_id"] for r in receipts[:2]
    ]
    assert page["next_after"] == page["items"][-1]["event_id"]
    assert isinstance(page["next_after"], int)
    event = page["items"][0]
    assert event == {
        "event_id": event["event_id"],
        "transaction_id": receipts[0]["transaction_id"],
        "kind": "topup",
        "user_id": str(user),
        "counterparty_user_id": None,
        "asset": asset,
        "amount": "5",
        "reverses": None,
        "client_id": event["client_id"],
        "created_at": receipts[0]["created_at"],
        "metadata": {},
    }
    assert event["client_id"] is not None

    rest = client.get("/v1/events", params={"after": page["next_after"]}).json()
    assert [e["transaction_id"] for e in rest["items"]] == [receipts[2]["transaction_id"]]
    end = client.get("/v1/events", params={"after": rest["next_after"]}).json()
    assert end == {"items": [], "next_after": rest["next_after"]}


@pytest.mark.parametrize(
    "params",
    [
        {"after": "-1"},
        {"after": "x"},
        {"after": "01"},
        {"after": "9223372036854775808"},
        {"limit": "0"},
        {"limit": "501"},
        {"wait": "31"},
        {"wait": "1.5"},
        {"afer": "10"},
    ],
)
def test_bad_parameters_are_400(client: Client, params: dict[str, str]) -> None:
    assert_problem(client.get("/v1/events", params=params), 400, "invalid_request")


def test_the_feed_needs_the_read_scope(client: Client, conn: Conn) -> None:
    spender = create_client(conn, ["spend"])
    for path in ("/v1/events", "/v1/events/stream"):
        assert_problem(client.get(path, headers=bearer(spender["token"])), 403, "forbidden")
        assert_problem(client.get(path, headers={"Authorization": ""}), 401, "unauthorized")


def test_a_long_poll_answers_as_soon_as_an_event_arrives(
    client: Client, live_url: str, token: str, user: uuid.UUID, asset: str
) -> None:
    start = head(client)
    answers: list[tuple[float, httpx.Response]] = []

    def long_poll() -> None:
        began = time.monotonic()
        response = httpx.get(
            f"{live_url}/v1/events",
            params={"after": start, "wait": 20},
            headers=bearer(token),
            timeout=30,
        )
        answers.append((time.monotonic() - began, response))

    waiting = threading.Thread(target=long_poll)
    waiting.start()
    time.sleep(1)
    assert answers == [], "it answered before anything happened"
    receipt = topup(client, user, asset, 3)
    waiting.join(timeout=25)

    ((seconds, response),) = answers
    assert response.status_code == 200, response.text
    assert [e["transaction_id"] for e in response.json()["items"]] == [receipt["transaction_id"]]
    assert seconds < 5


def test_a_long_poll_with_nothing_new_answers_empty_after_wait(client: Client) -> None:
    start = head(client)
    began = time.monotonic()
    page = client.get("/v1/events", params={"after": start, "wait": 1}).json()
    assert page == {"items": [], "next_after": start}
    assert 1 <= time.monotonic() - began < 5


@pytest.fixture(scope="module")
def two_connection_url(serve: Callable[[Settings], str], db_url: str) -> str:
    """The app with a pool of two connections."""
    return serve(Settings(database_url=db_url, pool_max_size=2, pool_timeout_seconds=2))


def test_many_waiting_requests_share_the_workers_poll(
    client: Client, two_connection_url: str, token: str, user: uuid.UUID, asset: str
) -> None:
    """Forty long polls wait on a pool of two connections, then all get the event:
    waiting holds no connection (each held one, most would time out for the pool)."""
    start = head(client)

    async def wait_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=two_connection_url, headers=bearer(token), timeout=30
        ) as http:
            polls = [
                asyncio.create_task(http.get("/v1/events", params={"after": start, "wait": 15}))
                for _ in range(40)
            ]
            await asyncio.sleep(3)
            await asyncio.to_thread(topup, client, user, asset, 1)
            return await asyncio.gather(*polls)

    answers = asyncio.run(wait_all())
    assert {a.status_code for a in answers} == {200}
    assert {len(a.json()["items"]) for a in answers} == {1}


def read_stream(
    url: str, token: str, count: int, headers: dict[str, str] | None = None, **params: Any
) -> Iterator[tuple[str, str]]:
    """The stream's (field, value) lines, until `count` events have come."""
    with httpx.stream(
        "GET",
        f"{url}/v1/events/stream",
        params=params,
        headers={**bearer(token), **(headers or {})},
        timeout=30,
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        seen = 0
        for line in response.iter_lines():
            field, _, value = line.partition(":")
            yield field, value.strip()
            if field == "data":
                seen += 1
                if seen == count:
                    return


def test_the_stream_sends_each_event_with_its_id_and_resumes(
    client: Client, live_url: str, token: str, user: uuid.UUID, asset: str
) -> None:
    start = head(client)
    receipts = [topup(client, user, asset, amount) for amount in (1, 2, 3)]

    lines = list(read_stream(live_url, token, 3, headers={"Last-Event-ID": str(start)}))
    ids = [int(value) for field, value in lines if field == "id"]
    data = [value for field, value in lines if field == "data"]
    assert len(ids) == 3
    assert ids == sorted(ids)
    assert ids[0] > start
    assert [json.loads(d)["transaction_id"] for d in data] == [
        r["transaction_id"] for r in receipts
    ]
    assert ("retry", "1000") in lines

    # A browser reconnects with the last id it got: the stream resumes after it.
    resumed = list(read_stream(live_url, token, 2, headers={"Last-Event-ID": str(ids[0])}))
    assert [int(v) for f, v in resumed if f == "id"] == ids[1:]
    # Without Last-Event-ID, `after` says where to start.
    from_after = list(read_stream(live_url, token, 1, after=str(ids[1])))
    assert [int(v) for f, v in from_after if f == "id"] == ids[2:]


def test_the_stream_starts_from_now_and_beats_when_idle(
    client: Client,
    live_url: str,
    token: str,
    user: uuid.UUID,
    asset: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "HEARTBEAT_SECONDS", 0.5)
    topup(client, user, asset, 1)  # before the stream: not sent
    lines: list[tuple[str, str]] = []

    def listen() -> None:
        lines.extend(read_stream(live_url, token, 1))

    listening = threading.Thread(target=listen)
    listening.start()
    time.sleep(2)
    receipt = topup(client, user, asset, 9)
    listening.join(timeout=20)

    assert ("", "heartbeat") in lines
    (data,) = [value for field, value in lines if field == "data"]
    assert json.loads(data)["transaction_id"] == receipt["transaction_id"]


def test_a_bad_last_event_id_is_400(client: Client) -> None:
    response = client.get("/v1/events/stream", headers={"Last-Event-ID": "abc"})
    assert_problem(response, 400, "invalid_request")


def test_an_asset_summary_over_http(client: Client, user: uuid.UUID, asset: str) -> None:
    topup(client, user, asset, 40)

    response = client.get(f"/v1/assets/{asset}/summary")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "asset": asset,
        "issued": "40",
        "revenue": "0",
        "in_circulation": "40",
        "held": "0",
        "holders": 1,
        "verified": True,
        "verify_detail": "its balances sum to 0, none is below 0, each equals its entries",
    }
    assert_problem(client.get("/v1/assets/no_such_asset/summary"), 404, "asset_not_found")
