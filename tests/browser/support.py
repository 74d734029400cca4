"""What the browser tests do on the dashboard and ask the API, in the words of the page."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, Route

ALICE = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
BOB = "b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12"


def balance(page: Page, asset: str) -> Locator:
    """The balance shown for an asset."""
    return page.locator(f"#balances li[data-asset={asset}] .amount")


def history_rows(page: Page) -> Locator:
    """The rows of the history table, newest first."""
    return page.locator("#history tr")


def posting_form(page: Page, kind: str) -> Locator:
    """The topup, bonus or spend form."""
    return page.locator(f"form.posting[data-kind={kind}]")


def fill_posting(page: Page, kind: str, asset: str, amount: str, note: str = "") -> Locator:
    """Fill a posting form (without sending it); returns the form."""
    form = posting_form(page, kind)
    form.get_by_label("Asset").select_option(asset)
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Note").fill(note)
    return form


def open_wallet(page: Page, base_url: str, user_id: str) -> None:
    """Open the dashboard on a user and wait until their balances are shown."""
    page.goto(f"{base_url}/?user={user_id}")
    page.locator("#balances li").first.wait_for()


def new_user(api: httpx.Client) -> str:
    """Create a user through the API; returns their id."""
    tag = uuid.uuid4().hex[:10]
    response = api.post("/v1/users", json={"name": f"Tester {tag}", "email": f"{tag}@example.com"})
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


def api_balance(api: httpx.Client, user_id: str, asset: str) -> str:
    """A balance as the API reports it."""
    response = api.get(f"/v1/users/{user_id}/balances/{asset}")
    assert response.status_code == 200, response.text
    amount: str = response.json()["balance"]
    return amount


def api_transactions(api: httpx.Client, user_id: str) -> list[dict[str, Any]]:
    """A user's history entries as the API reports them (up to 500)."""
    response = api.get(f"/v1/users/{user_id}/transactions", params={"limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def api_topup(api: httpx.Client, user_id: str, asset: str, amount: str) -> None:
    """A topup made elsewhere, through the API."""
    response = api.post(
        "/v1/transactions/topup",
        json={"user_id": user_id, "asset": asset, "amount": amount},
        headers={"Idempotency-Key": f"browser-test-{uuid.uuid4()}"},
    )
    assert response.status_code == 201, response.text


def lose_the_first_answer(keys: list[str | None]) -> Callable[[Route], None]:
    """A route handler that lets the server answer the first request but keeps the answer from
    the page (a dropped connection), and lets later ones through; it notes each request's
    Idempotency-Key in `keys`."""

    def handle(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server posts, but the answer never reaches the page
            route.abort("connectionreset")
        else:
            route.continue_()

    return handle
