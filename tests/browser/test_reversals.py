"""Reversing from a history line (all, part, too much, a retry), reversals linked to what they
undo."""

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.support import (
    api_balance,
    api_topup,
    api_transactions,
    balance,
    history_rows,
    lose_the_first_answer,
    new_user,
    open_wallet,
)


def api_post(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A posting made elsewhere, through the API; returns its receipt."""
    response = api.post(path, json=body, headers={"Idempotency-Key": f"browser-{uuid.uuid4()}"})
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def api_spend(api: httpx.Client, user_id: str, asset: str, amount: str) -> str:
    """A spend made through the API; returns its transaction id."""
    body = {"user_id": user_id, "asset": asset, "amount": amount}
    transaction_id: str = api_post(api, "/v1/transactions/spend", body)["transaction_id"]
    return transaction_id


def api_reverse(api: httpx.Client, transaction_id: str, amount: str) -> None:
    """A reversal made through the API."""
    api_post(api, f"/v1/transactions/{transaction_id}/reversals", {"amount": amount})


def newest_transaction(api: httpx.Client, user_id: str) -> str:
    """The id of a user's newest transaction."""
    transaction_id: str = api_transactions(api, user_id)[0]["transaction_id"]
    return transaction_id


def reversed_amount(api: httpx.Client, transaction_id: str) -> str:
    """How much of a transaction the API says is reversed."""
    response = api.get(f"/v1/transactions/{transaction_id}")
    assert response.status_code == 200, response.text
    amount: str = response.json()["reversed_amount"]
    return amount


def line(page: Page, transaction_id: str) -> Locator:
    """The history line of a transaction."""
    return page.locator(f"#history tr[data-transaction='{transaction_id}']")


def reverse_dialog(page: Page, transaction_id: str) -> Locator:
    """Click Reverse on a transaction's line; returns the dialog that asks how much."""
    line(page, transaction_id).get_by_role("button", name="Reverse", exact=True).click()
    dialog = page.locator("dialog#reverse")
    expect(dialog).to_be_visible()
    return dialog


def reverse(page: Page, transaction_id: str, amount: str | None = None, note: str = "") -> Locator:
    """Reverse from a transaction's line: `amount` (else the amount offered) and a note;
    returns the dialog."""
    dialog = reverse_dialog(page, transaction_id)
    if amount is not None:
        dialog.get_by_label("Amount").fill(amount)
    dialog.get_by_label("Note").fill(note)
    dialog.get_by_role("button", name="Reverse", exact=True).click()
    return dialog


@pytest.fixture
def topped_up(api: httpx.Client) -> tuple[str, str]:
    """A new user with 100 gold coins from one topup: their id and the topup's id."""
    user_id = new_user(api)
    api_topup(api, user_id, "gold_coins", "100")
    return user_id, newest_transaction(api, user_id)


def test_a_spend_is_refunded_in_full_from_its_line(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, _ = topped_up
    spend = api_spend(api, user_id, "gold_coins", "40")
    open_wallet(page, dashboard_url, user_id)
    expect(balance(page, "gold_coins")).to_have_text("60")

    dialog = reverse_dialog(page, spend)
    expect(dialog.get_by_role("heading")).to_have_text("Reverse the spend of 40 Gold Coins")
    expect(dialog.get_by_label("Amount")).to_have_value("40")  # all that is left
    dialog.get_by_role("button", name="Reverse", exact=True).click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#history-done")).to_have_text(
        f"Reversed 40 Gold Coins of the spend {spend[:8]}; the balance is now 100."
    )
    expect(balance(page, "gold_coins")).to_have_text("100")
    expect(history_rows(page)).to_have_count(3)
    newest = history_rows(page).first
    expect(newest.locator("td.kind")).to_have_text(f"reversal reverses {spend[:8]}")
    expect(newest.locator("td.amount")).to_have_text("+40")
    expect(line(page, spend).locator("td.kind")).to_have_text("spend reversed in full")
    expect(line(page, spend).get_by_role("button", name="Reverse", exact=True)).to_have_count(0)
    # A reversal cannot itself be reversed.
    expect(newest.get_by_role("button", name="Reverse", exact=True)).to_have_count(0)
    assert api_balance(api, user_id, "gold_coins") == "100"
    assert reversed_amount(api, spend) == "40"


def test_part_of_a_topup_is_clawed_back_and_the_rest_is_offered_next(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, topup = topped_up
    open_wallet(page, dashboard_url, user_id)

    reverse(page, topup, "25", note="chargeback")

    expect(balance(page, "gold_coins")).to_have_text("75")
    expect(line(page, topup).locator("td.kind")).to_have_text("topup reversed 25 of 100")
    expect(history_rows(page).first.locator("td.note")).to_have_text("chargeback")
    dialog = reverse_dialog(page, topup)
    expect(dialog).to_contain_text("25 already reversed; 75 left.")
    expect(dialog.get_by_label("Amount")).to_have_value("75")
    assert api_balance(api, user_id, "gold_coins") == "75"
    assert reversed_amount(api, topup) == "25"


def test_reversing_more_than_is_left_is_refused_and_changes_nothing(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, topup = topped_up
    api_reverse(api, topup, "30")
    open_wallet(page, dashboard_url, user_id)
    expect(line(page, topup).locator("td.kind")).to_have_text("topup reversed 30 of 100")

    dialog = reverse(page, topup, "71")

    expect(dialog.locator("[data-error]")).to_have_text(
        "That is more than is left to reverse: at most 70 of this topup of 100."
    )
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Amount")).to_have_value("71")
    dialog.get_by_role("button", name="Cancel").click()
    expect(balance(page, "gold_coins")).to_have_text("70")
    expect(history_rows(page)).to_have_count(2)
    assert api_balance(api, user_id, "gold_coins") == "70"
    assert reversed_amount(api, topup) == "30"


def test_a_clawback_beyond_the_balance_is_said_plainly(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, topup = topped_up
    api_spend(api, user_id, "gold_coins", "90")
    open_wallet(page, dashboard_url, user_id)
    dialog = reverse(page, topup)
    expect(dialog.locator("[data-error]")).to_have_text(
        "Not enough Gold Coins left to take back: a balance never goes below 0."
    )
    expect(balance(page, "gold_coins")).to_have_text("10")
    assert reversed_amount(api, topup) == "0"


def test_a_retry_after_a_lost_answer_reverses_once(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, topup = topped_up
    keys: list[str | None] = []
    page.route("**/reversals", lose_the_first_answer(keys))
    open_wallet(page, dashboard_url, user_id)
    dialog = reverse(page, topup, "10")
    expect(dialog.locator("[data-error]")).to_contain_text("could not be reached")
    dialog.get_by_role("button", name="Cancel").click()  # closed, then tried again
    reverse(page, topup, "10")

    expect(dialog).to_be_hidden()
    expect(balance(page, "gold_coins")).to_have_text("90")
    assert len(keys) == 2
    assert keys[0] is not None
    assert keys[0] == keys[1]
    assert reversed_amount(api, topup) == "10"
    assert len(api_transactions(api, user_id)) == 2


def test_a_reversal_links_to_what_it_undoes(
    page: Page, dashboard_url: str, api: httpx.Client, topped_up: tuple[str, str]
) -> None:
    user_id, topup = topped_up
    for _ in range(25):  # more lines than a page holds
        api_topup(api, user_id, "diamonds", "1")
    spend = api_spend(api, user_id, "gold_coins", "10")
    api_reverse(api, spend, "4")
    api_reverse(api, topup, "50")
    open_wallet(page, dashboard_url, user_id)
    expect(line(page, spend).locator("td.kind")).to_have_text("spend reversed 4 of 10")

    # The spend's line is loaded: its reversal's link brings it into view.
    refund = history_rows(page).nth(1)
    refund.get_by_role("button", name=f"reverses {spend[:8]}").click()
    expect(line(page, spend)).to_have_class("target")
    expect(line(page, spend)).to_be_focused()

    # The topup is beyond the loaded page: the link shows what it was.
    expect(line(page, topup)).to_have_count(0)
    history_rows(page).first.get_by_role("button", name=f"reverses {topup[:8]}").click()
    summary = page.locator("dialog#transaction")
    expect(summary).to_be_visible()
    expect(summary.locator("dl")).to_contain_text("Kindtopup")
    expect(summary.locator("dl")).to_contain_text("Amount100 Gold Coins")
    expect(summary.locator("dl")).to_contain_text("Reversed50 of 100")
    expect(summary.locator("dl")).to_contain_text(f"Id{topup}")
    summary.get_by_role("button", name="Close").click()
    expect(summary).to_be_hidden()
