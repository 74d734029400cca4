"""Transferring from the dashboard: the receiver found by search, both wallets changed, the
other user named and linked on each transfer's line, refusals said plainly."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    api_balance,
    api_topup,
    api_transactions,
    balance,
    history_rows,
    new_user,
    open_wallet,
)


@pytest.fixture
def sender(api: httpx.Client) -> str:
    """A new user with 100 gold coins; returns their id."""
    user_id = new_user(api)
    api_topup(api, user_id, "gold_coins", "100")
    return user_id


def test_a_transfer_to_a_user_found_by_search_changes_both_wallets(
    page: Page, dashboard_url: str, api: httpx.Client, sender: str
) -> None:
    receiver = new_user(api)
    receiver_name = api.get(f"/v1/users/{receiver}").json()["name"]
    sender_name = api.get(f"/v1/users/{sender}").json()["name"]
    open_wallet(page, dashboard_url, sender)

    form = page.locator("form#transfer")
    form.get_by_label("Receiver (find by name or email)").fill(receiver_name.split()[-1])
    matches = form.locator("#transfer-matches button")
    expect(matches).to_have_count(1)
    matches.click()
    expect(form.locator("#transfer-to")).to_contain_text(f"To {receiver_name}")
    form.get_by_label("Asset").select_option("gold_coins")
    form.get_by_label("Amount").fill("30")
    form.get_by_label("Note").fill("for the raid")
    form.get_by_role("button", name="Transfer").dblclick()

    expect(form.locator("[data-done]")).to_have_text(
        f"Transferred 30 Gold Coins to {receiver_name}; the balance is now 70 "
        f"({receiver_name}'s: 30)."
    )
    expect(balance(page, "gold_coins")).to_have_text("70")
    sent = history_rows(page).first
    expect(sent.locator("td.kind")).to_have_text(f"transfer to {receiver_name}")
    expect(sent.locator("td.amount")).to_have_text("-30")
    assert api_balance(api, sender, "gold_coins") == "70"
    assert api_balance(api, receiver, "gold_coins") == "30"
    assert len(api_transactions(api, receiver)) == 1  # the double click sent once

    sent.get_by_role("link", name=receiver_name).click()
    expect(page).to_have_url(f"{dashboard_url}/?user={receiver}")
    expect(balance(page, "gold_coins")).to_have_text("30")
    received = history_rows(page).first
    expect(received.locator("td.kind")).to_have_text(f"transfer from {sender_name}")
    expect(received.locator("td.amount")).to_have_text("+30")
    expect(received.locator("td.note")).to_have_text("for the raid")


def test_a_transfer_needs_a_picked_receiver_and_enough_credits(
    page: Page, dashboard_url: str, api: httpx.Client, sender: str
) -> None:
    open_wallet(page, dashboard_url, sender)
    form = page.locator("form#transfer")
    form.get_by_label("Amount").fill("5")
    form.get_by_role("button", name="Transfer").click()
    expect(form.locator("[data-error]")).to_have_text(
        "Pick the receiver first: search by name or email, then choose them."
    )

    receiver = new_user(api)
    search = form.get_by_label("Receiver (find by name or email)")
    search.fill(api.get(f"/v1/users/{receiver}").json()["email"])
    expect(form.locator("#transfer-matches button")).to_have_count(1)
    search.press("Enter")  # picks the only match
    expect(form.locator("#transfer-to")).not_to_be_empty()
    form.get_by_label("Asset").select_option("gold_coins")
    form.get_by_label("Amount").fill("101")
    form.get_by_role("button", name="Transfer").click()
    expect(form.locator("[data-error]")).to_have_text(
        "Not enough Gold Coins for this transfer: the balance is 100."
    )
    expect(history_rows(page)).to_have_count(1)
    assert api_balance(api, receiver, "gold_coins") == "0"
