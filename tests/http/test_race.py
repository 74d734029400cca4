"""The last coins, raced over HTTP: 30 parallel spends of 10 from a balance of 100."""

import asyncio
import uuid
from collections.abc import Callable

import httpx

from pgwallet.http.settings import Settings
from tests.http.support import Client, posting, topup
from tests.support import Conn, key, verify


def test_thirty_parallel_spends_of_ten_from_one_hundred(
    serve: Callable[[Settings], str],
    db_url: str,
    client: Client,
    conn: Conn,
    user: uuid.UUID,
    asset: str,
) -> None:
    topup(client, user, asset, 100)
    url = serve(Settings(database_url=db_url, pool_max_size=10, lock_timeout_ms=5000))

    async def spend_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            return await asyncio.gather(
                *[
                    http.post(
                        "/v1/transactions/spend",
                        json=posting(user, asset, "10"),
                        headers={"Idempotency-Key": key()},
                    )
                    for _ in range(30)
                ]
            )

    statuses = sorted(response.status_code for response in asyncio.run(spend_all()))
    assert statuses == [201] * 10 + [422] * 20
    assert client.get(f"/v1/users/{user}/balances/{asset}").json()["balance"] == "0"
    history = client.get(f"/v1/users/{user}/transactions", params={"asset": asset}).json()
    assert all(int(item["balance_after"]) >= 0 for item in history["items"])
    assert all(verify(conn).values())
