"""Holds on the dashboard: held and available on each balance card, the user's active holds
with their capture and release, and the hold form."""

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.support import api_balance, api_topup, balance, new_user, open_wallet


def card(page: Page, asset: str) -> Locator:
    return page.locator(f"#balances li[data-asset={asset}]")


def place_hold(page: Page, asset: str, amount: str) -> Locator:
    """Send the hold form; returns it."""
    form = page.locator("#hold-form")
    form.get_by_label("Asset").select_option(asset)
    form.get_by_label("Amount").fill(amount)
    form.get_by_role("button", name="Hold").click()
    return form


def test_hold_capture_and_release_from_the_dashboard(
    page: Page, dashboard_url: str, api: httpx.Client
) -> None:
    user_id = new_user(api)
    api_topup(api, user_id, "gold_coins", "100")
    open_wallet(page, dashboard_url, user_id)
    expect(balance(page, "gold_coins")).to_have_text("100")
    expect(page.locator("#holds-empty")).to_be_visible()

    form = place_hold(page, "gold_coins", "30")

    expect(form.locator("[data-done]")).to_have_text("Held 30 Gold Coins.")
    expect(card(page, "gold_coins").locator(".held-amount")).to_have_text("30")
    expect(card(page, "gold_coins").locator(".available")).to_have_text("70")
    holds = page.locator("#holds li")
    expect(holds).to_have_count(1)

    refused = place_hold(page, "gold_coins", "71")
    expect(refused.locator("[data-error]")).to_have_text(
        "Not enough Gold Coins for this hold: 70 available (the balance is 100, the rest is held)."
    )

    holds.first.get_by_label("Capture amount").fill("10")
    holds.first.get_by_role("button", name="Capture").click()
    expect(balance(page, "gold_coins")).to_have_text("90")
    expect(card(page, "gold_coins").locator(".held-amount")).to_have_text("0")
    expect(holds).to_have_count(0)
    assert api_balance(api, user_id, "gold_coins") == "90"

    place_hold(page, "gold_coins", "50")
    expect(holds).to_have_count(1)
    holds.first.get_by_role("button", name="Release").click()
    expect(holds).to_have_count(0)
    expect(card(page, "gold_coins").locator(".available")).to_have_text("90")
    expect(page.locator("#holds-empty")).to_be_visible()
