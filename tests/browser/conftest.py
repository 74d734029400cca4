"""Fixtures of the browser tests: a real `pgwallet serve` process and headless Chromium.

The server runs the way `make run` starts it (`pgwallet serve --migrate
--seed --dev-client`), on a fresh database of its own and a port the system
picks; the tabs are signed in with the token of the link it prints; the browser is
Debian's Chromium driven by Playwright. Without Chromium the tests are skipped
with a message that says how to enable them. Each test leaves a full-page
screenshot in tests/browser/screenshots/ (git-ignored), taken as it ends.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from pgwallet.db import target

CHROMIUM = Path(os.environ.get("PGWALLET_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
_LISTENING = re.compile(r"Uvicorn running on (http://\S+)")
_SIGN_IN_LINK = re.compile(r"#token=(\S+)")
_START_SECONDS = 60


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Chromium, or a skip that says how to get it.

    Module-scoped on purpose: Playwright's sync API runs an event loop in the
    main thread while it is open, and later tests that call asyncio.run()
    would find it running.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM}: run `apt-get install -y chromium` "
            "(or set PGWALLET_CHROMIUM to a Chromium binary) to enable them"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def dashboard_db(chromium: Browser, server_url: str) -> Iterator[str]:
    """A fresh, empty database for this module's server (`serve --migrate` migrates it)."""
    name = f"pgwallet_test_browser_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with target.temporary_database(server_url, name) as url:
        yield url


@pytest.fixture(scope="module")
def served(
    dashboard_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """`pgwallet serve --migrate --seed --dev-client` on `dashboard_db`, for this module:
    its base URL and the dev client's token from the sign-in link it printed."""
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [
        str(Path(sys.executable).with_name("pgwallet")),
        *["serve", "--migrate", "--seed", "--dev-client"],
    ]
    # Port 0: the system picks a free port, and uvicorn's start line (logged at info) says which.
    env = {**os.environ, target.DATABASE_URL_ENV: dashboard_db, "LOG_LEVEL": "info"}
    with log_path.open("wb") as log:
        server = subprocess.Popen([*command, "--port", "0"], env=env, stdout=log, stderr=log)
    try:
        url = _wait_until_listening(server, log_path)
        token = _SIGN_IN_LINK.search(log_path.read_text())
        assert token, "no sign-in link printed"
        yield url, token.group(1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_listening(server: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        log = log_path.read_text(errors="replace")
        assert server.poll() is None, f"pgwallet serve exited at start:\n{log}"
        if match := _LISTENING.search(log):
            url = match.group(1)
            assert httpx.get(f"{url}/health/ready").status_code == 200, log
            return url
        time.sleep(0.1)
    raise AssertionError(f"pgwallet serve did not start in {_START_SECONDS}s:\n{log}")


@pytest.fixture(scope="module")
def dashboard_url(served: tuple[str, str]) -> str:
    """The base URL of the served dashboard."""
    return served[0]


@pytest.fixture(scope="module")
def dashboard_token(served: tuple[str, str]) -> str:
    """The token of the `dev` client (every scope), as `make run`'s link carries it."""
    return served[1]


@pytest.fixture
def signed_out_page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab at laptop size, holding no token; fails the test on an
    uncaught JavaScript error."""
    context = chromium.new_context(viewport=LAPTOP)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.fixture
def page(signed_out_page: Page, dashboard_token: str) -> Page:
    """A tab signed in as the dev client, as if it had opened `make run`'s link."""
    signed_out_page.add_init_script(
        f"sessionStorage.setItem('pgwallet.token', {json.dumps(dashboard_token)})"
    )
    return signed_out_page


@pytest.fixture(scope="module")
def api(dashboard_url: str, dashboard_token: str) -> Iterator[httpx.Client]:
    """An HTTP client of the same server, to check what the page shows against the API."""
    headers = {"Authorization": f"Bearer {dashboard_token}"}
    with httpx.Client(base_url=dashboard_url, headers=headers, timeout=10) as client:
        yield client
