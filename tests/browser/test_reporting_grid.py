"""The reporting grid on a laptop (1366 px): the page takes the whole width and a year of
period columns fits, the last column visible without scrolling sideways."""

import datetime

import pytest
import time_machine

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_year_of_the_reporting_grid_fits_a_laptop_screen(
    browser, live_server, reports, office, language: str
) -> None:
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=True):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", "office")
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("#id_password").press("Enter")
        page.goto("/dashboard/reporting/?year=2026")
        page.screenshot(path=f"var/screenshots/reporting-{language}-1366.png", full_page=True)
        scroller = page.locator(".card.scroll")
        sizes = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert sizes[0] <= sizes[1], sizes  # nothing to scroll sideways
        last = page.locator("table.grid thead th").last.bounding_box()
        assert last is not None and last["x"] + last["width"] <= 1366
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        context.close()
