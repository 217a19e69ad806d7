"""The page that is not there, as a Kazakh-speaking reader's browser shows it."""

import pytest

from tests.browser.conftest import SCREENSHOTS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_not_found_page_speaks_kazakh_and_leads_back(browser, live_server, coordinator_astana) -> None:
    context = browser.new_context(locale="kk-KZ", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    try:
        log_in(page, "/login/", coordinator_astana.username)
        response = page.goto("/dashboard/?region=750000000")  # another region's: not found
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Бет табылмады"
        assert page.locator("html").get_attribute("lang") == "kk"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "not-found-kk.png"), full_page=True)
        page.locator("#error-page a", has_text="Жобалық кеңсенің басты беті").click()
        page.wait_for_load_state()
        assert page.url == live_server.url + "/" and page.locator("#region-dashboards").is_visible()
    finally:
        context.close()
