"""The app's connection pools and the one way a handler runs a statement.

The pools open in the app's lifespan and fail the start when the database
cannot be reached (psycopg's `open=False`, then `open(wait=True)`).

**Nothing the facade relies on lives in the session.** Behind PgBouncer in
transaction pooling mode, consecutive transactions of one pooled connection
may run on different server sessions, so a `SET ROLE` or a `SET lock_timeout`
made once per connection would leak to other clients and be missing on ours.
Each statement therefore runs in a transaction of its own that first sets,
transaction-locally, the role `wallet_api` (EXECUTE on the API functions,
nothing else) and the lock and statement timeouts (so that waiting on a busy
wallet or a duplicate request becomes an answer, PW031/PW032, not a hung
request): `BEGIN ISOLATION LEVEL READ COMMITTED` (the posting functions assume
it, so it is said rather than inherited), `set_config(..., true)`, the
statement, `COMMIT`, sent as one pipeline, so one network round trip as
before. This is PostgREST's way (it sets its role and settings the same way
for the same reason). The alternatives: startup `options` are refused by
PgBouncer 1.18 ("unsupported startup parameter"), and `ALTER ROLE ... SET`
would move LOCK_TIMEOUT_MS and STATEMENT_TIMEOUT_MS out of the facade's
settings into each deployment's DBA work. The cost is not measurable: 433
against 440 topups/s with and without the wrapping (pgbench, 4 clients, three
alternating runs, noise ±7%; docs/scaling.md).

Two things stay per connection because they hold under a transaction pooler:
the session time zone (UTC, so a replayed receipt prints its time as the first
did), one of the parameters PgBouncer tracks per client and restores on
whichever server session it hands over, and psycopg's own state (no
server-side prepared statements, which PgBouncer 1.18 cannot carry between
sessions; a posting is one call of a PL/pgSQL function, whose inner plans the
server caches anyway).

**Failover.** `DATABASE_URL` may name several hosts with
`target_session_attrs=read-write`: libpq connects to whichever is the primary.
A connection is checked when it leaves the pool, so one to a server that has
gone away or that is a standby now is replaced rather than used; a statement
that meets a lost connection or a read-only server (SQLSTATE 25006, a demoted
primary) is answered 503, the connection dropped, and the pool connects again
by itself.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString

import psycopg
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency
from psycopg import AsyncConnection, IsolationLevel, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from pgwallet.db import schema
from pgwallet.http.problems import UNAVAILABLE, ProblemError
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

# The first statement of every transaction: its role and timeouts, for this
# transaction only (is_local = true), whatever server session runs it.
_TRANSACTION_SETTINGS = (
    "select set_config('role', %s, true),"
    " set_config('lock_timeout', %s, true),"
    " set_config('statement_timeout', %s, true)"
)

# Readiness: one round trip as wallet_api, through the API (schema_version is granted to it).
_READINESS = (
    "select current_setting('transaction_read_only') as read_only,"
    " wallet.schema_version() as version"
)
# The role is missing (22023) or the login role may not take it or call the API (42501).
_ROLE_UNUSABLE = (psycopg.errors.InvalidParameterValue, psycopg.errors.InsufficientPrivilege)
_ROLE_HINT = (
    f"the facade runs every statement as {API_ROLE}, which pgwallet migrate creates and "
    "grants; a login role behind a pooler must be a member of it"
)

_READ_ONLY = "The database is read-only (a standby, or a primary being demoted); retry later."


async def _configure(conn: AsyncConnection[DictRow]) -> None:
    """Once per connection: what holds under a transaction pooler (see the module's doc)."""
    await conn.set_isolation_level(IsolationLevel.READ_COMMITTED)  # psycopg's, sent with each BEGIN
    await conn.execute("select set_config('timezone', 'UTC', false)")


async def _check_writable(conn: AsyncConnection[DictRow]) -> None:
    """The primary pool's check at checkout: alive, and not a hot standby.

    A server reports `in_hot_standby` to its clients (PostgreSQL 14+), so a
    connection to a server that has become a standby is refused without a
    round trip more than the liveness check.
    """
    await AsyncConnectionPool.check_connection(conn)
    if conn.info.parameter_status("in_hot_standby") == "on":
        raise psycopg.OperationalError("the server is a hot standby")


class Database:
    """A pool, as handlers use it: one statement, one transaction, rows as dicts."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self.pool = pool
        self._settings = [
            API_ROLE,
            f"{settings.lock_timeout_ms}ms",
            f"{settings.statement_timeout_ms}ms",
        ]

    async def _transaction(
        self, conn: AsyncConnection[DictRow], query: Query, params: Params
    ) -> list[DictRow]:
        """BEGIN, the settings, the statement, COMMIT: one pipeline, one round trip."""
        async with conn.pipeline(), conn.transaction():
            await conn.execute(_TRANSACTION_SETTINGS, self._settings)
            cursor = await conn.execute(query, params)
        return await cursor.fetchall()

    async def _run(self, query: Query, params: Params) -> list[DictRow]:
        async with self.pool.connection() as conn:
            try:
                return await self._transaction(conn, query, params)
            except psycopg.errors.ReadOnlySqlTransaction as error:
                # A standby, or a primary demoted under us: drop the connection
                # (the pool makes another, to the new primary) and answer 503.
                await conn.close()
                raise ProblemError(UNAVAILABLE, _READ_ONLY) from error

    async def rows(self, query: Query, params: Params = ()) -> list[DictRow]:
        """All rows of one statement, in a transaction of its own."""
        try:
            return await self._run(query, params)
        except _RETRYABLE:
            return await self._run(query, params)

    async def row(self, query: Query, params: Params = ()) -> DictRow:
        """The one row of a statement that returns exactly one (a wallet.* call)."""
        (only,) = await self.rows(query, params)
        return only

    async def check_ready(self, timeout_seconds: float) -> None:
        """Raise a 503 problem saying why unless the database takes this facade's requests:
        reachable and writable, migrated to this version, and `wallet_api` usable."""
        try:
            async with self.pool.connection(timeout=timeout_seconds) as conn:
                rows = await self._transaction(conn, _READINESS, ())
                if rows[0]["read_only"] == "on":
                    await conn.close()  # useless for postings: the pool makes another
                    raise ProblemError(UNAVAILABLE, _READ_ONLY)
        except schema.ABSENT:
            raise ProblemError(UNAVAILABLE, schema.NOT_MIGRATED) from None
        except _ROLE_UNUSABLE as error:
            raise ProblemError(UNAVAILABLE, f"{error.diag.message_primary}: {_ROLE_HINT}") from None
        if reason := schema.mismatch(rows[0]["version"]):
            raise ProblemError(UNAVAILABLE, reason)


class NotReadyError(RuntimeError):
    """The database is not one this facade can serve: the app does not start."""


async def check_connection(settings: Settings, url: str) -> None:
    """Connect once, as the pool will: a bad DSN or a missing role fails here, clearly."""
    conn = await AsyncConnection.connect(
        url,
        connect_timeout=max(1, int(settings.pool_timeout_seconds)),
        row_factory=dict_row,
        autocommit=True,
        prepare_threshold=None,
    )
    async with conn:
        await _configure(conn)
        try:
            await conn.execute(_TRANSACTION_SETTINGS, [API_ROLE, "1s", "1s"])
        except _ROLE_UNUSABLE as error:
            raise NotReadyError(
                f"pgwallet cannot start: {error.diag.message_primary}: {_ROLE_HINT}"
            ) from None


async def _open_pool(settings: Settings, url: str, name: str, *, primary: bool) -> Pool:
    """A pool of `url`, open and filled to its minimum (or the start fails)."""
    await check_connection(settings, url)
    pool: Pool = AsyncConnectionPool(
        url,
        connection_class=AsyncConnection[DictRow],
        kwargs={
            "autocommit": True,
            "row_factory": dict_row,
            "application_name": APPLICATION_NAME,
            "prepare_threshold": None,
        },
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_seconds,
        configure=_configure,
        check=_check_writable if primary else AsyncConnectionPool.check_connection,
        name=name,
        open=False,
    )
    await pool.open(wait=True, timeout=settings.pool_timeout_seconds)
    return pool


async def _refuse_unready(database: Database, settings: Settings) -> None:
    """Fail the start, in one sentence, on a database that is not migrated to this version."""
    try:
        await database.check_ready(settings.pool_timeout_seconds)
    except ProblemError as problem:
        if problem.detail != _READ_ONLY:  # a standby now may be the primary soon: start
            raise NotReadyError(f"pgwallet cannot start: {problem.detail}") from None


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Open the pools for the app's life; close them (after in-flight requests) at shutdown.

    The primary pool serves postings, the token lookup and every read that
    must see its own writes; the read pool (DATABASE_READ_URL, a replica)
    serves the reads that may be a little stale, and is the primary pool
    when no read URL is set.
    """
    settings: Settings = app.state.settings
    pool = await _open_pool(settings, settings.database_url, "pgwallet", primary=True)
    pools = [pool]
    app.state.database = app.state.read_database = Database(pool, settings)
    try:
        await _refuse_unready(app.state.database, settings)
        if settings.database_read_url:
            read_pool = await _open_pool(
                settings, settings.database_read_url, "pgwallet-read", primary=False
            )
            pools.append(read_pool)
            app.state.read_database = Database(read_pool, settings)
        yield
    finally:
        for each in pools:
            await each.close()


def provide_database(state: State) -> Database:
    """The `db` dependency of the handlers: the primary."""
    database: Database = state.database
    return database


def provide_read_database(state: State) -> Database:
    """The `read_db` dependency of the reads that may be a little stale: the replica, if any."""
    database: Database = state.read_database
    return database


# How a handler asks for the database: `db: Db` (the primary), `read_db: ReadDb`
# (a replica when DATABASE_READ_URL is set: lists, history, balances for display).
Db = NamedDependency[Database]
ReadDb = NamedDependency[Database]
