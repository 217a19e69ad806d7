"""The API's documentation page in a real browser: it renders the operations, and every
request it makes goes to our own origin (a CSP without foreign hosts leaves it working)."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_from_our_own_origin(page, live_server, screenshot) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock-summary-path").filter(has_text="/api/v1/values/").count() >= 1
    screenshot("api-docs")
    assert hosts == {urlsplit(live_server.url).netloc}
