"""The pages the branches added since the Content-Security-Policy came run under it without
one violation: a request to reopen a closed report, the report form's error summary (its
link still focuses the field), the review page, an official figure's read-only page, the
readable history and an old version, the import records with the statistics template's
download, and the targets import."""

import datetime
from decimal import Decimal

import pytest

from agencies.models import RegionalBranch
from initiatives.models import Indicator, ReopenRequest, Report, ValueSource
from initiatives.periods import Period
from initiatives.services.reports import report_create, report_save, report_submit
from tests.factories import ValueFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_portals_new_pages_run_under_the_policy(
    page, screenshot, violations, office, coordinator_astana, early_november
) -> None:
    log_in(page, "/login/", "coordinator.astana")
    # A closed report: asked to reopen.
    page.fill("input[name=reason] >> nth=0", "the head was on leave")
    page.click("text=Ask the office to reopen it")
    assert ReopenRequest.objects.filter(reason="the head was on leave").exists()
    # The report form's error summary: its link focuses the field.
    page.goto("/")
    page.click("text=Start the report >> nth=0")
    field = page.get_by_label("Legal literacy events held", exact=True)
    field.fill("-5")
    page.click("button[value=save]")
    link = page.locator("#error-summary a", has_text="Legal literacy events held")
    link.click()
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
    screenshot("csp-merged-01-error-summary")

    # The office: the reopen requests on its home page, and the review page of a submitted report.
    branch = RegionalBranch.objects.get(region__kato="710000000")
    october = Period.parse("2026-10")  # the report the form above started, if it did
    report = Report.objects.filter(branch=branch, kind="monthly", period_start=datetime.date(2026, 10, 1)).first() or (
        report_create(branch=branch, kind="monthly", period=october, user=coordinator_astana)
    )
    kpi = Indicator.objects.get(code="events.legal_literacy")
    report = report_save(
        report=report, version=report.version, values={kpi: (Decimal(23), "")}, narrative="", user=coordinator_astana
    )
    report_submit(report=report, version=report.version, user=coordinator_astana)
    log_in(page, "/login/", "office")
    assert "the head was on leave" in page.locator("#reopen-requests").inner_text()
    page.goto(f"/review/{report.pk}/")
    assert page.locator("button[value=approve]").is_visible()
    screenshot("csp-merged-02-review")
    assert violations == []


def test_the_admins_new_pages_run_under_the_policy(page, screenshot, violations, office) -> None:
    official = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.IMPORT)
    official.comment = "checked against the paper form"
    official.save()
    log_in(page, "/admin/login/", "office")

    page.goto(f"/admin/initiatives/value/{official.pk}/change/")
    assert "import a corrected file of legal statistics" in page.locator("#content").inner_text()
    page.goto(f"/admin/initiatives/value/{official.pk}/history/")
    assert page.locator("#change-history").is_visible()
    screenshot("csp-merged-03-value-history")
    old = official.history.order_by("history_id").first()
    response = page.goto(f"/admin/initiatives/value/{official.pk}/history/{old.history_id}/")
    assert response is not None and response.status == 200
    assert page.locator("input[name=seen_version]").count() == 0

    page.goto("/admin/initiatives/value/")
    page.goto("/admin/initiatives/importbatch/")
    page.click("text=Pre-filled statistics template")
    page.select_option("#id_region", label="Astana")
    page.fill("#id_period", "2026-09")
    with page.expect_download() as download:
        page.click("input[type=submit][value=Download]")
    assert download.value.suggested_filename == "statistics-710000000-2026-09.xlsx"

    page.goto("/admin/initiatives/target/import/")
    assert page.locator("input[type=file]").count() == 1
    screenshot("csp-merged-04-targets-import")
    assert violations == []
