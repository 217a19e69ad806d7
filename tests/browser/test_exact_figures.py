"""Staff and coordinators see exactly what they mean, in a real browser: the admin's value
list whole at 1366 px, an official figure read-only with the way to correct it, history in
words (in English and Kazakh), the portal's targets with their unit, a form's errors summed
up at its top with links to each field, and a closed report that can be asked to reopen.
Screenshots in var/screenshots/ (exact-*)."""

from decimal import Decimal

import pytest

from agencies.models import RegionalBranch
from initiatives.models import Indicator, ReopenRequest, Target, ValueSource
from initiatives.periods import Period
from initiatives.services.reports import report_approve, report_create, report_save, report_submit
from tests.factories import ValueFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def set_language(page, language: str) -> None:
    page.goto("/admin/")
    with page.expect_navigation():
        page.select_option("#admin-language", language)


def test_the_value_list_shows_its_last_column_at_1366_px(page, screenshot, office) -> None:
    for month in range(1, 13):
        ValueFactory(kpi="crime.theft", period=f"2025-{month:02d}", value=600 + month)
    ValueFactory(kpi="cases.electronic_share", period="2025-12", value="48.6")
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "/admin/login/", "office")
    for language in ("en", "kk"):
        set_language(page, language)
        page.goto("/admin/initiatives/value/")
        results = page.locator("#changelist .results")
        last = page.locator("#result_list thead th").last
        screenshot(f"exact-01-value-list-1366-{language}")
        box, frame = last.bounding_box(), results.bounding_box()
        assert box is not None and frame is not None
        assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1, language
        assert results.evaluate("e => e.scrollWidth <= e.clientWidth"), language
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, language
    # Counts as whole numbers, a share in its one place: no "654.0000".
    assert ("601" in page.content() and "48,6" in page.content()) or "48.6" in page.content()
    assert ".0000" not in page.locator("#result_list").inner_text()


def test_an_official_figure_and_a_reports_history_read_as_people_speak(
    page, screenshot, office, coordinator_astana, early_november
) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.IMPORT)
    branch = RegionalBranch.objects.get(region__kato="710000000")
    report = report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)
    kpi = Indicator.objects.get(code="events.legal_literacy")
    for number in (210, 23):
        report = report_save(
            report=report,
            version=report.version,
            values={kpi: (Decimal(number), "")},
            narrative="",
            user=coordinator_astana,
        )
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    report_approve(report=report, user=office)

    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "/admin/login/", "office")
    for language in ("en", "kk"):
        set_language(page, language)
        page.goto(f"/admin/initiatives/value/{value.pk}/change/")
        text = page.locator("#content").inner_text()
        assert page.locator("input[name=_save]").count() == 0 and page.locator("input[name=value]").count() == 0
        assert "654" in text and "654.0000" not in text
        screenshot(f"exact-02-official-value-{language}")
        if language == "en":
            assert "Astana · Thefts (art. 188 of the Criminal Code) · 2026-01" in text
            assert "legal-statistics import" in text
            assert "import a corrected file of legal statistics" in text
        else:
            assert "құқықтық статистиканың түзетілген файлын импорттаңыз" in text

        page.goto(f"/admin/initiatives/report/{report.pk}/history/")
        history = page.locator("#change-history").inner_text().replace("\xa0", " ")
        screenshot(f"exact-03-report-history-{language}")
        assert "210 → 23" in history
        for unreadable in ("None", "Deleted user", "Version", ".0000", "+00:00"):
            assert unreadable not in history, (language, unreadable)
        if language == "kk":
            assert ("Не өзгерді" in page.content() and "Күйі" in history) or "жіберілді" in history


def test_the_report_form_shows_targets_with_their_unit_and_sums_up_its_errors(
    page, screenshot, coordinator_astana, early_november
) -> None:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    Target.objects.create(indicator=kpi, region_id=coordinator_astana.memberships.get().branch.region_id,
                          year=2026, target_value=Decimal(600))  # fmt: skip
    log_in(page, "/login/", "coordinator.astana")
    page.click("text=Start the report >> nth=0")
    row = page.locator(".kpi", has_text="Legal literacy events held").first
    assert "Target for 2026: 600" in row.inner_text()
    assert "(count)" in row.inner_text()

    field = page.get_by_label("Legal literacy events held", exact=True)
    field.fill("-5")
    page.click("button[value=save]")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    link = summary.locator("a", has_text="Legal literacy events held")
    assert link.get_attribute("href") == f"#{field.get_attribute('id')}"
    screenshot("exact-04-error-summary")
    link.click()
    assert page.url.endswith(f"#{field.get_attribute('id')}")
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")


def test_a_closed_report_can_be_asked_to_reopen_and_the_office_sees_it(
    page, screenshot, office, coordinator_astana, early_november
) -> None:
    log_in(page, "/login/", "coordinator.astana")
    page.fill("input[name=reason] >> nth=0", "the head was on leave")
    page.click("text=Ask the office to reopen it")
    assert "The project office was asked to reopen the report" in page.content()
    assert "You asked the project office to reopen it" in page.content()
    screenshot("exact-05-asked-to-reopen")
    assert ReopenRequest.objects.get().reason == "the head was on leave"

    log_in(page, "/login/", "office")
    requests = page.locator("#reopen-requests")
    assert "the head was on leave" in requests.inner_text()
    screenshot("exact-06-office-sees-the-request")
    requests.locator("text=Reopen for 7 days").click()
    # The first report on the home is the oldest the office counts missing (January's).
    assert ReopenRequest.objects.get().report.reopened_until is not None
    assert page.locator("#reopen-requests").count() == 0
