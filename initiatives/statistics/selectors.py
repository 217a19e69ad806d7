"""What a pre-filled statistics template holds: one row per statistics KPI and per unit
of a region (the region itself and its districts), with last year's and last period's
figures beside, for the person who fills in the `value` column (issue 18)."""

from decimal import Decimal

from django.db.models import Q

from regions.models import Region

from ..engine.aggregation import figure
from ..engine.facts import load_fact_book, rules_of
from ..models import Indicator, IndicatorSource
from ..periods import Period
from .template import StatisticsTemplate, TemplateRow


def previous_period(period: Period) -> Period:
    """The period before: the month, quarter, half-year or year before; for a
    year-to-date range (January to a month) the year-to-date one month shorter, as form
    1-M publishes them; for any other range the as many months right before it."""
    if period.kind == "range" and period.start.month == 1 and period.start.year == period.end.year:
        return Period(period.start, period.end.plus(-1))
    return period.shifted(-period.months)


def template_units(region: Region, period: Period) -> list[Region]:
    """The region and its districts (the units one level below) that exist during the
    period: what the import accepts."""
    units = Region.objects.filter(Q(pk=region.pk) | Q(parent=region, level=region.level + 1)).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=period.last_day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.first_day),
    )
    return sorted(units, key=lambda unit: (unit.level, unit.kato))


def template_indicators() -> list[Indicator]:
    """The KPIs the statistics import brings in: their source is the import, not a formula."""
    return list(
        Indicator.objects.filter(source=IndicatorSource.LEGAL_STATISTICS, is_active=True, numerator__isnull=True)
        .select_related("numerator", "denominator")
        .order_by("code")
    )


def statistics_template_read(*, region: Region, period: Period) -> StatisticsTemplate:
    """The template's rows with their reference figures, computed by the engine the
    summaries use (a figure incomplete for its span is left empty, never under-counted)."""
    units = template_units(region, period)
    indicators = template_indicators()
    last_year, last_period = period.year_before(), previous_period(period)
    rules = {indicator.pk: rules_of(indicator) for indicator in indicators}
    book = load_fact_book(
        rules=rules.values(),
        region=region,
        earliest=min(last_year.start, last_period.start),
        latest=max(last_year.end, last_period.end),
    )

    def known(rule_id: int, unit: Region, span: Period) -> Decimal | None:
        if unit.pk not in book.regions:
            return None
        found = figure(book, rules[rule_id], unit.pk, span)
        return found.value if found.complete else None

    rows = [
        TemplateRow(
            kato=unit.kato,
            region_name=unit.name,
            indicator=indicator.code,
            indicator_name=indicator.name,
            last_year=known(indicator.pk, unit, last_year),
            last_period=known(indicator.pk, unit, last_period),
        )
        for unit in units
        for indicator in indicators
    ]
    return StatisticsTemplate(
        region=region,
        period=period,
        last_year=last_year,
        last_period=last_period,
        rows=rows,
        region_codes=[unit.kato for unit in units],
        indicator_codes=[indicator.code for indicator in indicators],
    )
