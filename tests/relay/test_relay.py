"""`pgwallet relay` against the real NATS server (127.0.0.1:4222, JetStream on).

Each test publishes to a stream and subjects of its own (`PGWALLET_TEST_<hex>`,
`pgwallet_test_<hex>.>`), which it deletes afterwards: nothing else on the
server is touched. `.ci/run` starts Debian's nats-server when none answers.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import psycopg
import pytest
from nats.js.errors import NotFoundError
from psycopg.rows import dict_row

from pgwallet import relay
from tests.support import Conn, one, raises_sqlstate

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def _stream_messages(stream: str) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """(subject, headers, body) of every message of the stream, in order."""
    broker = await nats.connect(NATS_URL)
    try:
        js = broker.jetstream()
        info = await js.stream_info(stream)
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            assert message.subject is not None
            assert message.data is not None
            messages.append((message.subject, message.headers or {}, json.loads(message.data)))
        return messages
    finally:
        await broker.close()


async def _last_published(config: relay.RelayConfig, asset: str) -> int:
    """The event_id of the last topup in `asset` that the stream holds."""
    broker = await nats.connect(NATS_URL)
    try:
        message = await broker.jetstream().get_last_msg(
            config.stream, f"{config.subject_prefix}.{asset}.topup"
        )
        assert message.data is not None
        return int(json.loads(message.data)["event_id"])
    finally:
        await broker.close()


async def _delete_stream(stream: str) -> None:
    broker = await nats.connect(NATS_URL)
    try:
        await broker.jetstream().delete_stream(stream)
    except NotFoundError:
        pass
    finally:
        await broker.close()


@pytest.fixture(scope="module", autouse=True)
def nats_server() -> None:
    """NATS must answer: these tests talk to the real server."""

    async def probe() -> None:
        broker = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
        await broker.jetstream().account_info()  # JetStream is on
        await broker.close()

    try:
        asyncio.run(probe())
    except Exception as error:  # whatever the client raises, the same advice
        pytest.fail(f"no NATS server at {NATS_URL} ({error}): start one, `nats-server -js`")


@pytest.fixture
def config() -> Iterator[relay.RelayConfig]:
    """A relay configuration with a stream, subjects and position of this test's own."""
    tag = uuid.uuid4().hex[:10]
    yield relay.RelayConfig(
        name=f"test-{tag}",
        nats_url=NATS_URL,
        stream=f"PGWALLET_TEST_{tag}",
        subject_prefix=f"pgwallet_test_{tag}",
        page=50,
    )
    asyncio.run(_delete_stream(f"PGWALLET_TEST_{tag}"))


def last_event_id(conn: Conn) -> int:
    return int(one(conn, "select wallet.last_event_id() as id")["id"])


def position(conn: Conn, name: str) -> int:
    return int(one(conn, "select wallet.relay_position(%s) as at", [name])["at"])


def post_many(conn: Conn, user: uuid.UUID, asset: str, count: int) -> None:
    """`count` topups of 1 (fresh keys), committed ten at a time."""
    tag = uuid.uuid4().hex
    for first in range(0, count, 10):
        conn.execute(
            "select count(wallet.topup(%s, %s, 1, %s || '-' || g))"
            " from generate_series(%s::int, %s::int) as g",
            [user, asset, tag, first, first + 9],
        )


