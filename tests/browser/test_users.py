"""Picking a user on the dashboard (address, list, search, new user); the page itself."""

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.support import ALICE, BOB, balance, history_rows, open_wallet

ALICE_SEED = {"gold_coins": "1000", "diamonds": "50", "loyalty_points": "500"}


def test_without_a_user_in_the_address_the_first_user_is_selected(
    page: Page, dashboard_url: str
) -> None:
    page.goto(dashboard_url)
    expect(page).to_have_url(f"{dashboard_url}/?user={ALICE}")
    expect(page.locator("#user-name")).to_have_text("Alice")


def test_selecting_alice_shows_her_seeded_balances(page: Page, dashboard_url: str) -> None:
    open_wallet(page, dashboard_url, BOB)
    page.locator("#user-list").get_by_role("link", name=re.compile("^Alice")).click()
    expect(page).to_have_url(f"{dashboard_url}/?user={ALICE}")
    expect(page.locator("#user-name")).to_have_text("Alice")
    for asset, amount in ALICE_SEED.items():
        expect(balance(page, asset)).to_have_text(amount)
    expect(history_rows(page)).to_have_count(3)
    expect(page.locator("#user-list [aria-current=page]")).to_contain_text("Alice")


def test_search_narrows_the_list_and_the_keyboard_switches_user(
    page: Page, dashboard_url: str
) -> None:
    open_wallet(page, dashboard_url, ALICE)
    page.get_by_label("Search by name or email").fill("BOB@EXAMPLE")
    users = page.locator("#user-list a")
    expect(users).to_have_count(1)
    expect(users).to_contain_text("bob@example.com")
    page.keyboard.press("Tab")  # from the search field to the only user
    expect(users).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard_url}/?user={BOB}")
    expect(balance(page, "gold_coins")).to_have_text("500")


def test_the_address_is_shareable_and_back_returns_to_the_previous_user(
    page: Page, dashboard_url: str
) -> None:
    open_wallet(page, dashboard_url, BOB)
    page.reload()
    expect(page.locator("#user-name")).to_have_text("Bob")
    page.locator("#user-list").get_by_role("link", name=re.compile("^Alice")).click()
    expect(page.locator("#user-name")).to_have_text("Alice")
    page.go_back()
    expect(page).to_have_url(f"{dashboard_url}/?user={BOB}")
    expect(page.locator("#user-name")).to_have_text("Bob")


def test_creating_a_user_selects_them_and_a_taken_email_is_refused(
    page: Page, dashboard_url: str
) -> None:
    open_wallet(page, dashboard_url, ALICE)
    email = f"carol-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_text("New user").click()
    form = page.locator("#create-user")
    form.get_by_label("Name").fill("Carol")
    form.get_by_label("Email").fill(email)
    form.get_by_role("button", name="Create user").click()
    expect(page.locator("#user-name")).to_have_text("Carol")
    expect(page.locator("#user-email")).to_have_text(email)
    expect(balance(page, "gold_coins")).to_have_text("0")
    expect(page.locator("#history-empty")).to_be_visible()
    assert re.fullmatch(rf"{dashboard_url}/\?user=[0-9a-f-]{{36}}", page.url)

    form.get_by_label("Name").fill("Carol again")
    form.get_by_label("Email").fill(email.upper())
    form.get_by_role("button", name="Create user").click()
    expect(form.locator("[data-error]")).to_have_text("Another user already has this email.")
    expect(page.locator("#user-name")).to_have_text("Carol")


def test_an_unknown_user_in_the_address_is_said_plainly(page: Page, dashboard_url: str) -> None:
    missing = uuid.uuid4()
    page.goto(f"{dashboard_url}/?user={missing}")
    expect(page.locator("#wallet-message")).to_have_text(
        f"There is no user with the id {missing}. Pick one from the list."
    )
    expect(page.locator("#wallet-content")).to_be_hidden()


def test_the_page_loads_only_from_its_own_server(page: Page, dashboard_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_wallet(page, dashboard_url, ALICE)
    assert requested, "the page made no request"
    elsewhere = [url for url in requested if not url.startswith(f"{dashboard_url}/")]
    assert not elsewhere, f"fetched from elsewhere: {elsewhere}"
    served = httpx.get(f"{dashboard_url}/")
    assert served.headers["content-security-policy"].startswith("default-src 'self'")


def test_at_phone_width_nothing_scrolls_sideways(page: Page, dashboard_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_wallet(page, dashboard_url, ALICE)
    expect(history_rows(page)).to_have_count(3)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at a 390px phone width"
    for form in page.locator("form.posting").all():
        box = form.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390, "a posting form reaches past the screen's edge"
