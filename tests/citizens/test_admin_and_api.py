"""The office sees the register masked; only a holder of "view citizens' personal data"
sees a report's data in clear, and each look is recorded. No API response carries them."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from agencies.roles import PROJECT_OFFICE_GROUP
from citizens.models import CitizenReport, PersonalDataRequest, PersonalDataReveal

from .conftest import PEOPLE, csv_file, three_people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]


@pytest.fixture
def imported(tmp_path, branch_astana, almaty_branch):
    rows = three_people()
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))
    return rows


def no_secret_in(text: str, rows, secrets_of) -> None:
    assert [s for s in secrets_of(rows) if s in text] == []


def test_the_project_office_group_does_not_get_the_personal_data_permission(office):
    group = Group.objects.get(name=PROJECT_OFFICE_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert "view_citizenreport" in codenames
    assert "view_citizen_personal_data" not in codenames
    assert not office.has_perm("citizens.view_citizen_personal_data")


def test_the_offices_admin_pages_show_the_register_masked(client, office, imported, secrets_of):
    client.force_login(office)
    report = CitizenReport.objects.get(status="confirmed")
    pages = [
        reverse("admin:citizens_citizenreport_changelist"),
        reverse("admin:citizens_citizenreport_change", args=[report.pk]),
        reverse("admin:citizens_citizenreport_history", args=[report.pk]),
        reverse("admin:index"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        no_secret_in(response.content.decode(), imported, secrets_of)
    listing = client.get(pages[0]).content.decode()
    assert f"********{imported[1]['iin'][-4:]}" in listing
    assert "received 3 · confirmed 1 · not confirmed 1 · rewarded 1 (money 1)" in " ".join(listing.split())
    assert "Show personal data in clear" not in client.get(pages[1]).content.decode()
    assert not PersonalDataReveal.objects.exists()


def test_without_the_permission_the_clear_page_and_the_requests_are_refused(client, office, imported):
    client.force_login(office)
    report = CitizenReport.objects.first()
    assert client.get(reverse("admin:citizens_citizenreport_personal_data", args=[report.pk])).status_code == 403
    assert client.get(reverse("admin:citizens_personaldatarequest_changelist")).status_code == 403
    assert client.get(reverse("admin:citizens_personaldatareveal_changelist")).status_code == 403
    assert not PersonalDataReveal.objects.exists()


def test_a_holder_of_the_permission_sees_the_data_and_the_look_is_recorded(client, viewer, imported):
    client.force_login(viewer)
    report = CitizenReport.objects.get(status="confirmed")
    change = client.get(reverse("admin:citizens_citizenreport_change", args=[report.pk])).content.decode()
    assert "Show personal data in clear" in change
    assert imported[1]["iin"] not in change  # still masked until asked for
    page = client.get(reverse("admin:citizens_citizenreport_personal_data", args=[report.pk])).content.decode()
    assert imported[1]["iin"] in page and PEOPLE[1][0] in page
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.user, reveal.report, reveal.where) == (viewer, report, "admin")


def test_a_correction_at_the_citizens_request_is_kept_in_history_as_changed_not_as_values(client, viewer, imported):
    client.force_login(viewer)
    report = CitizenReport.objects.get(status="confirmed")
    url = reverse("admin:citizens_citizenreport_personal_data", args=[report.pk])
    response = client.post(url, {"iin": imported[1]["iin"], "full_name": "Corrected Sentinelname", "phone": ""})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.full_name == "Corrected Sentinelname"
    latest = report.history.first()
    assert latest.history_user == viewer and latest.personal_data_changed_at is not None
    assert not hasattr(latest, "full_name") and not hasattr(latest, "iin")


def test_a_citizens_request_is_recorded_and_answered_by_a_holder_of_the_permission(client, viewer, imported):
    client.force_login(viewer)
    report = CitizenReport.objects.first()
    add = client.post(
        reverse("admin:citizens_personaldatarequest_add"),
        {"report": report.pk, "kind": "access", "received_on": "2026-11-30", "request_text": "What do you hold?"},
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    request = PersonalDataRequest.objects.get()
    assert request.status == "open"
    answer = client.post(
        reverse("admin:citizens_personaldatarequest_change", args=[request.pk]),
        {
            "report": report.pk,
            "kind": "access",
            "received_on": "2026-11-30",
            "request_text": "What do you hold?",
            "answer_text": "Your IIN, name and phone; sent by letter.",
            "answered_on": "2026-12-01",
        },
    )
    assert answer.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.answered_by) == ("answered", viewer)


@pytest.mark.parametrize("who", ["office", "token_kpi", "coordinator_astana"])
def test_no_api_response_carries_personal_data(caller, who, imported, secrets_of):
    client = caller(who)
    urls = [
        "/api/v1/kpis/",
        "/api/v1/kpis/citizen_reports.received/",
        "/api/v1/kpis/citizen_reports.received/summary/?period_from=2026-01&period_to=2026-11",
        "/api/v1/kpis/citizen_reports.rewarded/summary/?period_from=2026-01&period_to=2026-11&format=csv",
        "/api/v1/values/?kpi=citizen_reports.received",
        "/api/v1/values/?kpi=citizen_reports.confirmed&format=csv",
        "/api/v1/campaigns/",
        "/api/v1/branches/",
        "/api/schema/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        no_secret_in(body.decode(), imported, secrets_of)
    summary = client.get("/api/v1/kpis/citizen_reports.received/summary/?period_from=2026-02&period_to=2026-11")
    if summary.status_code == 200 and who != "coordinator_astana":
        assert summary.json()["value"] == "3"


def test_the_admin_list_costs_the_same_queries_whatever_the_number_of_reports(
    client, office, imported, tmp_path, assert_queries_do_not_grow
):
    from .conftest import iins, row

    client.force_login(office)
    batches = iter(range(100))

    def add_rows():
        people = iins(3, seed=f"admin-{next(batches)}")
        call_command("import_citizen_reports", str(csv_file(tmp_path, [row(iin=i) for i in people], "more.csv")))

    url = reverse("admin:citizens_citizenreport_changelist")
    assert_queries_do_not_grow(lambda: client.get(url), add_rows, budget=11)


def test_an_old_version_of_a_citizens_request_shows_its_texts_masked_and_records_no_reveal(
    client, viewer, imported, secrets_of
):
    client.force_login(viewer)
    report = CitizenReport.objects.get(status="confirmed")
    asked = f"Please correct my phone; my IIN is {imported[1]['iin']}, I am {PEOPLE[1][0]}."
    client.post(
        reverse("admin:citizens_personaldatarequest_add"),
        {"report": report.pk, "kind": "correction", "received_on": "2026-11-30", "request_text": asked},
    )
    request = PersonalDataRequest.objects.get()
    reveals = PersonalDataReveal.objects.count()
    for version in request.history.all():
        url = reverse("admin:citizens_personaldatarequest_simple_history", args=[request.pk, version.history_id])
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert asked not in text and "Please correct my phone" not in text
        no_secret_in(text, imported, secrets_of)
        assert "********" in text
    # Masked, so nothing was read in clear and there is no look to record.
    assert PersonalDataReveal.objects.count() == reveals


def test_an_old_version_of_a_citizens_report_is_masked_and_cannot_be_reverted(client, office, imported, secrets_of):
    client.force_login(office)
    report = CitizenReport.objects.get(status="confirmed")
    first = report.history.earliest()
    CitizenReport.objects.filter(pk=report.pk).update(decision_no="12-999")  # a later change, without history
    url = reverse("admin:citizens_citizenreport_simple_history", args=[report.pk, first.history_id])
    page = client.get(url)
    assert page.status_code == 200
    no_secret_in(page.content.decode(), imported, secrets_of)
    assert f"********{imported[1]['iin'][-4:]}" in page.content.decode()
    # Reading the register is not changing it: an old version is never saved back.
    refused = client.post(url, {})
    assert refused.status_code == 303
    report.refresh_from_db()
    assert report.decision_no == "12-999"
    assert not PersonalDataReveal.objects.exists()


@pytest.mark.parametrize(
    "asked",
    [
        {"iin_hash__startswith": "a"},
        {"iin_hash": "0" * 64},
        {"iin_hash__gt": "8"},
        {"received_on__gte": "2026-01-01"},  # the date hierarchy's own parameters only
        {"status__exact": "confirmed", "iin_hash__startswith": "a"},
    ],
)
def test_the_register_list_refuses_a_lookup_it_does_not_offer(client, office, imported, asked):
    """A prefix of the keyed hash, asked 16 ways a character, would give it whole in about
    90 requests and link one person's reports across branches."""
    client.force_login(office)
    response = client.get(reverse("admin:citizens_citizenreport_changelist"), asked)
    assert response.status_code == 400


