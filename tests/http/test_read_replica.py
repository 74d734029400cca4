"""DATABASE_READ_URL: the reads that may be a little stale go there, the rest to the primary.

The "replica" here is a second database on the test server, frozen as a copy
of the migrated template: whatever the reads answer from it shows which pool
served them. A real replica differs only by lagging a little instead of for
ever; `make test-ha` has real ones.
"""

import uuid
from collections.abc import Iterator

import pytest

from pgwallet.db import target
from pgwallet.http.settings import Settings
from tests.http.support import Client, post, posting
from tests.support import Conn


@pytest.fixture(scope="module")
def replica_url(server_url: str, template_database: str) -> Iterator[str]:
    """A second database, a copy of the empty migrated template: the stale "replica"."""
    name = f"{template_database}_replica"
    with target.temporary_database(server_url, name, template=template_database) as url:
        yield url


@pytest.fixture(scope="module")
def settings(db_url: str, replica_url: str) -> Settings:
    """The app's settings, with the replica for reads."""
    return Settings(database_url=db_url, database_read_url=replica_url, lock_timeout_ms=500)


def test_stale_reads_go_to_the_replica_the_rest_to_the_primary(
    client: Client, conn: Conn, user: uuid.UUID, asset: str
) -> None:
    # The token is checked on the primary: the replica knows no client.
    receipt = post(client, "topup", posting(user, asset, "7"))
    assert receipt.status_code == 201, receipt.text
    transaction_id = receipt.json()["transaction_id"]
    # Must read its own write: the primary.
    assert client.get(f"/v1/transactions/{transaction_id}").status_code == 200
    name = client.get(f"/v1/users/{user}").json()["name"]
    # May be a little stale: the replica, which has seen none of it.
    assert asset not in {a["code"] for a in client.get("/v1/assets").json()["items"]}
    assert client.get(f"/v1/users/{user}/balances").status_code == 404
    assert client.get(f"/v1/users/{user}/balances/{asset}").status_code == 404
    assert client.get(f"/v1/users/{user}/transactions").status_code == 404
    assert client.get("/v1/users", params={"q": name}).json()["items"] == []
    assert client.get("/v1/transactions").json()["items"] == []
    primary_assets = conn.execute("select code from wallet.list_assets()").fetchall()
    assert asset in {row["code"] for row in primary_assets}
