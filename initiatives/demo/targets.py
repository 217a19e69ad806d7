"""Demo targets of this year: fewer registered offences, more alcohol-free settlements, and
one for each KPI coordinators report, so the portal shows one beside each."""

from decimal import Decimal

from django.db.models import Sum

from regions.models import Region

from ..models import Direction, Indicator, IndicatorSource, Target, Value
from ..periods import Period
from .statistics import last_month


def reported_kpi_targets(regions: list[Region], year: int) -> None:
    """Every KPI coordinators report has a target for this year in every region: a tenth
    better than last year's total there, or one a month where the region has no history."""
    for indicator in Indicator.objects.active().filter(source=IndicatorSource.COORDINATOR_REPORTS):
        last_year = dict(
            Value.objects.filter(indicator=indicator, region__in=regions)
            .within_span(Period.year(year - 1))
            .order_by()
            .values_list("region_id")
            .annotate(total=Sum("value"))
        )
        better = Decimal("1.1") if indicator.direction == Direction.HIGHER_IS_BETTER else Decimal("0.9")
        for region in regions:
            baseline = last_year.get(region.pk)
            Target.objects.get_or_create(
                indicator=indicator,
                region=region,
                year=year,
                defaults={
                    "baseline_value": baseline,
                    "baseline_year": year - 1 if baseline is not None else None,
                    "target_value": round(baseline * better) if baseline else 12,
                },
            )


def _targets(regions: list[Region]) -> None:
    """Targets for this year (that of the last month that is over): 5% fewer registered
    offences than the year before, region by region and nationally; and a national target
    for alcohol-free settlements."""
    year = last_month().year
    registered = Indicator.objects.get(code="crime.registered")
    totals: dict[Region | None, Decimal] = {}
    for region in regions:
        values = Value.objects.filter(indicator=registered, region=region).within_span(Period.year(year - 1))
        totals[region] = sum((v.value for v in values), Decimal(0))
    totals[None] = sum(totals.values(), Decimal(0))
    for target_region, baseline in totals.items():
        Target.objects.get_or_create(
            indicator=registered,
            region=target_region,
            year=year,
            defaults={
                "baseline_value": baseline,
                "baseline_year": year - 1,
                "target_value": round(baseline * Decimal("0.95")),
            },
        )
    Target.objects.get_or_create(
        indicator=Indicator.objects.get(code="settlements.alcohol_free"),
        region=None,
        year=year,
        defaults={"target_value": 600, "note": "Hundreds of settlements, growing every month."},
    )
    reported_kpi_targets(regions, year)
