"""The progress-report workflow, through its services, with who may and who may not."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.engine.summary import kpi_summary
from initiatives.models import Indicator, Report, Value
from initiatives.periods import Period
from initiatives.services.reports import (
    StaleReportError,
    report_approve,
    report_create,
    report_reopen,
    report_return,
    report_save,
    report_submit,
)
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_october")]
SEPTEMBER = Period.parse("2025-09")  # due on 2025-10-15


@pytest.fixture
def kpis() -> dict[str, Indicator]:
    return {i.code: i for i in Indicator.objects.filter(code__in=["settlements.alcohol_free", "events.legal_literacy"])}


@pytest.fixture
def report(coordinator_astana) -> Report:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    return report_create(branch=branch, kind="monthly", period=SEPTEMBER, user=coordinator_astana)


def values(kpis: dict[str, Indicator], free: int, events: int) -> dict[Indicator, tuple[Decimal, str]]:
    return {kpis["settlements.alcohol_free"]: (Decimal(free), ""), kpis["events.legal_literacy"]: (Decimal(events), "")}


def test_a_report_goes_from_draft_to_approval_and_its_values_reach_the_kpi_engine(
    report: Report,
    kpis,
    coordinator_astana,
    office,
) -> None:
    assert (str(report.due_date), report.state) == ("2025-10-15", "draft")
    report = report_save(
        report=report, version=1, values=values(kpis, 12, 40), narrative="Two villages joined.", user=coordinator_astana
    )
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    assert report.state == "submitted"

    report = report_approve(report=report, user=office)

    assert (report.state, report.approved_by) == ("approved", office)
    published = Value.objects.get(indicator__code="events.legal_literacy", region__kato="710000000")
    assert (published.value, published.approval_state, published.source, published.report) == (
        40,
        "approved",
        "report",
        report,
    )
    summary = kpi_summary(indicator=kpis["events.legal_literacy"], region=report.branch.region, span=SEPTEMBER)
    assert summary.own.value.value == 40


def test_a_returned_value_says_why_and_the_fix_is_resubmitted(report: Report, kpis, coordinator_astana, office) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 12, 400), narrative="", user=coordinator_astana)
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    line = report.lines.get(indicator__code="events.legal_literacy")

    report = report_return(
        report=report, reason="", line_reasons={line.pk: "400 events in a month? Check."}, user=office
    )

    assert report.state == "returned"
    assert report.lines.get(pk=line.pk).return_reason == "400 events in a month? Check."
    report = report_save(
        report=report, version=report.version, values=values(kpis, 12, 40), narrative="", user=coordinator_astana
    )
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    assert report.state == "submitted"
    changed = [h.value for h in report.lines.get(pk=line.pk).history.all()]
    assert changed[0] == 40 and Decimal(400) in changed  # the reviewer can see what changed


def test_a_return_needs_a_reason(report: Report, kpis, coordinator_astana, office) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    with pytest.raises(ValidationError, match="Say what to fix"):
        report_return(report=report, reason="  ", user=office)


def test_two_tabs_cannot_silently_overwrite_each_other(report: Report, kpis, coordinator_astana) -> None:
    report_save(report=report, version=1, values=values(kpis, 12, 40), narrative="first tab", user=coordinator_astana)
    with pytest.raises(StaleReportError, match="Someone saved this report after you opened it"):
        report_save(
            report=report, version=1, values=values(kpis, 99, 99), narrative="second tab", user=coordinator_astana
        )
    report.refresh_from_db()
    assert report.narrative == "first tab"


def test_a_double_clicked_submit_makes_one_submission(report: Report, kpis, coordinator_astana) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)
    opened_at = report.version
    first = report_submit(report=report, version=opened_at, user=coordinator_astana)
    second = report_submit(report=report, version=opened_at, user=coordinator_astana)
    assert first.submitted_at == second.submitted_at
    assert report.history.filter(state="submitted").count() == 1


def test_a_coordinator_of_another_region_may_not_touch_the_report(report: Report, kpis, coordinator_almaty) -> None:
    with pytest.raises(PermissionDenied):
        report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_almaty)
    with pytest.raises(PermissionDenied):
        report_create(branch=report.branch, kind="monthly", period=Period.parse("2025-10"), user=coordinator_almaty)


def test_a_coordinator_may_not_approve_or_return(report: Report, kpis, coordinator_astana) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    with pytest.raises(PermissionDenied):
        report_approve(report=report, user=coordinator_astana)
    with pytest.raises(PermissionDenied):
        report_return(report=report, reason="no", user=coordinator_astana)


def test_an_approved_report_is_locked(report: Report, kpis, coordinator_astana, office) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    report = report_approve(report=report, user=office)
    with pytest.raises(ValidationError, match="approved and can no longer be changed"):
        report_save(
            report=report, version=report.version, values=values(kpis, 2, 2), narrative="", user=coordinator_astana
        )


def test_approval_never_overwrites_an_official_imported_figure(report: Report, coordinator_astana, office) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)  # imported, approved
    registered = Indicator.objects.get(code="crime.registered")
    report = report_save(
        report=report, version=1, values={registered: (Decimal(1), "")}, narrative="", user=coordinator_astana
    )
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    with pytest.raises(ValidationError, match="official figure"):
        report_approve(report=report, user=office)
    report.refresh_from_db()
    assert report.state == "submitted"
    assert Value.objects.get(indicator=registered).value == 1300


def test_the_review_queue_in_the_admin_returns_with_a_reason(
    client: Client, report: Report, kpis, coordinator_astana, office
) -> None:
    report = report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    client.force_login(office)
    seen = {f"seen_{report.pk}": report.version}  # the version the list showed
    ask = client.post(
        "/admin/initiatives/report/", {"action": "return_for_revision", "_selected_action": [report.pk], **seen}
    )
    assert ask.status_code == 200 and "What to fix" in ask.content.decode()
    done = client.post(
        "/admin/initiatives/report/",
        {"action": "return_for_revision", "_selected_action": [report.pk], "reason": "Add the evidence.", **seen},
    )
    assert done.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.return_reason) == ("returned", "Add the evidence.")
    assert report.history.first().history_user == office


def test_after_the_due_date_the_report_is_closed_and_says_who_can_reopen_it(
    report: Report, kpis, coordinator_astana, office, early_october
) -> None:
    early_october.move_to(datetime.datetime(2025, 10, 16, 9, 0, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError, match=r"The due date, 15.10.2025, has passed.*project office can reopen"):
        report_save(report=report, version=1, values=values(kpis, 1, 1), narrative="", user=coordinator_astana)

    report = report_reopen(report=report, user=office)

    assert report.history.first().history_user == office
    report = report_save(
        report=report, version=report.version, values=values(kpis, 1, 1), narrative="", user=coordinator_astana
    )
    early_october.move_to(datetime.datetime(2025, 10, 24, 9, 0, tzinfo=datetime.UTC))  # the 7 days are over
    with pytest.raises(ValidationError, match="has passed"):
        report_submit(report=report, version=report.version, user=coordinator_astana)


def test_only_the_project_office_reopens(report: Report, coordinator_astana) -> None:
    with pytest.raises(PermissionDenied):
        report_reopen(report=report, user=coordinator_astana)
