"""The event feed of one worker: one shared poll wakes every request waiting for events.

Long polls (`GET /v1/events?wait=`) and streams (`GET /v1/events/stream`)
wait here holding no database connection. While at least one request waits,
one task of the worker asks `wallet.last_event_id()` every `poll_seconds`
(one short statement through the pool, however many wait) and wakes them all
when it moves; each then reads its own page. Nobody waiting: no statement.

Why a poll and not LISTEN/NOTIFY: a NOTIFY in each posting's commit takes a
database-wide lock at commit that queues every committing transaction, the
very serialization the feed must not add (issue #17); and a NOTIFY sent from
elsewhere would itself have to poll. Five short statements a second per
worker cost the database nothing it would notice.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency

from pgwallet.http.database import Database
from pgwallet.http.problems import ProblemError

logger = logging.getLogger("pgwallet.feed")

POLL_SECONDS = 0.2


class Feed:
    """What a worker knows of the feed's head, and the requests waiting for it to move."""

    def __init__(self, database: Database, poll_seconds: float = POLL_SECONDS) -> None:
        self._database = database
        self._poll_seconds = poll_seconds
        self.latest = 0  # the newest event_id this worker has seen numbered
        self._moved = asyncio.Event()  # set (and replaced) whenever `latest` grows
        self._waiting = 0
        self._poller: asyncio.Task[None] | None = None

    async def wait_after(self, after: int, timeout: float) -> bool:
        """Wait until an event after `after` exists, at most `timeout` seconds.

        True when one does: the caller's next wallet.events(after) returns it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._waiting += 1
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="pgwallet-feed")
        try:
            while self.latest <= after:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(self._moved.wait(), remaining)
                except TimeoutError:
                    return False
            return True
        finally:
            self._waiting -= 1

    async def _poll(self) -> None:
        """Ask for the head while anyone waits; wake the waiters when it moves."""
        while self._waiting > 0:
            try:
                row = await self._database.row("select wallet.last_event_id() as head")
            except (psycopg.Error, ProblemError) as error:
                # The database is away: the waiters time out as they would
                # have; polling resumes with the next one.
                logger.warning("event feed poll failed: %s", error)
            else:
                if row["head"] > self.latest:
                    self.latest = row["head"]
                    moved, self._moved = self._moved, asyncio.Event()
                    moved.set()
            await asyncio.sleep(self._poll_seconds)

    async def close(self) -> None:
        """Stop the poll (at shutdown)."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """The worker's feed, over the primary (numbering writes), for the app's life."""
    app.state.feed = Feed(app.state.database)
    try:
        yield
    finally:
        await app.state.feed.close()


def provide_feed(state: State) -> Feed:
    """The `feed` dependency of the event routes."""
    feed: Feed = state.feed
    return feed


# How a handler asks for it: `feed: FeedDependency`.
FeedDependency = NamedDependency[Feed]
