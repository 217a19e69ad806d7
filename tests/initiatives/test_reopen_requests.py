"""A report closed by its due date offers its coordinator to ask the office to reopen it:
the request reaches the office (an e-mail and its home page), and reopening stays the
office's decision, kept in history."""

import datetime

import pytest
from django.test import Client

from initiatives.models import OutboxMessage, ReopenRequest, Report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_november")]

# Early November 2026: the first half-year's report was due on 15 July, and is closed.
ASK = {"kind": "half_yearly", "period": "2026-H1", "reason": "the head was on leave"}


def test_a_closed_report_due_now_offers_to_ask_the_office_to_reopen_it(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The half-year's report and the months the office counts as missing (January to
    # September: the grid of the year counts them all); last month's is open.
    assert page.count("Ask the office to reopen it") == 10


def test_the_coordinators_request_reaches_the_office_which_reopens_it(
    client: Client, coordinator_astana, office, branch_astana, django_capture_on_commit_callbacks
) -> None:
    client.force_login(coordinator_astana)
    with django_capture_on_commit_callbacks():
        response = client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    request = ReopenRequest.objects.get()
    assert (request.requested_by, request.reason, request.granted_at) == (coordinator_astana, ASK["reason"], None)
    report = request.report
    assert report.period_start == datetime.date(2026, 1, 1) and report.reopened_until is None  # still closed

    notice = OutboxMessage.objects.get(recipient=office.email)
    assert "2026-H1" in notice.subject and "the head was on leave" in notice.body
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You asked the project office to reopen it" in page
    assert page.count("Ask the office to reopen it") == 9  # the months still missing; not the half-year

    client.force_login(office)
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="reopen-requests"' in home and "the head was on leave" in home
    assert client.post(f"/reports/{report.pk}/reopen/").status_code == 302

    report.refresh_from_db()
    request.refresh_from_db()
    assert report.reopened_until is not None
    assert (request.granted_by, request.granted_at is not None) == (office, True)
    assert [h.history_user for h in request.history.order_by("history_date")] == [coordinator_astana, office]
    assert 'id="reopen-requests"' not in client.get("/").content.decode()  # answered


def test_asking_twice_is_one_request_and_one_notice(client: Client, coordinator_astana, office, branch_astana) -> None:
    client.force_login(coordinator_astana)
    client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK})
    client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK})
    assert ReopenRequest.objects.count() == 1
    assert OutboxMessage.objects.filter(recipient=office.email).count() == 1


def test_an_open_report_cannot_be_asked_for(client: Client, coordinator_astana, branch_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.post(
        "/reports/ask-reopen/", {"branch": branch_astana.pk, "kind": "monthly", "period": "2026-10"}, follow=True
    )
    assert "there is nothing to reopen" in response.content.decode() or "нечего" in response.content.decode()
    assert not ReopenRequest.objects.exists()


def test_another_regions_coordinator_may_not_ask_for_it(client: Client, coordinator_almaty, branch_astana) -> None:
    client.force_login(coordinator_almaty)
    assert client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK}).status_code == 404
    assert not ReopenRequest.objects.exists() and not Report.objects.exists()


def test_the_office_does_not_ask_itself(client: Client, office, branch_astana) -> None:
    client.force_login(office)
    assert client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK}).status_code == 404
    assert not ReopenRequest.objects.exists()


def test_a_coordinator_may_not_reopen_a_report(client: Client, coordinator_astana, branch_astana) -> None:
    client.force_login(coordinator_astana)
    client.post("/reports/ask-reopen/", {"branch": branch_astana.pk, **ASK})
    report = ReopenRequest.objects.get().report
    assert client.post(f"/reports/{report.pk}/reopen/").status_code == 404
    report.refresh_from_db()
    assert report.reopened_until is None
