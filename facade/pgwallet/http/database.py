"""The app's connection pool and the one way a handler runs a statement.

The pool opens in the app's lifespan and fails the start when the database
cannot be reached (psycopg's `open=False`, then `open(wait=True)`). Every
pooled connection runs as `wallet_api` (EXECUTE on the API functions, nothing
else), in UTC (so a replayed receipt prints its time as the first did), with
a short lock_timeout so that waiting on a busy wallet or on a duplicate
request becomes an answer (PW031/PW032) rather than a hung request.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString

import psycopg
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from pgwallet.http.settings import Settings

API_ROLE = "wallet_api"
# How the facade's sessions show in pg_stat_activity.
APPLICATION_NAME = "pgwallet-http"

Query = LiteralString | sql.Composed
Params = Sequence[Any] | Mapping[str, Any]
Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

# Failures after which the same statement may simply run again: PostgreSQL
# rolled its transaction back. The lock order of the SQL API makes them
# unexpected; should one surface, it is retried once, then answered 503.
_RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)


def _configurer(settings: Settings) -> Any:
    async def configure(conn: AsyncConnection[DictRow]) -> None:
        await conn.execute(sql.SQL("set role {}").format(sql.Identifier(API_ROLE)))
        await conn.execute(
            "select set_config('lock_timeout', %s, false),"
            " set_config('statement_timeout', %s, false),"
            " set_config('timezone', 'UTC', false)",
            [f"{settings.lock_timeout_ms}ms", f"{settings.statement_timeout_ms}ms"],
        )

    return configure


class Database:
    """The pool, as handlers use it: one statement, one transaction, rows as dicts."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def _run(self, query: Query, params: Params) -> list[DictRow]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def rows(self, query: Query, params: Params = ()) -> list[DictRow]:
        """All rows of one statement (autocommit: the statement is its transaction)."""
        try:
            return await self._run(query, params)
        except _RETRYABLE:
            return await self._run(query, params)

    async def row(self, query: Query, params: Params = ()) -> DictRow:
        """The one row of a statement that returns exactly one (a wallet.* call)."""
        (only,) = await self.rows(query, params)
        return only

    async def ping(self, timeout_seconds: float) -> None:
        """A round trip to the database; raises psycopg.Error when it is unreachable."""
        async with self.pool.connection(timeout=timeout_seconds) as conn:
            await conn.execute("select 1")


async def check_connection(settings: Settings) -> None:
    """Connect once, as the pool will: a bad DSN or a missing role fails here, clearly."""
    conn = await AsyncConnection.connect(
        settings.database_url, connect_timeout=max(1, int(settings.pool_timeout_seconds))
    )
    async with conn:
        await _configurer(settings)(conn)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the pool for the app's life; close it (after in-flight requests) at shutdown."""
    settings: Settings = app.state.settings
    await check_connection(settings)
    pool: Pool = AsyncConnectionPool(
        settings.database_url,
        connection_class=AsyncConnection[DictRow],
        kwargs={"autocommit": True, "row_factory": dict_row, "application_name": APPLICATION_NAME},
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_seconds,
        configure=_configurer(settings),
        name="pgwallet",
        open=False,
    )
    await pool.open(wait=True, timeout=settings.pool_timeout_seconds)
    app.state.database = Database(pool)
    try:
        yield
    finally:
        await pool.close()


def provide_database(state: State) -> Database:
    """The `db` dependency of the handlers."""
    database: Database = state.database
    return database


# How a handler asks for the database: `db: Db`.
Db = NamedDependency[Database]
