"""Posting from the dashboard: balances and history follow at once, errors change nothing,
a double click or a retry posts once, postings made elsewhere appear, history pages."""

import uuid

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    BOB,
    api_balance,
    api_topup,
    api_transactions,
    balance,
    fill_posting,
    history_rows,
    lose_the_first_answer,
    new_user,
    open_wallet,
    posting_form,
)


@pytest.fixture
def fresh_user(page: Page, dashboard_url: str, api: httpx.Client) -> str:
    """A new user without transactions, their wallet open in the page; returns their id."""
    user_id = new_user(api)
    open_wallet(page, dashboard_url, user_id)
    return user_id


BIGINT_MAX = "9223372036854775807"
# 2**53 + 1: the first whole number a JavaScript number cannot hold (it reads ...992).
BEYOND_DOUBLE = "9007199254740993"


def test_a_topup_changes_the_balance_and_the_history(
    page: Page, dashboard_url: str, api: httpx.Client
) -> None:
    open_wallet(page, dashboard_url, BOB)
    before = int(balance(page, "gold_coins").inner_text())
    rows = history_rows(page).count()
    form = fill_posting(page, "topup", "gold_coins", "250", note="birthday present")
    form.get_by_role("button", name="Top up").click()

    after = str(before + 250)
    expect(form.locator("[data-done]")).to_contain_text(f"the balance is now {after}")
    expect(balance(page, "gold_coins")).to_have_text(after)
    expect(history_rows(page)).to_have_count(rows + 1)
    newest = history_rows(page).first
    for column, text in {
        "kind": "topup",
        "asset": "gold_coins",
        "amount": "+250",
        "balance-after": after,
        "note": "birthday present",
    }.items():
        expect(newest.locator(f"td.{column}")).to_have_text(text)
    assert api_balance(api, BOB, "gold_coins") == after


def test_an_overspend_shows_the_error_and_changes_nothing(
    page: Page, dashboard_url: str, api: httpx.Client
) -> None:
    open_wallet(page, dashboard_url, BOB)
    shown = balance(page, "diamonds").inner_text()
    rows = history_rows(page).count()
    form = fill_posting(page, "spend", "diamonds", "1000000", note="too much")
    form.get_by_role("button", name="Spend").click()

    expect(form.locator("[data-error]")).to_have_text(
        f"Not enough Diamonds for this spend: the balance is {shown}."
    )
    expect(form.get_by_label("Amount")).to_have_value("1000000")
    expect(balance(page, "diamonds")).to_have_text(shown)
    expect(history_rows(page)).to_have_count(rows)
    expect(posting_form(page, "topup").locator("[data-error]")).to_be_empty()
    assert api_balance(api, BOB, "diamonds") == shown


def test_a_frozen_asset_is_said_plainly(
    page: Page, dashboard_url: str, dashboard_db: str, api: httpx.Client
) -> None:
    code = f"tokens_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dashboard_db, autocommit=True) as dba:  # an operator, in psql
        dba.execute("select wallet.create_asset(%s, 'Test Tokens')", [code])
        api_topup(api, BOB, code, "5")  # a frozen asset is listed only where it is held
        dba.execute("select wallet.set_asset_status(%s, 'frozen')", [code])
    open_wallet(page, dashboard_url, BOB)
    expect(page.locator(f"#balances li[data-asset={code}] .badge")).to_have_text("frozen")
    form = fill_posting(page, "spend", code, "2")
    form.get_by_role("button", name="Spend").click()
    expect(form.locator("[data-error]")).to_have_text(
        "Test Tokens is frozen: it takes no topups, bonuses or spends for now."
    )
    expect(balance(page, code)).to_have_text("5")
    assert api_balance(api, BOB, code) == "5"


def test_an_invalid_amount_is_explained(page: Page, dashboard_url: str) -> None:
    open_wallet(page, dashboard_url, BOB)
    form = fill_posting(page, "bonus", "loyalty_points", "12.5")
    form.get_by_role("button", name="Give bonus").click()
    expect(form.locator("[data-error]")).to_contain_text("must be a whole number from 1 to")


