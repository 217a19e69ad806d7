"""Every report the office counts as missing, late or returned is on its coordinator's
home with the way forward: start it, open it, or (closed by its due date) ask the office
to reopen it, from the home page or the report's own page."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.models import Indicator, ReopenRequest, Report
from initiatives.periods import Period
from initiatives.selectors.reporting import overdue_reports
from initiatives.services.reports import report_create, report_return, report_save, report_submit
from tests.factories import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seventh_of_december")]

ASK = "Ask the office to reopen it"


def returned(branch: RegionalBranch, period: str, user, office) -> Report:
    """A monthly report submitted before its due date and returned just after it."""
    span = Period.parse(period)
    with at(str(span.end.plus(1).first_day)):
        report = report_create(branch=branch, kind="monthly", period=span, user=user)
        kpi = Indicator.objects.get(code="events.legal_literacy")
        report = report_save(
            report=report, version=report.version, values={kpi: (Decimal(3), "")}, narrative="", user=user
        )
        report = report_submit(report=report, version=report.version, user=user)
    with at(str(report.due_date + datetime.timedelta(days=1))):
        return report_return(report=report, reason="the list of events is missing", user=office)


def due_card(page: str) -> str:
    return page.split("Due now")[1].split("All reports")[0]


def test_a_missing_report_older_than_last_month_is_on_its_coordinators_home(
    client: Client, coordinator_almaty, office
) -> None:
    # The office counts September's report (due 15 October) as missing and overdue.
    almaty = RegionalBranch.objects.get(agency__code="gpo", region__kato="750000000")
    overdue = [o for o in overdue_reports(user=office, today=datetime.date(2026, 12, 7)) if o.branch == almaty]
    assert {str(o.period) for o in overdue} >= {"2026-09"}
    client.force_login(coordinator_almaty)
    card = due_card(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    for item in overdue:  # every one the office lists, with the way forward
        assert f'name="period" value="{item.period}"' in card, item.period
    assert card.count(ASK) >= len(overdue)


def test_a_returned_report_closed_by_its_due_date_offers_to_ask_on_the_home_and_its_page(
    client: Client, coordinator_astana, office, branch_astana
) -> None:
    report = returned(branch_astana, "2026-09", coordinator_astana, office)  # due 15 October
    client.force_login(coordinator_astana)
    card = due_card(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert f'href="/reports/{report.pk}/"' in card and 'name="period" value="2026-09"' in card

    page = client.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the list of events is missing" in page and ASK in page
    response = client.post(
        "/reports/ask-reopen/",
        {"branch": branch_astana.pk, "kind": "monthly", "period": "2026-09", "next": f"/reports/{report.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert ReopenRequest.objects.get().report == report
    page = client.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You asked the project office to reopen it" in page and ASK not in page


def test_a_returned_report_of_any_age_stays_on_the_home(
    client: Client, coordinator_astana, office, branch_astana
) -> None:
    report = returned(branch_astana, "2026-03", coordinator_astana, office)  # due 15 April
    client.force_login(coordinator_astana)
    card = due_card(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert f'href="/reports/{report.pk}/"' in card and 'name="period" value="2026-03"' in card


def test_asking_does_not_send_the_person_to_another_site(client: Client, coordinator_astana, branch_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.post(
        "/reports/ask-reopen/",
        {"branch": branch_astana.pk, "kind": "monthly", "period": "2026-09", "next": "https://elsewhere.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_regional_head_reads_a_closed_report_without_the_coordinators_button(
    client: Client, coordinator_astana, office, branch_astana
) -> None:
    from agencies.models import Membership, MembershipRole
    from tests.factories import UserFactory

    report = returned(branch_astana, "2026-09", coordinator_astana, office)
    head = UserFactory(username="head.astana")
    Membership.objects.create(user=head, branch=branch_astana, role=MembershipRole.REGIONAL_HEAD)
    client.force_login(head)
    page = client.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the list of events is missing" in page and ASK not in page


def test_the_coordinators_home_links_to_their_regions_dashboard(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/dashboard/?region=710000000"' in page and "Astana: the dashboard" in page
    assert client.get("/dashboard/?region=710000000").status_code == 200


def test_a_report_missing_since_the_spring_is_on_its_coordinators_home(client: Client, coordinator_astana) -> None:
    # The reporting grid counts every month of the year; the home list of the office only
    # the last three. March's report, due 15 April, is missing on both the grid and here.
    client.force_login(coordinator_astana)
    card = due_card(client.get("/").content.decode())
    assert "2026-03" in card and "2026-H1" in card


def test_a_branch_whose_agency_owes_no_report_is_not_told_it_owes_one(
    client: Client, coordinator_astana, office
) -> None:
    from initiatives.models import ReportingCycle

    astana = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    returned(astana, "2026-08", coordinator_astana, office)
    for cycle in ReportingCycle.objects.all():
        cycle.agencies.clear()  # the office takes the Prosecutor General's Office off every cycle
    client.force_login(coordinator_astana)
    card = due_card(client.get("/").content.decode())
    assert "2026-03" not in card and "2026-11" not in card  # nothing owed any more
    assert "2026-08" in card  # a returned report is still theirs to fix
