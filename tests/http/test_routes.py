"""Every route of the contract answers with the contract's shape (happy paths)."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from tests.http.support import Client, post, posting, topup
from tests.support import Conn


def test_health_answers_without_the_database(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_makes_a_database_round_trip(client: Client) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_assets_lists_every_asset_with_its_status(client: Client, conn: Conn, asset: str) -> None:
    conn.execute("select wallet.set_asset_status(%s, 'frozen')", [asset])
    items = client.get("/v1/assets").json()["items"]
    mine = [item for item in items if item["code"] == asset]
    assert mine == [
        {
            "code": asset,
            "name": asset.replace("_", " ").title(),
            "description": "",
            "status": "frozen",
        }
    ]


def test_create_user_then_get_it(client: Client) -> None:
    email = f"{uuid.uuid4().hex[:10]}@Example.com"
    created = client.post("/v1/users", json={"name": "Carol", "email": email})
    assert created.status_code == 201, created.text
    user = created.json()
    assert set(user) == {"id", "name", "email", "status", "created_at"}
    assert (user["name"], user["email"], user["status"]) == ("Carol", email, "active")
    assert client.get(f"/v1/users/{user['id']}").json() == user


def test_users_search_any_case_and_pages_with_a_cursor(client: Client) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = [
        client.post(
            "/v1/users", json={"name": f"Pager {tag} {n}", "email": f"{tag}{n}@x.org"}
        ).json()["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": f"PAGER {tag.upper()}", "limit": "2"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/users", params=params).json()
        seen += [user["id"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_balances_show_every_active_asset_and_zero_where_none(
    client: Client, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    held, other = new_asset(), new_asset()
    topup(client, user, held, 70)
    body = client.get(f"/v1/users/{user}/balances").json()
    assert body["user_id"] == str(user)
    balances = {line["asset"]: line["balance"] for line in body["balances"]}
    assert balances[held] == "70"
    assert balances[other] == "0"


def test_balance_in_one_asset(client: Client, user: uuid.UUID, asset: str) -> None:
    assert client.get(f"/v1/users/{user}/balances/{asset}").json() == {
        "user_id": str(user),
        "asset": asset,
        "balance": "0",
        "held": "0",
        "available": "0",
    }
    topup(client, user, asset, 9223372036854775807)
    response = client.get(f"/v1/users/{user}/balances/{asset}")
    assert response.json()["balance"] == "9223372036854775807"


def test_postings_answer_201_with_the_receipt(client: Client, user: uuid.UUID, asset: str) -> None:
    expected_balances = {"topup": "100", "bonus": "130", "spend": "85"}
    amounts: dict[str, int | str] = {"topup": "100", "bonus": 30, "spend": "45"}
    for kind, amount in amounts.items():
        response = post(client, kind, posting(user, asset, amount, metadata={"order": kind}))
        assert response.status_code == 201, response.text
        assert "Idempotent-Replayed" not in response.headers
        receipt = response.json()
        assert set(receipt) == {
            "transaction_id",
            "kind",
            "user_id",
            "asset",
            "amount",
            "balance",
            "created_at",
            "hash",
        }
        assert re.fullmatch("[0-9a-f]{64}", receipt["hash"])
        assert receipt["kind"] == kind
        assert receipt["amount"] == str(amount)
        assert receipt["balance"] == expected_balances[kind]


def test_history_newest_first_with_an_opaque_cursor(
    client: Client, user: uuid.UUID, new_asset: Callable[[], str]
) -> None:
    gold, gems = new_asset(), new_asset()
    for amount in (1, 2, 3):
        topup(client, user, gold, amount)
    topup(client, user, gems, 9)
    first = client.get(f"/v1/users/{user}/transactions", params={"limit": 2}).json()
    assert [item["amount"] for item in first["items"]] == ["9", "3"]
    assert set(first["items"][0]) == {
        "entry_id",
        "transaction_id",
        "kind",
        "asset",
        "direction",
        "amount",
        "balance_after",
        "created_at",
        "metadata",
        "counterparty_user_id",
        "reverses",
        "reversed_amount",
    }
    second = client.get(
        f"/v1/users/{user}/transactions", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [item["amount"] for item in second["items"]] == ["2", "1"]
    only_gold = client.get(f"/v1/users/{user}/transactions", params={"asset": gold}).json()
    assert [(i["amount"], i["balance_after"]) for i in only_gold["items"]] == [
        ("3", "6"),
        ("2", "3"),
        ("1", "1"),
    ]
    assert only_gold["next_cursor"] is None


def test_transaction_by_id_has_its_two_entries(
    client: Client, caller: dict[str, Any], funded: tuple[uuid.UUID, str]
) -> None:
    user, asset = funded
    receipt = post(client, "spend", posting(user, asset, 40, metadata={"sku": "x"})).json()
    response = client.get(f"/v1/transactions/{receipt['transaction_id']}")
    assert response.status_code == 200
    assert response.json() == {
        "transaction_id": receipt["transaction_id"],
        "kind": "spend",
        "user_id": str(user),
        "asset": asset,
        "amount": "40",
        "created_at": receipt["created_at"],
        "metadata": {"sku": "x"},
        "entries": [
            {
                "entry_id": response.json()["entries"][0]["entry_id"],
                "holder": "user",
                "direction": "debit",
                "amount": "40",
                "balance_after": "60",
            },
            {
                "entry_id": response.json()["entries"][1]["entry_id"],
                "holder": "revenue",
                "direction": "credit",
                "amount": "40",
                "balance_after": None,
            },
        ],
        "client": {"id": str(caller["client_id"]), "name": caller["name"]},
        "sql_user": None,
        "counterparty_user_id": None,
        "reverses": None,
        "reversed_amount": "0",
    }


def test_transactions_filter_by_user_asset_and_kind_and_page(
    client: Client, new_user: Callable[[], uuid.UUID], asset: str
) -> None:
    alice, bob = new_user(), new_user()
    for amount in (10, 20, 30):
        topup(client, alice, asset, amount)
    post(client, "bonus", posting(bob, asset, 5))
    post(client, "spend", posting(alice, asset, 7))

    def amounts(**params: str) -> list[str]:
        page = client.get("/v1/transactions", params={"asset": asset, **params}).json()
        return [item["amount"] for item in page["items"]]

    assert amounts() == ["7", "5", "30", "20", "10"]
    assert amounts(user_id=str(alice), kind="topup") == ["30", "20", "10"]
    assert amounts(kind="bonus") == ["5"]
    first = client.get("/v1/transactions", params={"asset": asset, "limit": 3}).json()
    assert all(len(item["entries"]) == 2 for item in first["items"])
    rest = client.get(
        "/v1/transactions", params={"asset": asset, "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [item["amount"] for item in rest["items"]] == ["20", "10"]
    assert rest["next_cursor"] is None


def test_dashboard_is_still_mounted(client: Client) -> None:
    assert client.get("/").status_code == 200
