"""The e-mail a coordinator gets when their report is returned says everything to fix,
the report's reason and each value's, and links to the report's page."""

import pytest

from agencies.models import Profile
from initiatives.models import OutboxMessage
from initiatives.services.reports import report_return

pytestmark = pytest.mark.django_db


def test_the_returned_notice_lists_each_values_reason_and_links_to_the_report(
    coordinator_astana, office, submitted, settings
) -> None:
    settings.SITE_URL = "https://tracker.example.kz"
    line = submitted.lines.get()
    report_return(
        report=submitted,
        reason="the narrative is missing",
        line_reasons={line.pk: "the list has 4 events"},
        user=office,
    )
    body = OutboxMessage.objects.get(recipient=coordinator_astana.email, key__contains=":returned:").body
    assert "the narrative is missing" in body
    assert f"{line.indicator.name}: the list has 4 events" in body
    assert f"https://tracker.example.kz/reports/{submitted.pk}/" in body


def test_the_returned_notice_names_the_value_in_the_persons_language(coordinator_astana, office, submitted) -> None:
    Profile.objects.create(user=coordinator_astana, language="kk")
    line = submitted.lines.get()
    report_return(report=submitted, reason="", line_reasons={line.pk: "тізімде 4 іс-шара"}, user=office)
    body = OutboxMessage.objects.get(recipient=coordinator_astana.email, key__contains=":returned:").body
    assert f"{line.indicator.name_kk}: тізімде 4 іс-шара" in body
    assert f"/reports/{submitted.pk}/" in body
