"""The admin goes through the workflow: no revert past the services, and every edit or
approval pinned to the version the person saw."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.models import Indicator, Report, Value
from initiatives.periods import Period
from initiatives.services.reports import report_approve, report_create, report_save, report_submit
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_october")]
SEPTEMBER = Period.parse("2025-09")


@pytest.fixture
def submitted(coordinator_astana) -> Report:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    report = report_create(branch=branch, kind="monthly", period=SEPTEMBER, user=coordinator_astana)
    kpi = Indicator.objects.get(code="events.legal_literacy")
    report = report_save(
        report=report, version=1, values={kpi: (Decimal(40), "")}, narrative="", user=coordinator_astana
    )
    return report_submit(report=report, version=report.version, user=coordinator_astana)


# History -> Revert


def test_a_revert_of_an_approved_report_changes_nothing_and_says_why(staff: Client, submitted: Report, office) -> None:
    submitted_version = submitted.history.latest()
    report = report_approve(report=submitted, user=office)

    response = staff.post(f"/admin/initiatives/report/{report.pk}/history/{submitted_version.history_id}/", {})

    assert response.status_code == 303
    assert response["Location"] == f"/admin/initiatives/report/{report.pk}/history/"
    report.refresh_from_db()
    assert report.state == "approved"
    published = Value.objects.get(indicator__code="events.legal_literacy", region__kato="710000000")
    assert published.approval_state == "approved"
    page = staff.get(response["Location"]).content.decode()
    assert "changed only through its workflow" in page
    assert str(submitted_version.history_date.year) in page  # the history list still shows


def test_an_old_version_of_a_report_can_be_read_but_offers_no_revert(staff: Client, submitted: Report) -> None:
    old = submitted.history.earliest()

    page = staff.get(f"/admin/initiatives/report/{submitted.pk}/history/{old.history_id}/").content.decode()

    assert "Revert" not in page


@pytest.mark.parametrize("model", ["value", "campaign"])
def test_values_and_settlements_cannot_be_reverted_either(staff: Client, model: str) -> None:
    from tests.factories import CampaignFactory

    record = ValueFactory(approved=False) if model == "value" else CampaignFactory()
    old = record.history.latest()
    before = type(record).objects.filter(pk=record.pk).values().get()

    url = f"/admin/initiatives/{model}/{record.pk}/history/{old.history_id}/"
    assert staff.get(url).status_code == 200  # an old version can still be read

    response = staff.post(url, {})

    assert response.status_code == 303
    assert type(record).objects.filter(pk=record.pk).values().get() == before
    assert record.history.count() == 1


# Versions: what the approver saw


def test_a_value_edited_after_the_approver_loaded_the_list_is_not_approved(
    staff: Client, office, early_october
) -> None:
    value = ValueFactory(approved=False, source="manual", value=100)
    page = staff.get("/admin/initiatives/value/").content.decode()
    shown = f'name="seen_{value.pk}" value="{value.version}"'
    assert shown in page
    # Someone else changes the number while the approver looks at 100.
    early_october.shift(datetime.timedelta(seconds=5))
    value.value = Decimal(2008)
    value.save()

    response = staff.post(
        "/admin/initiatives/value/",
        {
            "action": "approve",
            "_selected_action": [value.pk],
            f"seen_{value.pk}": value.history.last().updated_at.isoformat(),
        },
        follow=True,
    )

    value.refresh_from_db()
    assert (value.value, value.approval_state) == (Decimal(2008), "pending")
    page = response.content.decode()
    assert "changed after you opened it (it is now 2008)" in page
    assert "values approved" not in page


def test_a_value_approved_as_seen_is_approved(staff: Client, office) -> None:
    value = ValueFactory(approved=False, source="manual")
    staff.get("/admin/initiatives/value/")

    staff.post(
        "/admin/initiatives/value/",
        {"action": "approve", "_selected_action": [value.pk], f"seen_{value.pk}": value.version},
    )

    value.refresh_from_db()
    assert (value.approval_state, value.approved_by) == ("approved", office)


def test_a_value_not_shown_on_the_page_is_not_approved(staff: Client) -> None:
    value = ValueFactory(approved=False, source="manual")

    response = staff.post(
        "/admin/initiatives/value/", {"action": "approve", "_selected_action": [value.pk]}, follow=True
    )

    value.refresh_from_db()
    assert value.approval_state == "pending"
    assert "Values not shown on this page were not approved" in response.content.decode()


def _edit(value: Value, number: int, seen: str) -> dict[str, str]:
    return {
        "indicator": str(value.indicator_id),
        "region": str(value.region_id),
        "period": "2025-09",
        "value": str(number),
        "source": "manual",
        "comment": "",
        "seen_version": seen,
    }


def test_of_two_admin_edits_of_one_value_the_second_is_refused_not_lost(client: Client, office, early_october) -> None:
    value = ValueFactory(approved=False, source="manual", value=100)
    client.force_login(office)
    url = f"/admin/initiatives/value/{value.pk}/change/"
    form = client.get(url).content.decode()
    assert f'name="seen_version" value="{value.version}"' in form
    seen = value.version  # both people opened the form at this version

    first = client.post(url, _edit(value, 111, seen))
    early_october.shift(datetime.timedelta(seconds=5))
    second = client.post(url, _edit(value, 222, seen))

    assert first.status_code == 302
    assert second.status_code == 200
    assert "changed after you opened it (it is now 111)" in second.content.decode()
    assert 'value="222"' in second.content.decode()  # what was typed is kept
    value.refresh_from_db()
    assert value.value == Decimal(111)


def test_a_report_saved_after_the_approver_loaded_the_list_is_not_approved(
    staff: Client, submitted: Report, office
) -> None:
    page = staff.get("/admin/initiatives/report/").content.decode()
    assert f'name="seen_{submitted.pk}" value="{submitted.version}"' in page
    seen = submitted.version
    Report.objects.filter(pk=submitted.pk).update(version=seen + 1)  # a save the approver did not see

    response = staff.post(
        "/admin/initiatives/report/",
        {"action": "approve", "_selected_action": [submitted.pk], f"seen_{submitted.pk}": seen},
        follow=True,
    )

    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    assert not Value.objects.exists()
    assert "This report changed after you opened it" in response.content.decode()


def test_a_report_approved_as_seen_is_approved_and_returning_carries_the_version_through_the_confirmation(
    staff: Client, submitted: Report
) -> None:
    confirm = staff.post(
        "/admin/initiatives/report/",
        {
            "action": "return_for_revision",
            "_selected_action": [submitted.pk],
            f"seen_{submitted.pk}": submitted.version,
        },
    ).content.decode()
    assert f'name="seen_{submitted.pk}" value="{submitted.version}"' in confirm

    staff.post(
        "/admin/initiatives/report/",
        {
            "action": "return_for_revision",
            "_selected_action": [submitted.pk],
            f"seen_{submitted.pk}": submitted.version,
            "reason": "Check the events.",
        },
    )

    submitted.refresh_from_db()
    assert (submitted.state, submitted.return_reason) == ("returned", "Check the events.")


def test_the_review_page_refuses_to_approve_a_report_saved_since_it_was_opened(
    staff: Client, submitted: Report
) -> None:
    page = staff.get(f"/review/{submitted.pk}/").content.decode()
    assert f'name="version" value="{submitted.version}"' in page
    Report.objects.filter(pk=submitted.pk).update(version=submitted.version + 1)

    response = staff.post(f"/review/{submitted.pk}/", {"action": "approve", "version": submitted.version, "reason": ""})

    assert response.status_code == 200
    assert "This report changed after you opened it" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def _as_posted(form) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What a browser posts back for an unchanged admin form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else str(value)
    return data


def test_a_settlements_stage_is_not_moved_by_editing_it(staff: Client) -> None:
    from tests.factories import CampaignFactory, RegionFactory

    village = CampaignFactory(
        kind="alcohol_free",
        region=RegionFactory(),
        settlement_stage="declared",
        declared_on=datetime.date(2025, 5, 1),
    )
    url = f"/admin/initiatives/campaign/{village.pk}/change/"
    data = _as_posted(staff.get(url).context["adminform"].form)

    response = staff.post(url, {**data, "settlement_stage": "sustained", "sustained_on": "2025-09-01"})

    assert response.status_code == 200
    assert "moves through its stages with the actions on the list" in response.content.decode()
    village.refresh_from_db()
    assert (village.settlement_stage, village.sustained_on) == ("declared", None)
    # Other corrections still save.
    saved = staff.post(url, {**data, "name_en": "Akkum"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
