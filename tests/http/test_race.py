"""The last coins, raced over HTTP: 30 parallel spends of 10 from a balance of 100."""

import uuid
from collections.abc import Callable

from pgwallet.http.settings import Settings
from tests.http.support import Client, post_at_once, posting, topup
from tests.support import Conn, key, verify


def test_thirty_parallel_spends_of_ten_from_one_hundred(
    token: str,
    serve: Callable[[Settings], str],
    db_url: str,
    client: Client,
    conn: Conn,
    user: uuid.UUID,
    asset: str,
) -> None:
    topup(client, user, asset, 100)
    url = serve(Settings(database_url=db_url, pool_max_size=10, lock_timeout_ms=5000))

    responses = post_at_once(
        url, token, "spend", [(posting(user, asset, "10"), key()) for _ in range(30)]
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 10 + [422] * 20
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "0"
    history = client.get(f"/v1/users/{user}/transactions", params={"asset": asset}).json()
    assert all(int(item["balance_after"]) >= 0 for item in history["items"])
    assert all(verify(conn).values())