def test_the_relay_publishes_every_event_once_with_its_subject_and_id(
    db_url: str, conn: Conn, config: relay.RelayConfig, user: uuid.UUID, asset: str
) -> None:
    conn.execute("select wallet.topup(%s, %s, 10, %s)", [user, asset, "relay-one"])
    conn.execute("select wallet.spend(%s, %s, 4, %s)", [user, asset, "relay-two"])
    head = last_event_id(conn)

    async def relay_until_caught_up() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(db_url, config, stop))
        while position(conn, config.name) < head:
            assert not task.done(), task.result()
            await asyncio.sleep(0.1)
        stop.set()
        return await task

    assert asyncio.run(relay_until_caught_up()) == head
    messages = asyncio.run(_stream_messages(config.stream))
    events = [body for subject, _, body in messages if "._chain." not in subject]
    assert len(events) == head  # every event of this module's database, once
    assert [e["event_id"] for e in events] == list(range(1, head + 1))
    for subject, headers, body in messages:
        if "._chain." in subject:
            assert subject == f"{config.subject_prefix}._chain.head"
            assert body["entries"] > 0
            continue
        assert subject == f"{config.subject_prefix}.{body['asset']}.{body['kind']}"
        assert headers["Nats-Msg-Id"] == body["transaction_id"]
    mine = [e for e in events if e["asset"] == asset]
    assert [(e["kind"], e["amount"]) for e in mine] == [("topup", "10"), ("spend", "4")]


def test_a_position_never_moves_backwards(conn: Conn) -> None:
    name = f"test-{uuid.uuid4().hex[:10]}"
    assert position(conn, name) == 0
    assert one(conn, "select wallet.set_relay_position(%s, 7) as at", [name])["at"] == 7
    assert one(conn, "select wallet.set_relay_position(%s, 3) as at", [name])["at"] == 7
    assert position(conn, name) == 7
    for bad_name, event_id in [("Bad Name", 1), (name, -1), (name, None)]:
        with raises_sqlstate("PW002"):
            conn.execute("select wallet.set_relay_position(%s, %s)", [bad_name, event_id])


def _start_relay(db_url: str, config: relay.RelayConfig) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pgwallet.cli",
            "relay",
            "--name",
            config.name,
            "--nats-url",
            config.nats_url,
            "--stream",
            config.stream,
            "--subject-prefix",
            config.subject_prefix,
        ],
        env={**os.environ, "DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL,
    )


def _wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_relay_killed_mid_stream_resumes_and_none_is_lost_or_doubled(
    db_url: str, config: relay.RelayConfig, user: uuid.UUID, asset: str
) -> None:
    """SIGKILL the relay while it publishes, four times, while postings go on;
    restarted each time, it ends with every event in the stream exactly once.
    At least one kill falls after the broker stored events past the relay's
    recorded position: its successor publishes them again, and JetStream's
    de-duplication (Nats-Msg-Id) drops them."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        post_many(conn, user, asset, 1500)
        kills_ahead = 0  # kills after publishing past the recorded position
        for _ in range(4):
            process = _start_relay(db_url, config)
            start = position(conn, config.name)
            # Kill it once it has moved on and the broker holds events past its
            # recorded position (it is publishing a page), or what it does then.
            _wait_for(lambda s=start: position(conn, config.name) > s, 30, "the relay")
            _wait_for(
                lambda: (
                    asyncio.run(_last_published(config, asset)) > position(conn, config.name)
                    or position(conn, config.name) >= last_event_id(conn)
                ),
                30,
                "a page under way",
            )
            process.send_signal(signal.SIGKILL)
            process.wait()
            if asyncio.run(_last_published(config, asset)) > position(conn, config.name):
                kills_ahead += 1
            post_many(conn, user, asset, 100)
        assert position(conn, config.name) < last_event_id(conn), "it must be killed mid-stream"

        process = _start_relay(db_url, config)
        head = last_event_id(conn)
        _wait_for(lambda: position(conn, config.name) >= head, 60, "the relay to catch up")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0

        events = [
            body
            for subject, _, body in asyncio.run(_stream_messages(config.stream))
            if "._chain." not in subject
        ]
        expected = [
            row["transaction_id"]
            for row in conn.execute(
                "select t.id::text as transaction_id from ledger.events as e"
                " join ledger.transactions as t on t.id = e.transaction_id"
                " where e.event_id <= %s order by e.event_id",
                [head],
            )
        ]
    assert kills_ahead > 0, "no kill fell between a publish and the position's update"
    assert [e["transaction_id"] for e in events] == expected
