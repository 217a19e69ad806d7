"""A log-in ends after an hour without a request and twelve hours in all (it lasted two
weeks), and a report being typed when it ends is not lost: it comes back after logging in."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from initiatives.models import Indicator, Report
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def log_in(client: Client, username: str, next_page: str = "") -> object:
    return client.post(f"/login/?next={next_page}", {"username": username, "password": PASSWORD, "next": next_page})


def logged_in(client: Client) -> bool:
    response = client.get("/")
    return bool(response.status_code == 200)


def test_the_defaults_are_an_hour_idle_and_twelve_hours_in_all() -> None:
    assert settings.SESSION_IDLE_MINUTES == 60
    assert settings.SESSION_MAX_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 12 * 3600  # the cookie and the stored session go too


def test_an_hour_without_a_request_ends_the_session(client: Client, clock, coordinator_astana) -> None:
    log_in(client, "coordinator.astana")
    assert logged_in(client)
    clock.shift(datetime.timedelta(minutes=59))
    assert logged_in(client)  # 59 minutes: still in, and the hour starts again
    clock.shift(datetime.timedelta(minutes=59))
    assert logged_in(client)
    clock.shift(datetime.timedelta(minutes=61))
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "You were logged out after 60 minutes without activity." in response.content.decode()
    assert not logged_in(client)


def test_twelve_hours_end_the_session_however_busy(client: Client, clock, coordinator_astana) -> None:
    log_in(client, "coordinator.astana")
    for _ in range(23):  # a request every half hour, for eleven and a half hours
        clock.shift(datetime.timedelta(minutes=30))
        assert logged_in(client)
    clock.shift(datetime.timedelta(minutes=31))
    assert not logged_in(client)


def test_the_idle_limit_is_a_setting(client: Client, clock, coordinator_astana, settings) -> None:
    settings.SESSION_IDLE_MINUTES = 15
    log_in(client, "coordinator.astana")
    clock.shift(datetime.timedelta(minutes=16))
    assert not logged_in(client)


def typed(report: Report) -> dict[str, str]:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    return {
        "version": str(report.version),
        f"value_{kpi.pk}": "41",
        "narrative": "Two hours of careful writing about the legal literacy events",
        "action": "save",
    }


def test_a_report_posted_after_the_session_ended_comes_back_after_logging_in(
    client: Client, clock, report: Report, coordinator_astana
) -> None:
    page = f"/reports/{report.pk}/"
    log_in(client, "coordinator.astana")
    assert client.get(page).status_code == 200
    clock.shift(datetime.timedelta(hours=2))  # typing
    answer = client.post(page, typed(report), follow=True)
    assert answer.redirect_chain[-1][0] == f"/login/?next={page}"
    assert "what you typed is kept" in answer.content.decode()
    assert "The file you attached was not kept" not in answer.content.decode()  # none was attached
    report.refresh_from_db()
    assert (report.narrative, report.lines.count()) == ("", 0)  # nothing saved behind the person's back

    back = client.get(log_in(client, "coordinator.astana", page)["Location"])
    html = back.content.decode()
    assert back.status_code == 200
    assert "Two hours of careful writing about the legal literacy events" in html and 'value="41"' in html
    assert "What you typed is below, not saved yet" in html
    report.refresh_from_db()
    assert report.narrative == ""
    # Shown once: the stash is gone after that.
    assert "Two hours of careful writing" not in client.get(page).content.decode()


def test_what_was_typed_is_not_shown_to_someone_else_logging_in_on_that_browser(
    client: Client, clock, report: Report, coordinator_astana, office
) -> None:
    page = f"/reports/{report.pk}/"
    log_in(client, "coordinator.astana")
    client.get(page)
    clock.shift(datetime.timedelta(hours=2))
    client.post(page, typed(report))
    log_in(client, office.username, page)
    assert "Two hours of careful writing" not in client.get(page).content.decode()


def test_a_post_without_a_valid_csrf_token_is_not_stashed(clock, report: Report, coordinator_astana) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator_astana)
    client.get("/")
    clock.shift(datetime.timedelta(hours=2))
    assert client.post(f"/reports/{report.pk}/", typed(report)).status_code == 403
    assert "_unsaved_form" not in client.session


def test_a_file_attached_when_the_session_ended_is_asked_for_again(
    client: Client, clock, report: Report, coordinator_astana
) -> None:
    """The form comes back, the file cannot (a session keeps no files): the person is told."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = f"/reports/{report.pk}/"
    log_in(client, "coordinator.astana")
    clock.shift(datetime.timedelta(hours=2))
    evidence = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    answer = client.post(page, {**typed(report), "evidence": evidence}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "what you typed is kept" in answer.content.decode()
    assert "The file you attached was not kept: attach it again before saving." in answer.content.decode()
