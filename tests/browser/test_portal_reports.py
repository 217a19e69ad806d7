"""The whole path of a progress report, in a real browser: the Astana coordinator fills and
submits, Almaty's is told the report does not exist, the office returns one value with a
reason, the coordinator fixes and resubmits, the office approves, and the value reaches
the API summary. Screenshots of every page are kept in var/screenshots/."""

import json

import pytest

from initiatives.models import Report
from tests.factories import ValueFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_report_from_draft_to_approval(
    page, screenshot, early_november, office, coordinator_astana, coordinator_almaty
) -> None:
    ValueFactory(kpi="events.legal_literacy", kato="710000000", period="2026-09", value=40)  # last period, approved

    log_in(page, "/login/", "coordinator.astana")
    assert page.locator("h1").inner_text() == "Your reports"
    screenshot("portal-01-home")
    page.click("text=Start the report >> nth=0")
    assert "2026-10" in page.locator("h1").inner_text()

    events = page.get_by_label("Legal literacy events held", exact=True)
    events.fill("400")
    page.fill("#id_narrative", "Legal literacy week in all schools of Astana.")
    page.click("button[value=submit]")
    # 400 against 40 last month needs a word of explanation; nothing typed is lost.
    assert "say why in the comment" in page.content()
    assert events.input_value() == "400"
    assert page.locator("#id_narrative").input_value() == "Legal literacy week in all schools of Astana."
    screenshot("portal-02-outlier-needs-a-comment")
    page.get_by_label("Comment on Legal literacy events held").fill("Legal literacy week")
    page.click("button[value=submit]")
    assert "The report was submitted to the project office." in page.content()
    screenshot("portal-03-submitted")
    report = Report.objects.get()
    assert report.state == "submitted"

    log_in(page, "/login/", "coordinator.almaty")
    response = page.goto(f"/reports/{report.pk}/")
    assert response.status == 404

    log_in(page, "/login/", "office")
    page.click("a:text-is('Review')")
    page.get_by_label("What to fix in Legal literacy events held").fill("400 events in a month? Check the count.")
    screenshot("portal-04-review")
    page.click("button[value=return]")
    assert Report.objects.get().state == "returned"

    log_in(page, "/login/", "coordinator.astana")
    page.goto(f"/reports/{report.pk}/")
    assert "To fix: 400 events in a month? Check the count." in page.content()
    screenshot("portal-05-returned")
    page.get_by_label("Legal literacy events held", exact=True).fill("40")
    page.click("button[value=submit]")
    assert Report.objects.get().state == "submitted"

    log_in(page, "/login/", "office")
    page.goto(f"/review/{report.pk}/")
    assert "400 → 40" in page.locator("table").inner_text()
    screenshot("portal-06-review-shows-the-change")
    page.click("button[value=approve]")
    assert Report.objects.get().state == "approved"

    api = page.request.get("/api/v1/kpis/events.legal_literacy/summary/?region=710000000&period_from=2026-10")
    assert api.status == 200
    assert json.loads(api.body())["value"] == "40"

    log_in(page, "/login/", "coordinator.astana")
    page.goto(f"/reports/{report.pk}/")
    assert "is locked" in page.content()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("portal-07-approved-on-a-phone")


def test_a_report_past_its_due_date_explains_why_it_is_closed(page, screenshot, coordinator_astana) -> None:
    from agencies.models import RegionalBranch

    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    report = Report.objects.create(
        branch=branch, kind="monthly", period_start="2026-09-01", period_end="2026-09-01", due_date="2026-10-15"
    )
    log_in(page, "/login/", "coordinator.astana")
    page.goto(f"/reports/{report.pk}/")
    assert "The due date, 15.10.2026, has passed" in page.content()
    assert page.locator("button[value=submit]").count() == 0
    screenshot("portal-08-closed-after-the-deadline")
