"""What a coordinator types into the report page reaches the server as typed, in a real
browser: a number the browser could not read is an error beside it, not a silent blank."""

import pytest

from agencies.models import RegionalBranch
from initiatives.models import Report
from initiatives.periods import Period
from initiatives.services.reports import report_create

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(coordinator_astana, early_november) -> Report:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    return report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)


def test_a_value_the_browser_cannot_read_is_an_error_and_keeps_the_saved_one(page, screenshot, report) -> None:
    log_in(page, f"/login/?next=/reports/{report.pk}/", "coordinator.astana")
    events = page.get_by_label("Legal literacy events held", exact=True)
    events.fill("12")
    page.click("button[value=save]")
    assert "The draft was saved." in page.content()

    events.fill("5e")
    page.fill("#id_narrative", "Typed before the slip.")
    page.click("button[value=save]")
    assert "5e is not a number" in page.locator("#error-summary").inner_text()
    assert events.input_value() == "5e"
    assert page.locator("#id_narrative").input_value() == "Typed before the slip."
    assert list(report.lines.values_list("value", flat=True)) == [12]
    screenshot("portal-value-not-a-number")

    events.fill("")
    page.click("button[value=save]")
    assert "The draft was saved." in page.content()
    assert events.input_value() == ""
    assert not report.lines.exists()
