"""The overview the dashboard opens on: every asset at a glance, the latest transactions live."""

import httpx
from playwright.sync_api import Page, expect

from tests.browser.support import api_topup, balance, new_user, open_wallet


def test_the_overview_shows_every_asset_and_follows_the_feed(
    page: Page, dashboard_url: str, api: httpx.Client
) -> None:
    user_id = new_user(api)
    open_wallet(page, dashboard_url, user_id)
    summaries = page.locator("#asset-summaries li")
    expect(summaries).to_have_count(len(api.get("/v1/assets").json()["items"]))
    gold = page.locator('#asset-summaries li[data-asset="gold_coins"]')
    expect(gold).to_contain_text("✓ verified")
    issued = api.get("/v1/assets/gold_coins/summary").json()["issued"]
    expect(gold).to_contain_text(issued)

    api_topup(api, user_id, "gold_coins", "77")

    # The feed brings it at once, into the list and into the wallet shown...
    latest = page.locator("#latest tr").first
    expect(latest).to_contain_text("77", timeout=5000)
    expect(latest).to_contain_text(user_id)
    expect(balance(page, "gold_coins")).to_have_text("77")
    # ... and the summaries follow within seconds.
    expect(gold).to_contain_text(str(int(issued) + 77), timeout=10000)
