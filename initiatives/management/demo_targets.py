"""Demo targets for the KPIs coordinators report, so the portal shows one beside each."""

from decimal import Decimal

from django.db.models import Sum

from regions.models import Region

from ..models import Direction, Indicator, IndicatorSource, Target, Value
from ..periods import Period


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
