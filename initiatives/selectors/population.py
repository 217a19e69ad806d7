"""Population: the values of the KPI whose catalogue role is population, the one place it
is kept (dated, so a rate of a past year divides by the population of that year; edited in
the admin's KPI values). A region has no population of its own."""

import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from regions.models import Region

from ..models import KpiRole, Value
from ..periods import Month, Period, stock_counted_on
from .kpi_roles import kpis_of_role


def regions_with_population(regions: QuerySet[Region]) -> QuerySet[Region]:
    """`regions`, each with its latest approved population (`population`, None without
    one) and the last month of that value's period (`population_period_end`): two
    subqueries in the same query, none per region."""
    latest = (
        Value.objects.approved()
        .filter(region=OuterRef("pk"), indicator__in=kpis_of_role(KpiRole.POPULATION))
        .order_by("-period_end", "-period_start")  # the latest; on a tie the shortest period
    )
    return regions.annotate(
        population=Subquery(latest.values("value")[:1]),
        population_period_end=Subquery(latest.values("period_end")[:1]),
    )


def population_counted_on(period_end: datetime.date) -> datetime.date:
    """The date a population value whose period ends in the month of `period_end` stands
    at: the day after the period (the population of 2025 is the count of 1 January 2026)."""
    month = Month.from_date(period_end)
    return stock_counted_on(Period(month, month))
