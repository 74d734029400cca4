"""GET /v1/events (pages, long poll) and GET /v1/events/stream (Server-Sent Events).

Both read `wallet.events`, whose event ids grow in the order transactions
become visible, so `after` = the last event_id seen never skips one (see
sql/70_events.sql). They read the primary: reading the feed numbers it. A
waiting request holds no connection: the worker's Feed wakes it.
"""

import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
import psycopg
from litestar import get
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from pgwallet.http import examples, metrics
from pgwallet.http.database import Database, Db
from pgwallet.http.feed import Feed, FeedDependency, provide_feed
from pgwallet.http.openapi import guarded
from pgwallet.http.paging import DEFAULT_LIMIT, Limit, QueryInteger
from pgwallet.http.problems import INVALID_REQUEST, ProblemError
from pgwallet.http.wording import refused
from pgwallet.rules import BIGINT_MAX

logger = logging.getLogger("pgwallet.feed")

# An SSE client is told to reconnect after this (its Last-Event-ID resumes it).
RECONNECT_MS = 1000
# A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# A stream ends after this; the client reconnects and resumes. So a worker
# that is shutting down waits at most this long for its streams.
STREAM_SECONDS = 300.0
# What a stream sends per read while it catches up.
_STREAM_PAGE = 500


class EventId(QueryInteger):
    """An event_id: 0 (before the first event) to the bigint maximum."""

    field = "after"
    pattern = "^(0|[1-9][0-9]{0,18})$"
    minimum = 0
    maximum = BIGINT_MAX


class LastEventId(EventId):
    """An event_id, sent as the Last-Event-ID header."""

    field = "Last-Event-ID"


class WaitSeconds(QueryInteger):
    """How long a long poll may wait, 0 to 30 seconds."""

    field = "wait"
    pattern = "^([0-9]|[12][0-9]|30)$"
    minimum = 0
    maximum = 30


EVENTS_SQL = (
    "select event_id, transaction_id, kind, user_id, counterparty_user_id, asset,"
    " amount::text as amount, reverses, client_id, created_at, metadata"
    " from wallet.events(%s, %s)"
)


class Event(msgspec.Struct):
    """One transaction of the feed; `event_id` (a JSON integer) is its place in it."""

    event_id: int
    transaction_id: UUID
    kind: str
    user_id: UUID
    counterparty_user_id: UUID | None  # a transfer's receiver
    asset: str
    amount: str
    reverses: UUID | None  # the transaction a reversal undoes
    client_id: UUID | None  # who posted it; null for a direct SQL call
    created_at: datetime
    metadata: dict[str, Any]


class EventPage(msgspec.Struct):
    """A page of the feed; pass `next_after` as `after` for the next one."""

    items: list[Event]
    next_after: int


EVENT = Event(
    41,
    examples.TRANSACTION,
    "spend",
    examples.ALICE,
    None,
    "gold_coins",
    "50",
    None,
    None,
    examples.AT,
    {"order": "A-1001"},
)

BEGINNING = EventId(0)
NO_WAIT = WaitSeconds(0)
After = Annotated[
    EventId,
    QueryParameter(
        description="The last event_id you have seen: the page starts after it (0: the beginning).",
    ),
]
Wait = Annotated[
    WaitSeconds,
    QueryParameter(
        description="Seconds to wait for an event when there is none yet (0 to 30, default 0): "
        "the answer comes as soon as one arrives.",
    ),
]


async def read_events(db: Database, after: int, limit: int) -> list[Event]:
    """The events after `after`, at most `limit`."""
    events = msgspec.convert(await db.rows(EVENTS_SQL, [after, limit]), list[Event])
    metrics.observe_event_lag(event.created_at.timestamp() for event in events)
    return events


_FEED = {"feed": Provide(provide_feed, sync_to_thread=False)}


@get(
    "/v1/events",
    dependencies=_FEED,
    **guarded(
        "read", 200, EventPage([EVENT], 41), INVALID_REQUEST, invalid=refused("after", "last")
    ),
)
async def list_events(
    db: Db,
    feed: FeedDependency,
    after: After = BEGINNING,
    limit: Limit = DEFAULT_LIMIT,
    wait: Wait = NO_WAIT,
) -> EventPage:
    """Every transaction once, in the order it became visible: the events after `after`.

    Page with `after` = the previous page's `next_after`. With `wait`, an empty
    answer waits up to that many seconds and returns as soon as events arrive.
    """
    items = await read_events(db, after, limit)
    if not items and wait > 0 and await feed.wait_after(after, wait):
        items = await read_events(db, after, limit)
    return EventPage(items, items[-1].event_id if items else after)


async def _stream(db: Database, feed: Feed, after: int) -> AsyncIterator[ServerSentEventMessage]:
    """Events as they come, a heartbeat comment when none has for HEARTBEAT_SECONDS.

    Should the database fail, the stream ends (its answer has long started):
    the client reconnects and resumes after the last id it received.
    """
    ends = time.monotonic() + STREAM_SECONDS
    while time.monotonic() < ends:
        try:
            events = await read_events(db, after, _STREAM_PAGE)
        except (psycopg.Error, ProblemError) as error:
            logger.warning("event stream ends: %s", error)
            return
        for event in events:
            yield ServerSentEventMessage(
                data=msgspec.json.encode(event).decode(), id=str(event.event_id)
            )
        if events:
            after = events[-1].event_id
        elif not await feed.wait_after(after, min(HEARTBEAT_SECONDS, ends - time.monotonic())):
            # No data field: a comment alone dispatches no event in the browser.
            yield ServerSentEventMessage(data=None, comment="heartbeat")


def _stream_answers() -> dict[str, Any]:
    """The stream's documentation: guarded like the page, but its success is a stream."""
    documented = guarded("read", 200, EVENT, INVALID_REQUEST, invalid=refused("after", "last"))
    documented["responses"][200] = ResponseSpec(
        data_container=Event,
        generate_examples=False,
        media_type="text/event-stream",
        description="A stream of events: `id: <event_id>` and `data: <the event as JSON>` each",
        examples=[examples.example("event", EVENT)],
    )
    return documented


@get("/v1/events/stream", dependencies=_FEED, **_stream_answers())
async def stream_events(
    db: Db,
    feed: FeedDependency,
    last_event_id: Annotated[
        LastEventId | None,
        HeaderParameter(
            name="Last-Event-ID",
            description="Resume after this event (a browser's EventSource sends it itself).",
        ),
    ] = None,
    after: Annotated[
        EventId | None,
        QueryParameter(
            description="Start after this event when there is no Last-Event-ID; "
            "absent: from now on.",
        ),
    ] = None,
) -> ServerSentEvent:
    """The feed as Server-Sent Events (text/event-stream): each event's `data:` is the event
    as JSON and its `id:` its event_id; a `: heartbeat` comment every 15 s when idle.

    Resumes after `Last-Event-ID` (sent by a browser's EventSource when it
    reconnects), else after `after`, else from now on. A stream ends after
    5 minutes; the client reconnects and resumes where it was.
    """
    start = last_event_id if last_event_id is not None else after
    if start is None:
        position = (await db.row("select wallet.last_event_id() as head"))["head"]
    else:
        position = start
    return ServerSentEvent(_stream(db, feed, position), retry_duration=RECONNECT_MS)


routes = [list_events, stream_events]
