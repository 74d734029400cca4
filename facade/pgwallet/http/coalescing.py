"""Coalescing: concurrent single postings go to the database as one `wallet.post_batch`.

A topup, bonus or spend that arrives over HTTP waits here for at most the
window (COALESCE_WINDOW_MS, 2 ms); the postings of one client that gathered
meanwhile (at most COALESCE_MAX_POSTINGS: a full group goes at once) are
sent as one batch: one round trip and one commit for all of them. Each
caller then gets exactly the answer it would have had alone, because the
batch gives each posting the outcome it would have had alone (in SQL, see
sql/38_batches.sql): the same receipt, replay or refusal, turned into the
same status, body and headers by the same code as a single posting's. Where
a batch fails as a whole (a lock wait past lock_timeout, a lost connection),
nothing of it was posted, and each posting is sent again alone, to get its
own answer. Fewer than COALESCE_MIN_POSTINGS waiting (a lone request) go
alone, as soon as the window ends.

Postings are grouped by client: a batch carries one client's id, whose
rights and key namespace apply to each of its postings.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from pgwallet.http.auth import Client, provide_client
from pgwallet.http.database import Database, Params, Query
from pgwallet.http.problems import ProblemError, from_refusal
from pgwallet.http.settings import Settings

# The rows of a batch, each as a single posting's statement returns its receipt.
_BATCH = (
    "select ok, transaction_id, kind, user_id, asset, amount::text as amount,"
    " balance::text as balance, created_at, replayed, encode(hash, 'hex') as hash,"
    " error_code, error_message, error_hint"
    " from wallet.post_batch(%s, %s)"
)
_RECEIPT_FIELDS = (
    "transaction_id",
    "kind",
    "user_id",
    "asset",
    "amount",
    "balance",
    "created_at",
    "replayed",
    "hash",
)

Alone = Callable[[], Awaitable[DictRow]]


@dataclass
class _Waiting:
    """A posting waiting for its group to go: as post_batch takes it, and how to send it alone."""

    posting: dict[str, Any]
    alone: Alone
    answer: "asyncio.Future[DictRow]"


@dataclass
class Stats:
    """What the coalescer has sent, for tests and for the metrics."""

    batches: int = 0  # batches sent
    coalesced: int = 0  # postings sent in them
    alone: int = 0  # postings sent alone (a lone one, or after a batch failed whole)


@dataclass
class Coalescer:
    """Gathers one worker's concurrent single postings into batches (see the module)."""

    database: Database
    settings: Settings
    stats: Stats = field(default_factory=Stats)
    _waiting: dict[UUID | None, list[_Waiting]] = field(default_factory=dict)
    _tasks: set["asyncio.Task[None]"] = field(default_factory=set)

    async def post(self, client_id: UUID | None, posting: dict[str, Any], alone: Alone) -> DictRow:
        """The receipt row of `posting` (what `alone()` returns), or the error it raises."""
        if not self.settings.coalesce_postings:
            return await alone()
        answer: asyncio.Future[DictRow] = asyncio.get_running_loop().create_future()
        group = self._waiting.setdefault(client_id, [])
        group.append(_Waiting(posting, alone, answer))
        if len(group) >= self.settings.coalesce_max_postings:
            self._start(self._send(client_id, self._waiting.pop(client_id)))
        elif len(group) == 1:
            self._start(self._send_after_window(client_id, group))
        return await answer

    def in_flight(self) -> list["asyncio.Task[None]"]:
        """The groups on their way to the database."""
        return list(self._tasks)

    def _start(self, sending: Awaitable[None]) -> None:
        # Kept until done: the event loop holds tasks only weakly.
        task = asyncio.ensure_future(sending)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_after_window(self, client_id: UUID | None, group: list[_Waiting]) -> None:
        await asyncio.sleep(self.settings.coalesce_window_ms / 1000)
        if self._waiting.get(client_id) is group:  # not sent already, full
            del self._waiting[client_id]
            await self._send(client_id, group)

    async def _send(self, client_id: UUID | None, group: list[_Waiting]) -> None:
        if len(group) < self.settings.coalesce_min_postings:
            await asyncio.gather(*(self._send_alone(waiting) for waiting in group))
            return
        try:
            rows = await self.database.rows(
                _BATCH, [Jsonb([waiting.posting for waiting in group]), client_id]
            )
        except psycopg.Error:
            # Nothing of the batch remains: each posting gets its own answer alone.
            await asyncio.gather(*(self._send_alone(waiting) for waiting in group))
            return
        self.stats.batches += 1
        self.stats.coalesced += len(group)
        for waiting, row in zip(group, rows, strict=True):
            if waiting.answer.done():  # its caller went away
                continue
            if row["ok"]:
                waiting.answer.set_result({name: row[name] for name in _RECEIPT_FIELDS})
            else:
                waiting.answer.set_exception(_refusal(row))

    async def _send_alone(self, waiting: _Waiting) -> None:
        self.stats.alone += 1
        try:
            row = await waiting.alone()
        except Exception as error:  # whatever it is, its caller gets it, as alone
            if not waiting.answer.done():
                waiting.answer.set_exception(error)
            return
        if not waiting.answer.done():
            waiting.answer.set_result(row)


def _refusal(row: DictRow) -> ProblemError:
    """The problem a refused posting of a batch means, as its error would alone."""
    problem = from_refusal(row["error_code"], row["error_message"], row["error_hint"])
    if problem is None:  # every refusal of a posting is in the catalogue
        raise RuntimeError(f"post_batch refused a posting with {row['error_code']}")
    return problem


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """The worker's coalescer, on its primary database (opened by the lifespan before this);
    at shutdown, the batches on their way are finished before the pool closes."""
    coalescer = Coalescer(app.state.database, app.state.settings)
    app.state.coalescer = coalescer
    try:
        yield
    finally:
        await asyncio.gather(*coalescer.in_flight(), return_exceptions=True)


@dataclass(frozen=True)
class Poster:
    """What a single posting's handler needs, as its one dependency: its caller, and the
    coalescer that sends the posting with that caller's others (or alone) to the primary.

    One dependency, not three (db, client, coalescer): Litestar resolves two or more
    dependencies of a handler in an anyio task group, which cost a worker about a seventh
    of its time on this, its busiest route (bench/README.md, "Two workers").
    """

    client: Client
    coalescer: Coalescer

    async def post(self, posting: dict[str, Any], statement: Query, params: Params) -> DictRow:
        """The receipt row of `posting`, which `statement` with `params` posts alone."""
        database = self.coalescer.database
        return await self.coalescer.post(
            self.client.client_id, posting, lambda: database.row(statement, params)
        )


def provide_poster(request: Request[Any, Any, Any], state: State) -> Poster:
    """The `poster` dependency of the single posting handlers."""
    return Poster(provide_client(request), state.coalescer)


# How a handler asks for it: `poster: Posting`.
Posting = NamedDependency[Poster]
