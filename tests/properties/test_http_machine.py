"""The same state machine through the HTTP facade: the rules and the model stay, the driver changes.

The facade runs in-process (Litestar's TestClient) with its real pool on the
harness's database, so each step crosses the real JSON mapping, the
SQLSTATE -> problem map and the `Idempotent-Replayed` header.
"""

from collections.abc import Iterator

import pytest
from hypothesis.stateful import run_state_machine_as_test
from litestar import Litestar
from litestar.testing import TestClient

from pgwallet.http.app import create_app
from pgwallet.http.settings import Settings
from tests.properties.drivers import HttpDriver
from tests.properties.guard import Names
from tests.properties.machine import WalletMachine
from tests.properties.profiles import scaled
from tests.support import Conn, one


@pytest.fixture(scope="module")
def client(harness_url: str) -> Iterator[TestClient[Litestar]]:
    # Every topup, bonus and spend through the coalescer as a batch, even alone: the
    # model checks that a coalesced posting answers as a single one would.
    app = create_app(Settings(database_url=harness_url, pool_max_size=2, coalesce_min_postings=1))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_http_api_matches_the_model(client: TestClient[Litestar], owner: Conn) -> None:
    # Users are created and balances read with a client of every scope; each
    # posting carries the token of the caller the machine picked.
    token = one(
        owner, "select token from wallet.create_client(%s, array['all'])", [Names().client()]
    )
    driver = HttpDriver(client, token["token"])
    # As in test_sql_machine: Hypothesis accepts a function but annotates only a class.
    run_state_machine_as_test(lambda: WalletMachine(driver, owner), settings=scaled(0.34))  # type: ignore[arg-type]
