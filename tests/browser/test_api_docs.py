"""The API's documentation page in a real browser: it renders the operations, every
request it makes goes to our own origin, and it still works under a Content-Security-Policy
that forbids foreign hosts and inline script (as the site's own policy does)."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# What the docs page needs at most: our origin, and data: images in Swagger UI's stylesheet.
STRICT = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def test_the_api_docs_render_from_our_own_origin_under_a_strict_csp(page, live_server, screenshot) -> None:
    hosts: set[str] = set()
    refused: list[str] = []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )

    def with_policy(route) -> None:  # the page as served, under the strict policy
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT})

    page.route("**/api/docs/**", with_policy)
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock-summary-path").filter(has_text="/api/v1/values/").count() >= 1
    screenshot("api-docs")
    assert hosts == {urlsplit(live_server.url).netloc}
    assert not refused, refused
