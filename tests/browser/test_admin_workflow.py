"""The office approves in the admin what it saw, in a real browser: a value changed while
the list was open is refused with a message, and an approved report's history offers no
revert."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from agencies.models import RegionalBranch
from initiatives.models import Indicator
from initiatives.periods import Period
from initiatives.services.reports import report_approve, report_create, report_save, report_submit
from tests.browser.conftest import log_in
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_value_changed_while_the_list_was_open_is_not_approved(page, screenshot, office) -> None:
    value = ValueFactory(kpi="events.legal_literacy", approved=False, source="manual", value=100)
    log_in(page, "/admin/login/", "office")
    page.goto("/admin/initiatives/value/?approval_state__exact=pending")
    page.check(f"input[name=_selected_action][value='{value.pk}']")
    # Someone else corrects the number while the approver looks at 100.
    value.value = Decimal(2008)
    value.save()

    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")

    messages = page.locator("ul.messagelist").inner_text()
    screenshot("admin-workflow-01-stale-approval-refused")
    assert "changed after you opened it (it is now 2008)" in messages
    assert "values approved" not in messages
    value.refresh_from_db()
    assert value.approval_state == "pending"

    # Looking again, the approver sees 2008 and approves it.
    page.goto("/admin/initiatives/value/?approval_state__exact=pending")
    page.check(f"input[name=_selected_action][value='{value.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    assert "1 value approved." in page.locator("ul.messagelist").inner_text()
    value.refresh_from_db()
    assert (value.value, value.approval_state) == (Decimal(2008), "approved")


def test_an_approved_reports_history_is_read_only(page, screenshot, office, coordinator_astana) -> None:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    kpi = Indicator.objects.get(code="events.legal_literacy")
    with time_machine.travel(datetime.datetime(2025, 10, 5, 10, 0, tzinfo=datetime.UTC)):
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2025-09"), user=coordinator_astana)
        report = report_save(
            report=report, version=1, values={kpi: (Decimal(40), "")}, narrative="", user=coordinator_astana
        )
        report = report_submit(report=report, version=report.version, user=coordinator_astana)
        submitted = report.history.latest()
        report_approve(report=report, version=report.version, user=office)
    log_in(page, "/admin/login/", "office")

    page.goto(f"/admin/initiatives/report/{report.pk}/history/")
    screenshot("admin-workflow-02-report-history")
    assert page.locator("#change-history").count() == 1
    page.goto(f"/admin/initiatives/report/{report.pk}/history/{submitted.history_id}/")
    screenshot("admin-workflow-03-old-version-read-only")

    assert page.get_by_role("button", name="Revert").count() == 0
    assert page.locator("input[type=submit][value*=Revert]").count() == 0
    report.refresh_from_db()
    assert report.state == "approved"