def test_a_double_click_posts_once(page: Page, api: httpx.Client, fresh_user: str) -> None:
    form = fill_posting(page, "topup", "diamonds", "7")
    form.get_by_role("button", name="Top up").dblclick()

    expect(form.locator("[data-done]")).to_contain_text("the balance is now 7")
    expect(history_rows(page)).to_have_count(1)
    page.wait_for_timeout(500)  # a second request, had one left, would have landed by now
    assert len(api_transactions(api, fresh_user)) == 1
    assert api_balance(api, fresh_user, "diamonds") == "7"


def test_a_retry_after_a_lost_answer_posts_once(
    page: Page, api: httpx.Client, fresh_user: str
) -> None:
    keys: list[str | None] = []
    page.route("**/v1/transactions/topup", lose_the_first_answer(keys))
    form = fill_posting(page, "topup", "gold_coins", "40")
    button = form.get_by_role("button", name="Top up")
    button.click()
    expect(form.locator("[data-error]")).to_contain_text("could not be reached")
    button.click()

    expect(form.locator("[data-done]")).to_contain_text("the balance is now 40")
    assert len(keys) == 2
    assert keys[0] is not None
    assert keys[0] == keys[1]
    assert len(api_transactions(api, fresh_user)) == 1
    assert api_balance(api, fresh_user, "gold_coins") == "40"


def test_the_next_posting_gets_a_fresh_key(page: Page, api: httpx.Client, fresh_user: str) -> None:
    for expected in ("5", "10"):
        form = fill_posting(page, "bonus", "loyalty_points", "5")
        form.get_by_role("button", name="Give bonus").click()
        expect(form.locator("[data-done]")).to_contain_text(f"the balance is now {expected}")
    assert len(api_transactions(api, fresh_user)) == 2


def test_a_posting_made_elsewhere_appears_within_seconds(
    page: Page, api: httpx.Client, fresh_user: str
) -> None:
    api_topup(api, fresh_user, "loyalty_points", "42")
    expect(balance(page, "loyalty_points")).to_have_text("42", timeout=8000)
    expect(history_rows(page).first.locator("td.amount")).to_have_text("+42")


def test_load_more_pages_through_the_history_and_the_chart_follows(
    page: Page, dashboard_url: str, api: httpx.Client
) -> None:
    user_id = new_user(api)
    for amount in range(1, 26):
        api_topup(api, user_id, "gold_coins", str(amount))
    open_wallet(page, dashboard_url, user_id)
    chart = page.locator("#balances li[data-asset=gold_coins] svg")
    expect(history_rows(page)).to_have_count(20)
    expect(chart).to_have_attribute("aria-label", "Gold Coins balance over the last 20 postings")

    page.get_by_role("button", name="Load more").click()
    expect(history_rows(page)).to_have_count(25)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    expect(history_rows(page).first.locator("td.amount")).to_have_text("+25")
    expect(history_rows(page).last.locator("td.amount")).to_have_text("+1")
    expect(chart).to_have_attribute("aria-label", "Gold Coins balance over the last 25 postings")


def test_big_amounts_keep_every_digit(page: Page, api: httpx.Client, fresh_user: str) -> None:
    form = fill_posting(page, "topup", "diamonds", BEYOND_DOUBLE)
    form.get_by_role("button", name="Top up").click()
    expect(balance(page, "diamonds")).to_have_text(BEYOND_DOUBLE)
    expect(history_rows(page).first.locator("td.amount")).to_have_text(f"+{BEYOND_DOUBLE}")

    form = fill_posting(page, "topup", "diamonds", BIGINT_MAX)
    form.get_by_role("button", name="Top up").click()
    expect(form.locator("[data-error]")).to_have_text(
        "That would take the balance beyond the largest amount the ledger holds."
    )
    expect(balance(page, "diamonds")).to_have_text(BEYOND_DOUBLE)
