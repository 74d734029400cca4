"""Fixtures of the HTTP tests: the app on this module's database, in-process and served for real.

`client` runs the app in-process (Litestar's TestClient: its lifespan opens
the real pool). `live_url` serves the same app with uvicorn on a free port in
a thread, for what needs real concurrency over TCP (Litestar's test clients
handle one request at a time). Both use a short lock_timeout so that waits on
a held lock turn into answers quickly.
"""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
import uvicorn
from litestar.testing import TestClient
from psycopg.rows import dict_row

from pgwallet.http.app import create_app
from pgwallet.http.settings import Settings
from pgwallet.testing import free_port
from tests.http.support import Client, bearer, topup
from tests.support import create_client


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    """The app's settings for this module's database. Every topup, bonus and spend goes
    through the coalescer as a batch, even alone (COALESCE_MIN_POSTINGS=1), so the whole
    suite checks that a batched posting answers exactly as a single one (the single path
    is the default for a lone posting, which tests/e2e and tests/browser take)."""
    return Settings(
        database_url=db_url, pool_max_size=8, lock_timeout_ms=500, coalesce_min_postings=1
    )


@pytest.fixture(scope="module")
def caller(db_url: str) -> dict[str, Any]:
    """A client with every scope: the module's requests carry its token."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        return create_client(conn, ["all"])


@pytest.fixture(scope="module")
def token(caller: dict[str, Any]) -> str:
    """The token of `caller`."""
    return str(caller["token"])


@pytest.fixture(scope="module")
def client(settings: Settings, token: str) -> Iterator[Client]:
    """The app in-process, its pool open, signed in with `token`."""
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        test_client.headers.update(bearer(token))
        yield test_client


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[Settings], str]]:
    """Serve an app with these settings with uvicorn in a thread; returns its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(settings: Settings) -> str:
        port = free_port()
        config = uvicorn.Config(create_app(settings), port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert thread.is_alive(), "uvicorn stopped at start"
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_url(serve: Callable[[Settings], str], settings: Settings) -> str:
    """The base URL of the app served over TCP on this module's database."""
    return serve(settings)


@pytest.fixture
def funded(client: Client, user: UUID, asset: str) -> tuple[UUID, str]:
    """A fresh user holding 100 of a fresh asset."""
    topup(client, user, asset, 100)
    return user, asset
