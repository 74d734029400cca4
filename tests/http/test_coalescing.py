"""Coalescing: concurrent single postings answered exactly as alone, through real batches."""

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from pgwallet.http.app import create_app
from pgwallet.http.coalescing import Coalescer
from pgwallet.http.settings import Settings, SettingsError
from pgwallet.testing import free_port
from tests.http.support import Client, bearer, post, posting, topup
from tests.support import key


@pytest.fixture(scope="module")
def served(db_url: str) -> Iterator[tuple[str, Litestar]]:
    """The app with the default coalescing, served by uvicorn in a thread: its URL and app."""
    app = create_app(Settings(database_url=db_url, pool_max_size=4, lock_timeout_ms=2000))
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{server.config.port}", app
    server.should_exit = True
    thread.join(timeout=10)


def send_at_once(
    url: str, token: str, sends: list[tuple[str, dict[str, Any], str]]
) -> list[httpx.Response]:
    """POST each (kind, body, key) concurrently; the answers in order."""

    async def all_of_them() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, headers=bearer(token), timeout=30) as http:
            return await asyncio.gather(
                *[
                    http.post(f"/v1/transactions/{kind}", json=body, headers={"Idempotency-Key": k})
                    for kind, body, k in sends
                ]
            )

    return asyncio.run(all_of_them())


def without_ids(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "detail"}


def test_concurrent_postings_go_as_batches_and_answer_as_alone(
    served: tuple[str, Litestar], client: Client, token: str, new_user: Any, asset: str
) -> None:
    url, app = served
    coalescer: Coalescer = app.state.coalescer
    rich, poor = new_user(), new_user()
    topup(client, poor, asset, 5)
    twice = key()
    sends = [("topup", posting(rich, asset, n + 1), key()) for n in range(30)]
    sends += [("topup", posting(rich, asset, 100), twice)] * 10
    sends += [("spend", posting(poor, asset, 6), key())] * 5

    answers = send_at_once(url, token, sends)

    assert coalescer.stats.batches >= 1
    assert coalescer.stats.coalesced >= 2
    assert [a.status_code for a in answers[:30]] == [201] * 30
    assert sorted(int(a.json()["amount"]) for a in answers[:30]) == list(range(1, 31))
    duplicates = answers[30:40]
    assert {a.status_code for a in duplicates} == {201}
    firsts = [a for a in duplicates if "Idempotent-Replayed" not in a.headers]
    assert len(firsts) == 1
    assert all(a.json() == firsts[0].json() for a in duplicates)
    assert all(
        a.headers.get("Idempotent-Replayed") == "true" for a in duplicates if a is not firsts[0]
    )
    # An overspend answers as alone: the same status, headers and problem document.
    alone = post(client, "spend", posting(poor, asset, 6))
    for answer in answers[40:]:
        assert answer.status_code == alone.status_code == 422
        assert answer.headers["content-type"] == alone.headers["content-type"]
        assert without_ids(answer.json()) == without_ids(alone.json())
        assert answer.json()["detail"] == alone.json()["detail"]
    balances = client.get(f"/v1/users/{rich}/balances/{asset}").json()
    assert balances["balance"] == str(sum(range(1, 31)) + 100)


def test_a_lone_posting_goes_alone(
    served: tuple[str, Litestar], token: str, user: uuid.UUID, asset: str
) -> None:
    url, app = served
    before = app.state.coalescer.stats.alone

    (answer,) = send_at_once(url, token, [("topup", posting(user, asset, 1), key())])

    assert answer.status_code == 201
    assert app.state.coalescer.stats.alone == before + 1


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, (True, 2.0, 2, 100)),
        (
            {
                "COALESCE_POSTINGS": "off",
                "COALESCE_WINDOW_MS": "5",
                "COALESCE_MAX_POSTINGS": "1000",
            },
            (False, 5.0, 2, 1000),
        ),
    ],
)
def test_the_settings_come_from_the_environment(
    environ: dict[str, str], expected: tuple[bool, float, int, int]
) -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgresql:///x", **environ})

    assert (
        settings.coalesce_postings,
        settings.coalesce_window_ms,
        settings.coalesce_min_postings,
        settings.coalesce_max_postings,
    ) == expected


@pytest.mark.parametrize(
    "environ", [{"COALESCE_POSTINGS": "maybe"}, {"COALESCE_MAX_POSTINGS": "1001"}]
)
def test_malformed_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"DATABASE_URL": "postgresql:///x", **environ})
