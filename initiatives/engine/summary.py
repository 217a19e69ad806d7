"""The KPI summary a minister may quote: the value over a span, the same span a year
before, the change in %, the rate per 10,000 people, the target with a traffic light,
a year-end estimate labelled as such, completeness, and the breakdown by child regions.

Everything is computed from approved values at the moment of asking, so a corrected
value changes every summary that uses it.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext

from projectoffice.numbers import rounded
from regions.models import Region

from ..models import Direction, Indicator, KpiRole, Target, Unit
from ..periods import Month, Period
from .aggregation import FactBook, Figure, Gap, Rules, figure
from .asof import AsOfBook, load_fact_book_as_of
from .facts import RollupBook, load_fact_book, rules_of

RATE_FACTOR = Decimal(10_000)
# A figure within this share of its target (on the wrong side) is "at risk", beyond it "off track".
AT_RISK_TOLERANCE = Decimal("0.05")


class Status:
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_TARGET = "no_target"
    UNKNOWN = "unknown"


def percent_change(now: Decimal, before: Decimal) -> Decimal | None:
    """The change from `before` to `now` in % to one decimal; None when `before` is 0."""
    return rounded((now - before) / before * 100, 1) if before else None


def change_percent(current: Figure, previous: Figure) -> tuple[Decimal | None, str | None]:
    """(change in % to one decimal, or None with the reason)."""
    if not (current.complete and previous.complete):
        return None, "incomplete"
    assert current.value is not None and previous.value is not None
    if previous.value == 0:
        return None, "zero a year before: no base for a percentage"
    return percent_change(current.value, previous.value), None


def traffic_light(direction: str, estimate: Decimal | None, target: Decimal | None) -> str:
    if target is None:
        return Status.NO_TARGET
    if estimate is None or target == 0:
        return Status.UNKNOWN
    ratio = estimate / target
    if direction == Direction.LOWER_IS_BETTER:
        if ratio <= 1:
            return Status.ON_TRACK
        return Status.AT_RISK if ratio <= 1 + AT_RISK_TOLERANCE else Status.OFF_TRACK
    if ratio >= 1:
        return Status.ON_TRACK
    return Status.AT_RISK if ratio >= 1 - AT_RISK_TOLERANCE else Status.OFF_TRACK


@dataclass
class Estimate:
    value: Decimal | None
    method: str
    is_estimate: bool = True


def year_end_estimate(book: FactBook, rules: Rules, region_id: int | None, span: Period) -> Estimate:
    """The figure for the whole year of `span`'s end: the actual one when the year's
    figure is complete, else an estimate from what is known.

    Flows: this year's year-to-date scaled by last year's seasonal shape (the share of
    last year's total that fell in the same months), or linearly when last year is
    incomplete; never below the year-to-date already counted. Stocks: the latest value
    carried forward. Formulas: the estimate of each side, then the formula.
    """
    year = span.end.year
    if not book.surely_incomplete(rules, region_id, Period.year(year)):
        actual = figure(book, rules, region_id, Period.year(year))
        if actual.complete and not actual.carried_forward:
            return Estimate(actual.value, f"actual figure for {year}", is_estimate=False)
    if rules.is_formula:
        assert rules.numerator and rules.denominator and rules.factor is not None
        top = year_end_estimate(book, rules.numerator, region_id, span)
        bottom = year_end_estimate(book, rules.denominator, region_id, span)
        if top.value is None or not bottom.value:
            return Estimate(None, "an estimate of either side is missing")
        return Estimate(top.value / bottom.value * rules.factor, f"({top.method}) / ({bottom.method})")
    ytd = Period(Month(year, 1), span.end)
    now = figure(book, rules, region_id, ytd)
    if not now.complete or now.value is None:
        return Estimate(None, f"year to date {ytd} is incomplete")
    if rules.aggregation_time == "last":
        return Estimate(now.value, f"latest value ({now.method}) carried forward to the end of {year}")
    last_same = figure(book, rules, region_id, ytd.year_before())
    last_full = figure(book, rules, region_id, Period.year(year - 1))
    if last_same.complete and last_full.complete and last_same.value and last_full.value:
        share = last_same.value / last_full.value
        if 0 < share <= 1:
            percent = rounded(share * 100, 1)
            return Estimate(
                now.value / share,
                f"year to date {ytd} scaled by {year - 1}'s seasonal shape "
                f"({percent}% of {year - 1} fell in the same months)",
            )
    return Estimate(now.value * 12 / ytd.months, f"year to date {ytd} extended linearly ({year - 1} not usable)")


@dataclass
class RegionFigures:
    kato: str | None
    name: str
    value: Figure
    previous: Figure
    change_percent: Decimal | None
    change_note: str | None
    rate_per_10k: Figure | None
    population: Figure | None
    # Filled for the breakdown's regions: each one's own target and traffic light.
    target: Decimal | None = None
    status: str = "no_target"


@dataclass
class Summary:
    indicator: Indicator
    region: Region | None
    span: Period
    previous_span: Period
    own: RegionFigures
    target: Target | None
    estimate: Estimate | None
    status: str
    breakdown: list[RegionFigures] = field(default_factory=list)
    # The moment the figures are as of (committed by then); None: as they stand now.
    as_of: datetime.datetime | None = None
    # The code of the population KPI the rate divides by (its gaps are said as such).
    population: str | None = None


def summary_window(span: Period) -> tuple[Month, Month]:
    """The months a summary of `span` reads: enough history for the comparison and for
    last year's seasonal shape, and through December, so that a closed year is judged by
    its actual figure."""
    return min(span.year_before().start, Month(span.end.year - 1, 1)), Month(span.end.year, 12)


def summary_rules(rules: Rules) -> list[Rules]:
    """What a summary of the KPI computes from: the KPI and population (for the rate)."""
    population = Indicator.objects.with_role(KpiRole.POPULATION).first()
    return [rules, *([rules_of(population)] if population else [])]


def kpi_summary(
    *,
    indicator: Indicator,
    region: Region | None,
    span: Period,
    compare: bool = True,
    from_values: bool = False,
    lend_book: Callable[[Month, Month], FactBook] | None = None,
    as_of: datetime.datetime | None = None,
) -> Summary:
    """The summary of brief section 5, national when `region` is None.

    Read from the rollups; `from_values` reads every value instead (the reference the
    rollups are checked against: the same figures, slower). `lend_book` lends a book the
    caller reads more from (the dashboard): one holding `summary_rules` for `region`
    over the months it is given. `as_of`: from the values as committed by that moment
    (`asof.py`); targets, regions and KPIs as they are today."""
    indicator = Indicator.objects.select_related("numerator", "denominator").get(pk=indicator.pk)
    rules, *rest = summary_rules(rules_of(indicator))
    population_rules = rest[0] if rest else None
    # Not `Indicator.has_rate_per_10k`, on purpose: the API's summary gives the rate of any
    # count where the population is known (its contract); the pages and releases show it
    # only where it means something (`has_rate_per_10k`, offences) and read it from here.
    # A KPI in people (the population itself is one) gets no rate here although
    # `has_rate_per_10k` allows an offence counted in people: no KPI of the catalogue is
    # one, and giving it a rate would change what the API answers.
    with_rate = indicator.unit == Unit.COUNT and population_rules is not None and not rules.is_population

    previous_span = span.year_before()
    earliest, latest = summary_window(span)
    all_rules = [rules, *rest]
    book: FactBook
    if as_of is not None:
        book = (
            load_fact_book_as_of(rules=all_rules, region=region, earliest=earliest, latest=latest, as_of=as_of)
            if from_values
            else AsOfBook(rules=all_rules, region=region, earliest=earliest, latest=latest, as_of=as_of)
        )
    elif lend_book is not None:
        book = lend_book(earliest, latest)
    elif from_values:
        book = load_fact_book(rules=all_rules, region=region, earliest=earliest, latest=latest)
    else:
        book = RollupBook(rules=all_rules, region=region, earliest=earliest, latest=latest)

    def figures_for(region_id: int | None, kato: str | None, name: str) -> RegionFigures:
        value = figure(book, rules, region_id, span)
        previous = figure(book, rules, region_id, previous_span)
        change, note = change_percent(value, previous) if compare else (None, None)
        rate = people = None
        if with_rate and population_rules is not None:
            people = figure(book, population_rules, region_id, span)
            if value.complete and people.complete and people.value:
                assert value.value is not None
                rate = Figure(value.value / people.value * RATE_FACTOR, True, f"{indicator.code} / population x 10000")
            else:
                gaps = value.missing + people.missing
                if people.complete and not people.value:
                    gaps.append(Gap(population_rules.code, kato or "KZ", str(span), "zero: no rate per 10,000"))
                rate = Figure(None, False, "rate per 10,000", gaps)
        return RegionFigures(kato, name, value, previous, change, note, rate, people)

    region_id = region.pk if region is not None else None
    own = figures_for(region_id, region.kato if region else None, str(region) if region else gettext("Kazakhstan"))

    children = book.children_during(region_id, span)
    names = {r.pk: str(r) for r in Region.objects.filter(pk__in=[c.id for c in children])}
    breakdown = [figures_for(c.id, c.kato, names[c.id]) for c in children]
    child_targets = dict(
        Target.objects.filter(
            indicator=indicator, year=span.end.year, region_id__in=[c.id for c in children]
        ).values_list("region_id", "target_value")
    )
    for child, row in zip(children, breakdown, strict=True):
        row.target = child_targets.get(child.id)
        if row.target is not None:
            row.status = traffic_light(
                indicator.direction, year_end_estimate(book, rules, child.id, span).value, row.target
            )

    target = (
        Target.objects.filter(indicator=indicator, region=region, year=span.end.year).first()
        if region is not None
        else Target.objects.filter(indicator=indicator, region__isnull=True, year=span.end.year).first()
    )
    estimate = year_end_estimate(book, rules, region_id, span)
    status = traffic_light(indicator.direction, estimate.value, target.target_value if target else None)
    population = population_rules.code if population_rules is not None else None
    return Summary(indicator, region, span, previous_span, own, target, estimate, status, breakdown, as_of, population)
