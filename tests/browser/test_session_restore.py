"""A coordinator's session ends while they type a long report: after logging in again,
what they typed is back in the form, unsaved, for them to save. No JavaScript needed."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from agencies.models import RegionalBranch
from initiatives.models import Report
from initiatives.periods import Period
from initiatives.services.reports import report_create
from projectoffice.session_limits import SEEN
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

NARRATIVE = "Legal literacy week in all schools of Astana; 38 lectures, 2,100 pupils, three parents' evenings."


def log_in(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_what_was_typed_when_the_session_ended_comes_back_after_logging_in(
    page, screenshot, early_november, coordinator_astana
) -> None:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    report = report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)
    page.goto("/login/")
    log_in(page, "coordinator.astana")
    page.goto(f"/reports/{report.pk}/")
    page.get_by_label("Legal literacy events held", exact=True).fill("38")
    page.fill("#id_narrative", NARRATIVE)

    # Two hours go by while the coordinator types: the session is past its idle limit.
    [cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    session[SEEN] -= 2 * 60 * 60
    session.save()

    page.click("button[value=save]")
    assert page.url.split("?")[0].endswith("/login/")
    assert "what you typed is kept" in page.content()
    screenshot("session-01-ended")
    report.refresh_from_db()
    assert (report.narrative, report.lines.count()) == ("", 0)

    log_in(page, "coordinator.astana")
    assert page.url.endswith(f"/reports/{report.pk}/")
    assert page.locator("#id_narrative").input_value() == NARRATIVE
    assert page.get_by_label("Legal literacy events held", exact=True).input_value() == "38"
    assert "not saved yet" in page.content()
    screenshot("session-02-restored")

    page.click("button[value=save]")
    assert "The draft was saved." in page.content()
    report = Report.objects.get(pk=report.pk)
    assert report.narrative == NARRATIVE
