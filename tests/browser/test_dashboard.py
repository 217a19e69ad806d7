"""The dashboard in a real browser, in Kazakh, Russian and English, on a laptop (1366 px)
and a phone (390 px): the pickers make a bookmarkable URL, the tile map has a tile per
region with a title and a legend, a tile opens its region, and nothing spills sideways.
Screenshots go to var/screenshots/dash-<language>-<width>-<step>.png."""

import datetime

import pytest
import time_machine

from regions.models import Region
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# What the page says in each language: the h1, and the quarter picked below in words.
WORDS = {
    "kk": ("Ел бойынша жалпы көрініс", "2026, 3-тоқсан", "kk-KZ"),
    "ru": ("Общая картина по стране", "3 квартал 2026", "ru-RU"),
    "en": ("The national picture", "quarter 3 of 2026", "en-GB"),
}


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_pickers_and_the_tile_map_work_in_every_language_and_width(
    browser, live_server, monthly_figures, office, language: str, width: int
) -> None:
    heading, quarter, locale = WORDS[language]
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=True):
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 900}, base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

        def shot(step: str) -> None:
            page.screenshot(path=str(SCREENSHOTS / f"dash-{language}-{width}-{step}.png"), full_page=True)

        def part(step: str, selector: str) -> None:
            """A close-up a person can read: the whole page at 390 px is ten screens long."""
            page.locator(selector).first.screenshot(path=str(SCREENSHOTS / f"dash-{language}-{width}-{step}.png"))

        def fits() -> bool:
            wide = page.evaluate(
                "[...document.querySelectorAll('main *')].filter(e => !e.closest('.map-box')"  # scrolls in its box
                " && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className.baseVal + e.className + '#' + e.id)"
                ".slice(0, 8)"
            )
            assert not wide, wide
            return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))

        page.goto("/login/")
        page.fill("#id_username", "office")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.goto("/dashboard/")
        assert page.locator("h1").inner_text() == heading
        assert page.locator("#period").input_value() == "2026-01/2026-10"  # the latest complete span
        tiles = page.locator("svg.tilemap g.tile[data-kato]")
        assert tiles.count() == 20
        assert tiles.first.locator("title").text_content()  # the name and number on hover
        assert page.locator("svg.tilemap g.legend").count() >= 2
        assert fits()
        shot("1-national")
        part("1a-top", "#pickers")
        part("1b-headline", "section.headline")
        part("1c-map", "svg.tilemap")
        part("1d-trend", "svg.trend")

        page.select_option("#kpi", "crime.theft")
        page.select_option("#period", "2026-Q3")
        page.select_option("#measure", "change")
        page.click("#pickers button[type=submit]")
        page.wait_for_url("**/dashboard/?*")
        assert "kpi=crime.theft" in page.url and "period=2026-Q3" in page.url and "measure=change" in page.url
        assert quarter in page.locator("#headline").inner_text()
        # Thefts fell 6% on a year before in every region: every tile says so, with its number.
        assert "−" in page.locator('svg.tilemap g.tile[data-kato="710000000"] text.tile-value').text_content()
        assert fits()
        shot("2-picked")
        part("2a-map", "svg.tilemap")
        part("2b-moved", 'section[aria-labelledby="moved-title"]')

        bookmarked = page.url
        page.goto(bookmarked)  # the same picture from the address alone
        assert page.locator("#kpi").input_value() == "crime.theft"

        page.locator('svg.tilemap g.tile[data-kato="710000000"]').click()
        page.wait_for_url("**region=710000000*")
        astana = Region.objects.get(kato="710000000")
        assert page.locator("h1").inner_text() == getattr(astana, f"name_{language}")
        assert fits()
        shot("3-region")

        page.emulate_media(media="print")  # A4: no header, no pickers, the as-of line kept
        assert not page.locator("#pickers").is_visible() and not page.locator("header.site").is_visible()
        assert page.locator(".as-of").first.is_visible()
        shot("4-print")
        context.close()
