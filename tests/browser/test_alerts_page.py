"""Early warning's alerts in a real browser: the cards and their small charts on a laptop
(1366 px), a phone (390 px) and in print, under the Content-Security-Policy, and the
office's review sent from the page. Screenshots go to var/screenshots/alerts-<step>.png."""

import datetime

import pytest
import time_machine

from initiatives.alerts.models import Alert
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.factories import AlertFactory, DetectionRunFactory

pytestmark = pytest.mark.django_db(transaction=True)

TWO_DECEMBER = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def alerts() -> None:
    DetectionRunFactory(month="2026-11")
    AlertFactory()
    AlertFactory(kato="750000000", kpi="crime.theft", adverse="fall", observed=12, expected=30, lower=18, upper=44)
    AlertFactory(kpi="crime.fraud", withdrawn=True)


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("width", [1366, 390])
def test_the_alert_cards_read_on_a_laptop_a_phone_and_in_print(page, violations, office, alerts, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    with time_machine.travel(TWO_DECEMBER, tick=True):
        log_in(page, "/login/", "office")
        page.goto("/dashboard/alerts/?withdrawn=1")
        assert page.locator("article.alert-card").count() == 3
        chart = page.locator("article.alert-card svg.alert-chart").first
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] <= width and box["height"] > 60
        assert page.locator("article.alert-card.withdrawn").is_visible()
        assert fits(page)
        page.screenshot(path=str(SCREENSHOTS / f"alerts-page-{width}.png"), full_page=True)
        page.emulate_media(media="print")
        assert page.locator("form.review-form").first.is_hidden()
        assert chart.is_visible()
        page.screenshot(path=str(SCREENSHOTS / f"alerts-page-{width}-print.png"), full_page=True)
        page.emulate_media(media="screen")
        page.goto("/dashboard/")
        assert (
            page.locator("#alert-strip").inner_text() == "1 unexpected rise in November; 1 unexpected fall in November"
        )
    assert violations == []


def test_the_office_marks_an_alert_reviewed_from_the_page(page, violations, office, alerts) -> None:
    with time_machine.travel(TWO_DECEMBER, tick=True):
        log_in(page, "/login/", "office")
        page.goto("/dashboard/alerts/")
        card = page.locator("article.alert-card").first
        card.locator("textarea").fill("Checked with the police: a new way of counting")
        with page.expect_navigation():
            card.locator("button[value=review]").click()
        assert "The alert was marked reviewed." in page.locator(".messages").inner_text()
        assert page.locator("article.alert-card .state.reviewed").count() == 1
    assert Alert.objects.filter(review_note__startswith="Checked").count() == 1
    assert violations == []
