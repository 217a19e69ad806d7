"""Who owes reports (`ReportingCycle.agencies`): set by staff in the admin, recorded in
the history, and given to existing cycles by a data migration from who reported then."""

import importlib

import pytest
from django.apps import apps
from django.test import Client

from agencies.models import Agency, Membership, RegionalBranch
from initiatives.models import ReportingCycle
from regions.models import Region

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db

duty_migration = importlib.import_module("initiatives.migrations.0028_reporting_duty_of_todays_reporters")


def owed_by(kind: str) -> list[str]:
    return sorted(ReportingCycle.objects.get(kind=kind).agencies.values_list("code", flat=True))


def test_existing_cycles_are_owed_by_the_agencies_whose_branches_have_a_coordinator(coordinator_astana) -> None:
    mvd, akimats = Agency.objects.get(code="mvd"), Agency.objects.get(code="akimats")
    astana = Region.objects.get(kato="710000000")
    MembershipFactory(branch=RegionalBranch.objects.create(agency=mvd, region=astana))
    left = MembershipFactory(branch=RegionalBranch.objects.create(agency=akimats, region=astana))
    Membership.objects.filter(pk=left.pk).update(is_active=False)  # a coordinator who left reports nothing
    for cycle in ReportingCycle.objects.all():
        cycle.agencies.clear()

    duty_migration.give_duty(apps, None)

    assert owed_by("monthly") == owed_by("half_yearly") == ["gpo", "mvd"]
    # The audit trail says so (in a real migration, with no history signals, the only record).
    record = ReportingCycle.objects.get(kind="monthly").history.get(history_change_reason=duty_migration.REASON)
    assert sorted(a.agency.code for a in record.agencies.all()) == ["gpo", "mvd"]


def test_a_database_where_nobody_reports_yet_starts_with_the_prosecutors_office() -> None:
    for cycle in ReportingCycle.objects.all():
        cycle.agencies.clear()
    duty_migration.give_duty(apps, None)
    assert owed_by("monthly") == owed_by("half_yearly") == ["gpo"]


def test_staff_set_who_owes_a_cycle_in_the_admin_and_the_history_says_who(client: Client, office) -> None:
    cycle = ReportingCycle.objects.get(kind="monthly")
    client.force_login(office)
    gpo, mvd = Agency.objects.get(code="gpo"), Agency.objects.get(code="mvd")
    response = client.post(
        f"/admin/initiatives/reportingcycle/{cycle.pk}/change/",
        {"kind": "monthly", "due_day": "15", "months_after": "1", "agencies": [gpo.pk, mvd.pk]},
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert owed_by("monthly") == ["gpo", "mvd"]
    newest = cycle.history.first()
    assert newest.history_user == office
    assert sorted(a.agency.code for a in newest.agencies.all()) == ["gpo", "mvd"]
    listing = client.get("/admin/initiatives/reportingcycle/").content.decode()
    assert "Ministry of Internal Affairs" in listing
    history = client.get(f"/admin/initiatives/reportingcycle/{cycle.pk}/history/").content.decode()
    assert (
        "Agencies whose branches owe it: Prosecutor General&#x27;s Office of the Republic of Kazakhstan"
        "&nbsp;&rarr;&nbsp;Prosecutor General&#x27;s Office of the Republic of Kazakhstan, "
        "Ministry of Internal Affairs of the Republic of Kazakhstan"
    ) in " ".join(history.split())


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "Agencies whose branches owe it"),
        ("ru", "Государственные органы, подразделения которых обязаны его сдавать"),
        ("kk", "Бөлімшелері оны тапсыруға міндетті мемлекеттік органдар"),
    ],
)
def test_the_admin_form_names_the_duty_in_each_language(client: Client, office, language: str, label: str) -> None:
    cycle = ReportingCycle.objects.get(kind="monthly")
    client.force_login(office)
    page = client.get(f"/admin/initiatives/reportingcycle/{cycle.pk}/change/?lang={language}").content.decode()
    assert label in page


def test_a_coordinator_may_not_change_who_owes(client: Client, coordinator_astana) -> None:
    cycle = ReportingCycle.objects.get(kind="monthly")
    client.force_login(coordinator_astana)
    response = client.post(
        f"/admin/initiatives/reportingcycle/{cycle.pk}/change/",
        {"kind": "monthly", "due_day": "15", "months_after": "1", "agencies": []},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert owed_by("monthly") == ["gpo"]
