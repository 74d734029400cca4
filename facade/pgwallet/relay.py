"""`pgwallet relay`: every event of the feed, published to a NATS JetStream stream.

The relay pages through `wallet.events` after its position (the last event
the broker acknowledged, kept in the database by `wallet.set_relay_position`)
and publishes each event, in order, as the JSON of `GET /v1/events`, to
`<prefix>.<asset>.<kind>` (prefix `pgwallet`), with the transaction id as
`Nats-Msg-Id`. It records its new position once the broker has acknowledged
a whole page. So:

- nothing is lost: an event is passed only once it is stored by JetStream;
- nothing is doubled for a consumer: a relay killed between the broker's
  acknowledgements and its position's update publishes part of a page again
  when it restarts, and JetStream drops each message whose Nats-Msg-Id it
  has already stored within the stream's duplicate window (2 minutes by
  default; a relay down longer than that can double the last page at most);
- order is the feed's: one publish at a time, each awaited.

The relay also publishes the ledger's hash chain head (`wallet.chain_head()`,
contract section 12) to `<prefix>._chain.head` every minute: an asset code
starts with a letter, so `_chain` is never an asset. The relay stops on
SIGINT or SIGTERM; any other failure (database or broker gone) ends it with an
error, for its supervisor to restart it: it resumes from its position.
"""

import asyncio
import contextlib
import json
import logging
import logging.config
import signal
from dataclasses import dataclass

import msgspec
import nats
import psycopg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from psycopg.rows import DictRow, dict_row

from pgwallet import logs
from pgwallet.http.routes.events import EVENTS_SQL, Event

logger = logging.getLogger("pgwallet.relay")


@dataclass(frozen=True)
class RelayConfig:
    """Where a relay publishes, and how it paces itself."""

    name: str = "nats"  # its position's name in the database
    nats_url: str = "nats://127.0.0.1:4222"
    stream: str = "PGWALLET"  # created (subjects `<prefix>.>`) when missing
    subject_prefix: str = "pgwallet"
    page: int = 500
    poll_seconds: float = 0.2  # the wait when it has caught up
    chain_head_seconds: float = 60.0


def subject(config: RelayConfig, event: Event) -> str:
    """`<prefix>.<asset>.<kind>`: a consumer filters on an asset, a kind or both."""
    return f"{config.subject_prefix}.{event.asset}.{event.kind}"


async def _ensure_stream(js: JetStreamContext, config: RelayConfig) -> None:
    """Create the stream when it does not exist; an existing one is used as it is."""
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(name=config.stream, subjects=[f"{config.subject_prefix}.>"])
        logger.info("created stream %s for %s.>", config.stream, config.subject_prefix)


async def _publish_chain_head(
    js: JetStreamContext, conn: psycopg.AsyncConnection[DictRow], config: RelayConfig
) -> None:
    cursor = await conn.execute("select digest, entries, taken_at from wallet.chain_head()")
    head = await cursor.fetchone()
    assert head is not None
    digest = head["digest"].hex() if head["digest"] is not None else None
    body = {"digest": digest, "entries": head["entries"], "taken_at": head["taken_at"].isoformat()}
    await js.publish(
        f"{config.subject_prefix}._chain.head",
        json.dumps(body).encode(),
        stream=config.stream,
        headers={"Nats-Msg-Id": f"chain-{digest}-{head['entries']}"},
    )


async def _next_page(conn: psycopg.AsyncConnection[DictRow], after: int, limit: int) -> list[Event]:
    cursor = await conn.execute(EVENTS_SQL, [after, limit])
    return msgspec.convert(await cursor.fetchall(), list[Event])


async def run(conninfo: str, config: RelayConfig, stop: asyncio.Event) -> int:
    """Relay until `stop` is set; returns the last position it recorded."""
    broker = await nats.connect(config.nats_url, name=f"pgwallet-relay-{config.name}")
    try:
        js = broker.jetstream()
        await _ensure_stream(js, config)
        async with await psycopg.AsyncConnection.connect(
            conninfo, autocommit=True, row_factory=dict_row, application_name="pgwallet-relay"
        ) as conn:
            cursor = await conn.execute("select wallet.relay_position(%s) as at", [config.name])
            position: int = (await cursor.fetchall())[0]["at"]
            logger.info("relay %s resumes after event %s", config.name, position)
            loop = asyncio.get_running_loop()
            chain_head_due = loop.time()
            while not stop.is_set():
                events = await _next_page(conn, position, config.page)
                for event in events:
                    await js.publish(
                        subject(config, event),
                        msgspec.json.encode(event),
                        stream=config.stream,
                        headers={"Nats-Msg-Id": str(event.transaction_id)},
                    )
                if events:
                    cursor = await conn.execute(
                        "select wallet.set_relay_position(%s, %s) as at",
                        [config.name, events[-1].event_id],
                    )
                    position = (await cursor.fetchall())[0]["at"]
                    logger.info("relay %s: %d events, at %s", config.name, len(events), position)
                if loop.time() >= chain_head_due:
                    await _publish_chain_head(js, conn, config)
                    chain_head_due = loop.time() + config.chain_head_seconds
                if len(events) < config.page:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), config.poll_seconds)
            return position
    finally:
        await broker.close()


def main(conninfo: str, config: RelayConfig) -> int:
    """The `pgwallet relay` command: relay until SIGINT or SIGTERM."""
    logging.config.dictConfig(logs.config("INFO"))

    async def relay_until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(conninfo, config, stop)

    asyncio.run(relay_until_signalled())
    return 0