def test_the_register_lists_still_filter_by_what_they_offer(client, office, viewer, imported):
    client.force_login(office)
    url = reverse("admin:citizens_citizenreport_changelist")
    report = CitizenReport.objects.get(status="confirmed")
    offered = [
        {"status__exact": "confirmed"},
        {"reward__exact": "money"},
        {"channel__exact": "phone"},
        {"offence__exact": "theft"},
        {"branch__agency__id__exact": str(report.branch.agency_id)},
        {"in_region": "750000000"},
        {"received_on__year": "2026", "received_on__month": "3"},
    ]
    for asked in offered:
        response = client.get(url, asked)
        assert response.status_code == 200, asked
        assert response.context["cl"].result_count >= 1, asked
    assert client.get(url, {"status__exact": "confirmed"}).context["cl"].result_count == 1
    client.force_login(viewer)
    requests = reverse("admin:citizens_personaldatarequest_changelist")
    reveals = reverse("admin:citizens_personaldatareveal_changelist")
    assert client.get(requests, {"status__exact": "open"}).status_code == 200
    assert client.get(requests, {"report__iin_hash__startswith": "a"}).status_code == 400
    assert client.get(reveals, {"where": "admin"}).status_code == 200
    assert client.get(reveals, {"report__iin_hash__startswith": "a"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("admin:citizens_personaldatarequest_changelist", 5),
        ("admin:citizens_personaldatareveal_changelist", 8),
    ],
)
def test_the_admin_lists_of_requests_and_reveals_cost_the_same_queries_whatever_their_length(
    client, imported, assert_queries_do_not_grow, url: str, budget: int
) -> None:
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    reports = list(CitizenReport.objects.all())

    def add(count: int) -> None:
        for n in range(count):
            report = reports[n % len(reports)]
            PersonalDataRequest.objects.create(
                report=report, kind="access", received_on=datetime.date(2026, 1, 1), request_text=f"asked {n}"
            )
            PersonalDataReveal.objects.create(report=report, user=UserFactory(), where="admin")

    add(1)
    assert_queries_do_not_grow(
        lambda: client.get(reverse(url)).status_code == 200 or pytest.fail(url), lambda: add(20), budget=budget
    )
