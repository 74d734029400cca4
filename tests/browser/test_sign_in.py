"""Signing the dashboard in: `make run`'s link, the sign-in form, a refused token."""

from playwright.sync_api import Page, expect

from tests.browser.support import ALICE


def test_the_link_of_make_run_signs_in_and_leaves_no_token_in_the_address(
    signed_out_page: Page, dashboard_url: str, dashboard_token: str
) -> None:
    page = signed_out_page
    page.goto(f"{dashboard_url}/?user={ALICE}#token={dashboard_token}")
    expect(page.locator("#user-name")).to_have_text("Alice")
    expect(page).to_have_url(f"{dashboard_url}/?user={ALICE}")
    assert dashboard_token not in page.url
    page.reload()  # the tab keeps it
    expect(page.locator("#user-name")).to_have_text("Alice")


def test_without_a_token_the_page_asks_for_one(
    signed_out_page: Page, dashboard_url: str, dashboard_token: str
) -> None:
    page = signed_out_page
    page.goto(f"{dashboard_url}/?user={ALICE}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#wallet")).to_be_hidden()
    page.get_by_label("Token").fill(dashboard_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#user-name")).to_have_text("Alice")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_refused_token_signs_the_tab_out_with_a_reason(
    signed_out_page: Page, dashboard_url: str
) -> None:
    page = signed_out_page
    page.goto(f"{dashboard_url}/#token=pgw_not-a-token")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#sign-in [data-error]")).to_contain_text("refused")
