"""The reporting-timeliness grid: on time by the first submission, from real timestamps;
rates per region and nationally; who sees which rows; the file; the office's home."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from agencies.models import Agency, Membership, RegionalBranch
from initiatives.models import ReportingCycle
from initiatives.selectors.reporting import on_time_rate
from regions.models import Region
from tests.factories import monthly_submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

# session, user, office check, who owes (cycles' agencies), branches, reports, first submissions, cycles, as of x2
GRID_BUDGET = 10
SHYMKENT = "790000000"


def rows(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def cell(table: list[dict[str, str]], kato: str, period: str) -> dict[str, str]:
    return next(r for r in table if r["kato"] == kato and r["period"] == period and r["agency"] == "gpo")


def test_on_time_is_judged_by_the_first_submission_whatever_happened_after(client: Client, office, reports) -> None:
    client.force_login(office)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    assert list(table[0])[:9] == [
        *("kato", "name", "agency", "period", "kind", "state", "state_name", "due_date", "submitted_at")
    ]
    assert cell(table, "710000000", "2026-09")["timeliness"] == "on_time"
    assert cell(table, "710000000", "2026-10")["timeliness"] == "late"
    returned_then_late = cell(table, "750000000", "2026-10")
    assert returned_then_late["timeliness"] == "on_time" and returned_then_late["state"] == "submitted"
    assert returned_then_late["submitted_at"].startswith("2026-11-14")
    missing = cell(table, "750000000", "2026-09")
    assert missing["state"] == "missing" and missing["timeliness"] == "not_in" and missing["due_date"] == "2026-10-15"
    assert missing["state_name"] == "missing" and returned_then_late["state_name"] == "submitted"  # the words
    assert cell(table, "750000000", "2026-11")["timeliness"] == "not_due"


def test_the_reporting_rate_is_on_time_over_expected_per_region_and_nationally(client: Client, office, reports) -> None:
    client.force_login(office)
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    # Per branch, January to October and the first half-year are due by 2 December: 11.
    assert "2 of 22 reports due so far came on time" in page
    astana_row = page.split('data-kato="710000000"')[1]
    assert "1/11" in astana_row.split("</tr>")[0]


def test_the_rate_rounds_a_half_up_as_every_figure_shown():
    # 1 of 16 is 6.25%: Python's round() of the float said 6.2, the tables' rounding 6.3.
    assert on_time_rate(1, 16) == Decimal("6.3")
    assert on_time_rate(2, 22) == Decimal("9.1")
    assert on_time_rate(0, 0) is None


def test_a_cell_opens_its_report(client: Client, office, reports) -> None:
    client.force_login(office)
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    assert f'href="/reports/{reports["astana-09"].pk}/"' in page  # approved: read it
    assert f'href="/review/{reports["almaty-10"].pk}/"' in page  # submitted: the office reviews it


def test_a_coordinator_sees_only_their_own_regions_rows(client: Client, coordinator_astana, reports) -> None:
    client.force_login(coordinator_astana)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    assert {r["kato"] for r in table} == {"710000000"}


def test_the_offices_home_shows_what_is_missing_or_late(client: Client, office, reports) -> None:
    client.force_login(office)
    overdue = client.get("/").content.decode().split('id="overdue"')[1].split("</div>")[0]
    # Due since September and not submitted: August for both, September for Almaty.
    assert overdue.count("<tr>") == 1 + 3 and overdue.count("missing") == 3
    assert "2026-10" not in overdue  # October came in, late for Astana: on the grid, not here


def test_the_grid_keeps_a_fixed_query_budget(
    client: Client, office, reports, coordinator_astana, assert_queries_do_not_grow
) -> None:
    client.force_login(office)

    def add_rows() -> None:
        astana = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
        for period in ("2026-01", "2026-02", "2026-03"):
            monthly_submitted(astana, period, "2026-05-01", coordinator_astana, office)
        # Branches that owe reports with no coordinator, and another agency's with one.
        gpo = Agency.objects.get(code="gpo")
        for region in Region.objects.top_level().exclude(kato__in=["710000000", "750000000"])[:3]:
            RegionalBranch.objects.create(agency=gpo, region=region)
        mvd = Agency.objects.get(code="mvd")
        ReportingCycle.objects.get(kind="monthly").agencies.add(mvd)
        branch, _ = RegionalBranch.objects.get_or_create(agency=mvd, region=astana.region)
        Membership.objects.create(user=coordinator_astana, branch=branch, role="coordinator")

    assert_queries_do_not_grow(lambda: client.get("/dashboard/reporting/?year=2026"), add_rows, budget=GRID_BUDGET)


# --- Who owes reports: every branch of the cycles' agencies, with or without a coordinator.


@pytest.fixture
def shymkent_without_coordinator() -> RegionalBranch:
    """A branch of the reporting agency (gpo, as in the demo) that nobody coordinates."""
    return RegionalBranch.objects.create(
        agency=Agency.objects.get(code="gpo"), region=Region.objects.get(kato=SHYMKENT)
    )


def test_a_branch_without_a_coordinator_owes_its_reports_and_they_count_missing(
    client: Client, office, reports, shymkent_without_coordinator
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    # By 2 December each branch owes January to October and the first half-year: 11.
    # Astana: September on time (October late); Almaty: October on time; Shymkent: nothing.
    # 2 on time of 3 x 11 = 33 owed: 6.1 %.
    assert "2 of 33 reports due so far came on time" in page
    assert "<strong>6.1%</strong>" in page
    shymkent_row = page.split(f'data-kato="{SHYMKENT}"')[1].split("</tr>")[0]
    assert "no coordinator" in shymkent_row and "0/11" in shymkent_row
    assert shymkent_row.count("<small>missing</small>") == 11
    astana_row = page.split('data-kato="710000000"')[1].split("</tr>")[0]
    assert "no coordinator" not in astana_row


def test_the_page_says_which_branches_the_rate_covers(
    client: Client, office, reports, shymkent_without_coordinator
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    who = page.split('id="who-owes"')[1].split("</div>")[0]
    assert "3 branches of Prosecutor General&#x27;s Office of the Republic of Kazakhstan owe reports." in who
    assert "1 of them has no coordinator: its reports count as missing until someone is assigned." in who


def test_the_page_says_what_it_covers_in_kazakh_and_russian(
    client: Client, office, reports, shymkent_without_coordinator
) -> None:
    client.force_login(office)
    for language, words in (("ru", "координатор"), ("kk", "үйлестіруші")):
        who = client.get(f"/dashboard/reporting/?year=2026&lang={language}").content.decode().split('id="who-owes"')[1]
        who = who.split("</div>")[0]
        assert "3" in who and words in who, language


def test_the_file_has_a_row_per_period_for_a_branch_without_a_coordinator(
    client: Client, office, reports, shymkent_without_coordinator
) -> None:
    client.force_login(office)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    assert list(table[0])[:9] == [
        "kato",
        "name",
        "agency",
        "period",
        "kind",
        "state",
        "state_name",
        "due_date",
        "submitted_at",
    ]
    shymkent = [r for r in table if r["kato"] == SHYMKENT]
    assert [(r["period"], r["kind"]) for r in shymkent] == [(f"2026-{m:02d}", "monthly") for m in range(1, 13)] + [
        ("2026-H1", "half_yearly"),
        ("2026-H2", "half_yearly"),
    ]
    assert {r["agency"] for r in shymkent} == {"gpo"} and {r["has_coordinator"] for r in shymkent} == {"no"}
    october = next(r for r in shymkent if r["period"] == "2026-10")
    assert (october["state"], october["timeliness"], october["due_date"], october["submitted_at"]) == (
        "missing",
        "not_in",
        "2026-11-15",
        "",
    )
    assert next(r for r in shymkent if r["period"] == "2026-11")["timeliness"] == "not_due"
    assert cell(table, "710000000", "2026-09")["has_coordinator"] == "yes"


def test_the_reporting_cycles_decide_who_owes_not_the_coordinators(
    client: Client, office, reports, coordinator_astana
) -> None:
    mvd = Agency.objects.get(code="mvd")
    police = RegionalBranch.objects.create(agency=mvd, region=Region.objects.get(kato="710000000"))
    Membership.objects.create(user=coordinator_astana, branch=police, role="coordinator")
    client.force_login(office)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    assert "mvd" not in {r["agency"] for r in table}  # a coordinator, but mvd owes no report

    ReportingCycle.objects.get(kind="monthly").agencies.add(mvd)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    police_rows = {r["period"]: r for r in table if r["agency"] == "mvd"}
    assert police_rows["2026-10"]["state"] == "missing"
    assert (police_rows["2026-H1"]["state"], police_rows["2026-H1"]["timeliness"]) == ("not_owed", "not_owed")
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    # Astana and Almaty owe 11 each as before; the police branch 10 months and no half-year.
    assert "2 of 32 reports due so far came on time" in page


def test_a_report_from_a_branch_that_owes_none_is_shown_outside_the_rate(
    client: Client, office, reports, coordinator_astana
) -> None:
    ReportingCycle.objects.get(kind="monthly").agencies.clear()
    client.force_login(office)
    table = rows(client, "/dashboard/reporting/?year=2026&format=csv")
    handed_in = cell(table, "710000000", "2026-09")
    assert (handed_in["state"], handed_in["timeliness"]) == ("approved", "not_owed")
    assert {r["kato"] for r in table} == {"710000000", "750000000"}  # the branches that handed one in
    page = client.get("/dashboard/reporting/?year=2026").content.decode()
    assert "0 of 2 reports due so far came on time" in page  # only the half-years are owed
