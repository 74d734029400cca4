"""The dashboard on a phone (390x844): the history is a column of cards, each field beside
its heading, with nothing off-screen to the side; metadata reads as `key: value`."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.support import ALICE, history_rows, open_wallet

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(
    chromium: Browser, dashboard_token: str, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A signed-in tab at the size of a phone, held in portrait."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script(f"sessionStorage.setItem('pgwallet.token', {dashboard_token!r})")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not errors, errors


def test_history_is_cards_with_amount_and_balance_on_screen(
    phone: Page, dashboard_url: str
) -> None:
    open_wallet(phone, dashboard_url, ALICE)
    newest = history_rows(phone).first
    expect(newest).to_be_visible()

    # Nothing scrolls sideways: not the page, not the history.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    history = phone.locator("div.scroll:has(#history)")
    assert history.evaluate("e => e.scrollWidth <= e.clientWidth")
    for field in ["td.amount", "td.balance-after", "td.note"]:
        box = newest.locator(field).bounding_box()
        assert box is not None, field
        assert box["x"] >= 0, (field, box)
        assert box["x"] + box["width"] <= PHONE["width"], (field, box)
    # Each field says what it is, as the table's headings do on a wider screen.
    assert (
        newest.locator("td.amount").evaluate("e => getComputedStyle(e, '::before').content")
        == '"Amount"'
    )
    expect(newest.locator("td.amount")).to_have_text("+500")


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_metadata_reads_as_key_value(
    phone: Page, page: Page, dashboard_url: str, size: str
) -> None:
    tab = phone if size == "phone" else page
    open_wallet(tab, dashboard_url, ALICE)
    note = history_rows(tab).first.locator("td.note")
    expect(note).to_have_text("source: seed")
    expect(note).not_to_contain_text("{")
