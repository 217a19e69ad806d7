"""Readable without zooming, in Kazakh and English, on a laptop (1366 px) and a phone
(390 px): the citizen register's table, the dashboard's ranking and tile names, and the
KPI page's targets in the admin. Each page fits its width (nothing but a chart's own box
scrolls sideways); screenshots in var/screenshots/presentation-<page>-<language>-<width>.png."""

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from initiatives.models import Indicator, Target
from tests.browser.conftest import SCREENSHOTS
from tests.citizens.conftest import csv_file, row

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

LOCALES = {"kk": "kk-KZ", "en": "en-GB"}
WIDTHS = [1366, 390]
# The smallest text a person reads on a phone without zooming, in CSS pixels.
READABLE_PX = 11


@pytest.fixture
def open_page(browser, live_server):  # type: ignore[no-untyped-def]
    contexts = []

    def make(language: str, width: int):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            locale=LOCALES[language], viewport={"width": width, "height": 900}, base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => !e.closest('.map-box, .inline-group')"
        " && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '#' + e.id).slice(0, 8)"
    )


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"presentation-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def smallest_text_px(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    """The rendered height of the smallest visible text of `selector`: an SVG's words are
    scaled with the drawing, so their CSS font size alone does not say what a reader sees."""
    return float(
        page.evaluate(
            """sel => Math.min(...[...document.querySelectorAll(sel)]
                .filter(e => e.getClientRects().length && getComputedStyle(e).display !== 'none'
                        && e.closest('svg') && getComputedStyle(e.closest('svg')).display !== 'none')
                .map(e => {
                    const svg = e.closest('svg');
                    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                    return parseFloat(getComputedStyle(e).fontSize) * scale;
                }))""",
            selector,
        )
    )


@pytest.fixture
def register_rows(tmp_path: Path, coordinator_astana) -> None:  # type: ignore[no-untyped-def]
    from tests.citizens.conftest import iins

    people = iins(6, seed="presentation")
    rows = [row(iin=iin, offence="internet_fraud", received_on=f"2026-11-0{n + 1}") for n, iin in enumerate(people)]
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["kk", "en"])
def test_the_citizen_register_reads_on_a_phone_without_sideways_scrolling(
    open_page, register_rows, language: str, width: int
) -> None:
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=True):
        page = open_page(language, width)
        log_in(page, "/login/", "coordinator.astana")
        page.goto(f"/citizens/?lang={language}")
        table = page.locator("table#register")
        assert table.locator("tbody tr").count() == 6
        table.scroll_into_view_if_needed()
        fits(page)
        assert table.bounding_box()["width"] <= width
        if width == 390:  # each cell says what it is, as the header cannot
            assert table.locator("td[data-label]").first.evaluate("e => getComputedStyle(e, '::before').content")
        shot(page, f"citizens-{language}-{width}")


@pytest.mark.usefixtures("monthly_figures")
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["kk", "en"])
def test_the_dashboards_ranking_and_tile_names_are_readable_at_every_width(
    open_page, office, language: str, width: int
) -> None:
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=True):
        page = open_page(language, width)
        log_in(page, "/login/", "office")
        page.goto(f"/dashboard/?lang={language}")
        fits(page)
        ranking = page.locator("section[aria-labelledby=ranking-title] svg.ranking:visible")
        assert ranking.count() == 1
        assert smallest_text_px(page, "svg.ranking text") >= READABLE_PX
        assert smallest_text_px(page, "svg.trend text") >= READABLE_PX
        ranking.scroll_into_view_if_needed()
        shot(page, f"ranking-{language}-{width}")

        names = page.locator("svg.tilemap text.tile-name")
        assert names.count() == 20
        assert smallest_text_px(page, "svg.tilemap text.tile-name") >= READABLE_PX
        shown = [" ".join(t.locator("tspan").all_text_contents()) for t in names.all()]
        assert not any("…" in name for name in shown), shown
        assert len(set(shown)) == 20, shown  # Almaty Region and the city of Almaty told apart
        page.locator("svg.tilemap").scroll_into_view_if_needed()
        shot(page, f"map-{language}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["kk", "en"])
def test_the_kpi_pages_targets_fit_and_read_as_the_kpi_writes_them(
    open_page, office, language: str, width: int
) -> None:
    from regions.models import Region

    kpi = Indicator.objects.get(code="crime.registered")
    for region in [None, *Region.objects.top_level().order_by("kato")[:5]]:
        Target.objects.create(indicator=kpi, region=region, year=2026, target_value=109618, baseline_value=115387)
    page = open_page(language, width)
    log_in(page, "/admin/login/", "office")
    page.goto(f"/admin/initiatives/indicator/{kpi.pk}/change/?lang={language}")
    inline = page.locator(".inline-group").first
    assert page.locator("input[name='targets-0-target_value']").input_value() == "109618"
    fits(page)
    if width == 1366:  # the whole row on the screen, no scrolling inside the group either
        assert inline.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    inline.scroll_into_view_if_needed()
    shot(page, f"targets-{language}-{width}")
