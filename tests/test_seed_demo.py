"""`seed_demo` as a new installation runs it: twice, with the same outcome."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from initiatives.models import Campaign, Indicator, Initiative, ReportingCycle, Target, Value
from initiatives.periods import Period


def everything() -> dict[str, object]:
    return {
        "initiatives": list(Initiative.objects.values_list("code", "status", "lead_agency__code")),
        "campaigns": list(Campaign.objects.values_list("kind", "region__kato", "settlement_stage")),
        "targets": list(Target.objects.values_list("indicator__code", "region__kato", "year", "target_value")),
        "values": Value.objects.count(),
        "value_history": Value.history.count(),
        "history": (Initiative.history.count(), Campaign.history.count(), Target.history.count()),
        "duty": list(ReportingCycle.objects.values_list("kind", "agencies__code").order_by("kind", "agencies__code")),
    }


# Two districts a region on average (`make run` makes DEFAULT_DISTRICTS): fewer values to write.
DISTRICTS = "40"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module (with 40 districts the demo writes some 48,000 values),
    inside a transaction that is rolled back afterwards, so later tests start from the
    migrations."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--password", "demo-pass-1", "--districts", DISTRICTS, stdout=io.StringIO())
        first = everything()
        out = io.StringIO()
        call_command("seed_demo", "--password", "demo-pass-1", "--districts", DISTRICTS, stdout=out)
        yield first, everything(), out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_second_run_writes_nothing(seeded) -> None:
    first, second, output = seeded
    assert second == first
    assert "(0 KPI values written)" in output


@pytest.mark.django_db
def test_the_demo_programme_reads_like_the_real_one(seeded) -> None:
    assert Initiative.objects.count() >= 5
    stages = set(Campaign.objects.alcohol_free().values_list("settlement_stage", flat=True))
    assert stages == {"declared", "verified", "sustained", "lapsed"}
    assert Campaign.objects.alcohol_free().values("region__parent__parent__parent").distinct().count() >= 4
    assert set(Campaign.objects.values_list("kind", flat=True)) >= {"alcohol_free", "anti_fraud", "legal_literacy"}


@pytest.mark.django_db
def test_monthly_values_from_june_2022_for_every_region(seeded) -> None:
    from regions.models import Region

    registered = Indicator.objects.get(code="crime.registered")
    months = Value.objects.filter(indicator=registered, region__kato="710000000").order_by("period_start")
    assert months.count() >= 52 and months.first().period_start.isoformat() == "2022-06-01"
    with_values = set(Value.objects.filter(indicator=registered, region__level=1).values_list("region", flat=True))
    assert with_values == set(Region.objects.top_level().values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_demo_districts_each_have_their_series_and_each_region_is_their_exact_sum(seeded) -> None:
    from django.db.models import Sum

    from regions.models import Region

    districts = Region.objects.filter(level=2)
    assert districts.count() == int(DISTRICTS)
    assert {d.parent.level for d in districts} == {1}
    offences = list(Indicator.objects.filter(group="offences", aggregation_time="sum"))
    assert len(offences) == 14
    for kpi in offences:
        own = {
            (region, month): value
            for region, month, value in Value.objects.filter(indicator=kpi, region__level=1).values_list(
                "region_id", "period_start", "value"
            )
        }
        below = {
            (region, month): total
            for region, month, total in Value.objects.filter(indicator=kpi, region__level=2)
            .order_by()
            .values_list("region__parent_id", "period_start")
            .annotate(total=Sum("value"))
        }
        assert own == below, kpi.code
    # The demo villages' okrugs have registered offences of their own.
    okrugs = Value.objects.filter(indicator__code="crime.registered", region__level=3)
    assert okrugs.values("region").distinct().count() == 5


@pytest.mark.django_db
def test_the_demo_figures_add_up(seeded) -> None:
    def figure(code: str) -> int:
        return int(
            Value.objects.get(
                indicator__code=code, region__kato="750000000", period_start="2025-09-01", period_end="2025-09-01"
            ).value
        )

    assert figure("crime.misdemeanours") + figure("crime.crimes") == figure("crime.registered")
    gravity = sum(figure(f"crime.{g}") for g in ("minor", "medium", "grave", "especially_grave"))
    assert gravity == figure("crime.crimes")
    assert figure("crime.internet_fraud") <= figure("crime.fraud")


@pytest.mark.django_db
def test_the_2026_target_is_five_percent_below_the_2025_total(seeded) -> None:
    target = Target.objects.get(indicator__code="crime.registered", region__kato="710000000", year=2026)
    total_2025 = sum(
        v.value
        for v in Value.objects.filter(indicator__code="crime.registered", region__kato="710000000").within_span(
            Period.year(2025)
        )
    )
    assert target.baseline_value == total_2025
    assert target.target_value == round(total_2025 * 95 / 100)


@pytest.mark.django_db
def test_each_demo_coordinator_finds_last_months_report_open(seeded) -> None:
    from initiatives.demo.statistics import last_month
    from initiatives.models import Report
    from initiatives.selectors.reports import closed_reason

    last = last_month()
    reports = Report.objects.filter(
        branch__memberships__user__username__startswith="coordinator.", period_start=last.first_day, kind="monthly"
    )
    assert {r.branch.region.kato for r in reports} == {"710000000", "750000000"}
    assert all(closed_reason(r) is None for r in reports)


@pytest.mark.django_db
def test_the_demo_office_has_reports_on_time_late_missing_and_returned(seeded) -> None:
    from django.contrib.auth.models import User

    from initiatives.demo.statistics import last_month
    from initiatives.selectors.reporting import reporting_grid

    office = User.objects.get(username="office")
    today = (last_month().plus(1)).first_day
    grid = reporting_grid(user=office, year=last_month().plus(-1).year, today=today)
    rows = [row for block in grid.regions for row in block.rows]
    cells = [c for row in rows for c in row.cells if c.expected]
    kinds = {(c.timeliness, c.state) for c in cells}
    assert {("on_time", "approved"), ("late", "approved"), ("on_time", "returned"), ("on_time", "submitted")} <= kinds
    # The coordinators' branches (Astana, Almaty) missed one report between them ...
    coordinated = [c for row in rows if row.has_coordinator for c in row.cells if c.expected]
    assert sum(c.state == "missing" for c in coordinated) == 1
    # ... and every other region's branch owes its reports too, with nobody to hand them in.
    uncoordinated = [row for row in rows if not row.has_coordinator]
    assert len(uncoordinated) == 18 and {row.branch.agency.code for row in rows} == {"gpo"}
    assert all(c.state == "missing" for row in uncoordinated for c in row.cells if c.expected)
    assert sum(c.state == "missing" for c in cells) == 1 + 18 * sum(c.expected for c in uncoordinated[0].cells)


@pytest.mark.django_db
def test_the_demo_grid_covers_the_reporting_agencys_branch_in_every_region(seeded) -> None:
    from django.contrib.auth.models import User

    from initiatives.demo.statistics import last_month
    from initiatives.selectors.reporting import reporting_grid
    from regions.models import Region

    office = User.objects.get(username="office")
    grid = reporting_grid(user=office, year=last_month().year, today=last_month().plus(1).first_day)
    assert [b.kato for b in grid.regions] == list(
        Region.objects.top_level().order_by("kato").values_list("kato", flat=True)
    )
    assert [(o.agency.code, o.branches, o.without_coordinator) for o in grid.owing] == [("gpo", 20, 18)]
    assert {r.branch.region.kato for b in grid.regions for r in b.rows if r.has_coordinator} == {
        "710000000",
        "750000000",
    }


@pytest.mark.django_db
def test_the_demo_statistics_run_to_the_last_month_that_is_over(seeded) -> None:
    from initiatives.demo.statistics import last_month

    newest = Value.objects.filter(indicator__code="crime.registered").order_by("-period_start").first()
    assert newest is not None and newest.period_start == last_month().first_day


@pytest.mark.django_db
def test_every_kpi_coordinators_report_has_this_years_target_in_every_region(seeded) -> None:
    from initiatives.demo.statistics import last_month
    from initiatives.models import IndicatorSource
    from regions.models import Region

    year = last_month().year
    reported = list(Indicator.objects.active().filter(source=IndicatorSource.COORDINATOR_REPORTS))
    assert reported
    for kpi in reported:
        regions = set(Target.objects.filter(indicator=kpi, year=year).values_list("region__kato", flat=True))
        assert regions >= set(Region.objects.top_level().values_list("kato", flat=True)), kpi.code
    # Ten per cent more of what people report doing than the year before, where there is a year before.
    target = Target.objects.get(indicator__code="events.legal_literacy", region__kato="710000000", year=year)
    last_year = sum(
        v.value
        for v in Value.objects.filter(indicator__code="events.legal_literacy", region__kato="710000000").within_span(
            Period.year(year - 1)
        )
    )
    assert target.target_value == (round(last_year * 11 / 10) if last_year else 12)


@pytest.mark.django_db
def test_the_public_page_shows_the_demo_release_confirmed_by_a_second_person(seeded, client) -> None:
    from initiatives.demo.statistics import last_month
    from initiatives.models import Release

    last = last_month()
    release = Release.objects.get()  # the second run published no other
    assert release.period == f"{last.year}-01/{last}" or (last.month == 1 and release.period == f"{last}")
    assert (release.state, release.published_by.username, release.confirmed_by.username) == (
        "published",
        "office",
        "office.deputy",
    )
    page = client.get("/public/?lang=en").content.decode()
    assert "No release has been published yet." not in page
    assert 'data-kato="710000000"' in page
