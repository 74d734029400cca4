"""The OpenAPI page at /schema renders offline: Swagger UI comes from the package, and
the page keeps to the dashboard's Content-Security-Policy."""

from playwright.sync_api import ConsoleMessage, Page, Route, expect


def test_the_schema_page_shows_the_operations_without_the_internet(
    signed_out_page: Page, dashboard_url: str
) -> None:
    page = signed_out_page
    elsewhere: list[str] = []
    refused: list[str] = []

    def offline(route: Route) -> None:
        # Anything but the server itself fails, as on a network without the internet.
        if route.request.url.startswith(dashboard_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":  # a CSP violation is reported here
            refused.append(message.text)

    page.route("**/*", offline)
    page.on("console", console)
    page.goto(f"{dashboard_url}/schema")

    topup = page.locator("#operations-postings-topup")
    expect(topup).to_be_visible()
    expect(page.locator("#operations-users-list_users")).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="users")).to_be_visible()
    topup.locator(".opblock-summary").click()
    expect(topup.locator(".responses-table")).to_contain_text("Idempotent-Replayed")
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert elsewhere == []
    assert refused == []
