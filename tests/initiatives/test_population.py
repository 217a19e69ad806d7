"""Population is kept once: dated values of the KPI whose role is population. A rate of a
year divides by the population of that year; figures checked by hand."""

import datetime
import importlib
from decimal import Decimal

import pytest

from initiatives.engine.summary import kpi_summary
from initiatives.models import ApprovalState, Indicator, KpiRole, Value, ValueSource
from initiatives.periods import Period, stock_counted_on, stock_period_at
from initiatives.selectors.kpi_roles import kpi_of_role
from initiatives.services.values import value_set
from regions.models import Region
from tests.factories import RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db

moved = importlib.import_module("initiatives.migrations.0036_population_from_regions")


def rate(kato: str, span: str) -> Decimal | None:
    s = kpi_summary(
        indicator=Indicator.objects.get(code="crime.registered"),
        region=Region.objects.get(kato=kato),
        span=Period.parse(span),
        compare=False,
    )
    return s.own.rate_per_10k.value


def population_counted(kato: str, day: datetime.date, value: int) -> None:
    ValueFactory(kpi="population", kato=kato, period=stock_period_at(day), value=value)


def test_a_rate_of_a_past_year_uses_that_years_population_and_this_years_this_years() -> None:
    # Given Astana's offences of 2024, 2025 and January to September 2026, and its
    # population counted on 1 January 2025 and on 1 January 2026,
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024", value=1200)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025", value=1000)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2026-01/2026-09", value=900)
    population_counted("710000000", datetime.date(2025, 1, 1), 1_200_000)
    population_counted("710000000", datetime.date(2026, 1, 1), 1_250_000)

    # then 2024 divides by the population at its end, 2025 by that at its end,
    assert rate("710000000", "2024") == Decimal(10)  # 1,200 / 1,200,000 x 10,000
    assert rate("710000000", "2025") == Decimal(8)  # 1,000 / 1,250,000 x 10,000
    # and this year by this year's (counted on 1 January, carried forward to September),
    assert rate("710000000", "2026-01/2026-09") == Decimal("7.2")  # 900 / 1,250,000 x 10,000

    # until a later count of this year comes: 1 July 2026.
    population_counted("710000000", datetime.date(2026, 7, 1), 1_500_000)
    assert rate("710000000", "2026-01/2026-09") == Decimal(6)  # 900 / 1,500,000 x 10,000
    assert rate("710000000", "2025") == Decimal(8)  # the past keeps its own population


def test_a_population_dated_1_january_is_the_figure_of_the_year_before() -> None:
    assert stock_period_at(datetime.date(2026, 1, 1)) == Period.year(2025)
    assert stock_period_at(datetime.date(2025, 10, 1)) == Period.parse("2025-09")
    assert stock_period_at(datetime.date(2025, 3, 15)) == Period.parse("2025-03")
    for day in (datetime.date(2026, 1, 1), datetime.date(2025, 10, 1), datetime.date(2024, 6, 1)):
        assert stock_counted_on(stock_period_at(day)) == day


# --- the migration that moved Region.population into the values -----------------------


def move(*rows: tuple[int, int, datetime.date | None, str, datetime.datetime]) -> int:
    return moved.population_values_written(rows, value_model=Value, indicator_model=Indicator, region_model=Region)


def test_the_migration_writes_each_regions_population_as_a_value_of_its_date() -> None:
    astana, almaty = Region.objects.get(kato="710000000"), Region.objects.get(kato="750000000")
    changed = datetime.datetime(2025, 7, 3, 9, 0, tzinfo=datetime.UTC)
    source = "Bureau of National Statistics, resident population on 1 January 2026"

    assert (
        move((astana.pk, 1638233, datetime.date(2026, 1, 1), source, changed), (almaty.pk, 2300000, None, "", changed))
        == 2
    )

    value = Value.objects.get(indicator__code="population", region=astana)
    assert (value.period, value.value, value.comment) == (Period.year(2025), 1638233, source)
    # As the region admin let the office edit it: by hand, approved, not an official import.
    assert (value.source, value.approval_state, value.is_official) == (
        ValueSource.MANUAL,
        ApprovalState.APPROVED,
        False,
    )
    undated = Value.objects.get(indicator__code="population", region=almaty)
    assert undated.period == Period.parse("2025-07")  # the day the region was last saved


def test_the_migration_keeps_a_value_already_there_for_the_key() -> None:
    astana = Region.objects.get(kato="710000000")
    ValueFactory(kpi="population", kato="710000000", period="2025", value=1_600_000)
    changed = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)

    assert move((astana.pk, 1638233, datetime.date(2026, 1, 1), "", changed)) == 0
    assert list(Value.objects.filter(indicator__code="population").values_list("value", flat=True)) == [1_600_000]


def test_the_migration_moves_no_population_outside_the_regions_life() -> None:
    gone = RegionFactory(valid_to=datetime.date(2022, 6, 7))
    changed = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)

    assert move((gone.pk, 1000, datetime.date(2026, 1, 1), "", changed)) == 0


# --- one place to edit it ----------------------------------------------------------------


def test_the_region_admin_points_to_the_kpi_values_instead_of_holding_a_population(client, office) -> None:
    office.is_superuser = True
    office.save()
    client.force_login(office)
    astana = Region.objects.get(kato="710000000")

    page = client.get(f"/admin/regions/region/{astana.pk}/change/").content.decode()

    assert 'name="population' not in page
    population = kpi_of_role(KpiRole.POPULATION)
    assert population is not None
    assert f"/admin/initiatives/value/?indicator__id__exact={population.pk}&amp;q=710000000" in page
    assert "none recorded" in page  # no population value yet

    value_set(
        indicator=population,
        region=astana,
        period=Period.year(2025),
        value=Decimal(1638233),
        source=ValueSource.MANUAL,
        user=office,
        approved=True,
    )
    page = client.get(f"/admin/regions/region/{astana.pk}/change/").content.decode()

    assert "1\xa0638\xa0233 on 01.01.2026" in page


# PostgreSQL: going back to before the move puts the columns back, and SQLite rebuilds the
# regions' table for that, which it refuses while the values' triggers name the table.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_upgrading_moves_each_regions_population_into_a_value_and_drops_the_columns(reference_data) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("regions", "0002_first_level_regions"), ("initiatives", "0035_indicator_roles_from_catalogue")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_region = executor.loader.project_state(before).apps.get_model("regions", "Region")
    old_region.objects.filter(kato="710000000").update(
        population=1638233, population_as_of=datetime.date(2026, 1, 1), population_source="BNS, 1 January 2026"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    value = Value.objects.get(indicator__code="population", region__kato="710000000")
    assert (value.period, value.value, value.comment) == (Period.year(2025), 1638233, "BNS, 1 January 2026")
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "regions_region")}
    assert not {"population", "population_as_of", "population_source"} & columns
