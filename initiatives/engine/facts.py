"""Fetching what the engine computes from: approved values and the region tree, in a
fixed number of queries whatever the size of the tree or the span."""

from collections.abc import Iterable

from regions.kato import kato_prefix
from regions.models import Region

from ..models import ApprovalState, Indicator, Value
from ..periods import Month, Period
from .aggregation import Fact, FactBook, RegionNode, Rules


def rules_of(indicator: Indicator) -> Rules:
    """The KPI's aggregation rules, with its formula's sides (fetched by the caller)."""
    numerator = rules_of(indicator.numerator) if indicator.numerator else None
    denominator = rules_of(indicator.denominator) if indicator.denominator else None
    return Rules(
        id=indicator.pk,
        code=indicator.code,
        aggregation_time=indicator.aggregation_time,
        aggregation_regions=indicator.aggregation_regions,
        numerator=numerator,
        denominator=denominator,
        factor=indicator.factor,
    )


def indicator_ids(rules: Iterable[Rules]) -> set[int]:
    out: set[int] = set()
    for r in rules:
        out.add(r.id)
        if r.numerator and r.denominator:
            out |= indicator_ids([r.numerator, r.denominator])
    return out


def _month(day: object) -> int | None:
    return Month.from_date(day).index if day else None  # type: ignore[arg-type]


def load_fact_book(*, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month) -> FactBook:
    """Approved values of these KPIs (and their formulas' sides) for `region` and
    everything below it (None: the whole country), for periods that touch
    earliest..latest; and the region tree down to the deepest level holding a value."""
    ids = indicator_ids(rules)
    values = Value.objects.filter(
        indicator_id__in=ids,
        approval_state=ApprovalState.APPROVED,
        period_start__lte=latest.first_day,
        period_end__gte=earliest.first_day,
    )
    if region is not None:
        values = values.filter(region__kato__startswith=kato_prefix(region.kato), region__level__gte=region.level)
    facts: dict[tuple[int, int], list[Fact]] = {}
    deepest = region.level if region is not None else 1
    for indicator_id, region_id, level, start, end, number in values.values_list(
        "indicator_id", "region_id", "region__level", "period_start", "period_end", "value"
    ):
        facts.setdefault((indicator_id, region_id), []).append(
            Fact(region_id, Month.from_date(start).index, Month.from_date(end).index, number)
        )
        deepest = max(deepest, level)

    tree = Region.objects.filter(level__lte=deepest)
    if region is not None:
        tree = tree.filter(kato__startswith=kato_prefix(region.kato), level__gte=region.level)
    nodes: dict[int, RegionNode] = {}
    children: dict[int | None, list[int]] = {}
    for pk, kato, parent_id, level, valid_from, valid_to in tree.order_by("kato").values_list(
        "pk", "kato", "parent_id", "level", "valid_from", "valid_to"
    ):
        nodes[pk] = RegionNode(pk, kato, parent_id, _month(valid_from), _month(valid_to))
        children.setdefault(None if level == 1 else parent_id, []).append(pk)
    return FactBook(facts=facts, regions=nodes, children=children)


def span_of(period_from: str, period_to: str | None = None) -> Period:
    """The span between two periods' first and last months, e.g. 2025-01 .. 2025-09."""
    first = Period.parse(period_from)
    last = Period.parse(period_to) if period_to else first
    return Period(first.start, last.end)
