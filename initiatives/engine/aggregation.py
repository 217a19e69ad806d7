"""How a KPI's values add up, over a span of months and across the region tree.

Pure computation over facts already in memory: the caller fetches every value it may
need in one query (`facts.py`), and nothing here touches the database.

Over time, by the KPI's rule:
- sum (flows): a value whose period is exactly the span, or else values that tile the
  span exactly, the finest tiling first; never two values for the same month.
- last (stocks): the value in force in the span's last month (the shortest period that
  contains it).
- none: only a value for exactly the span.
Across regions: a region's own figure when it is complete, or else the sum of its
children when the KPI adds up across regions. Formula KPIs are evaluated after both
sides are aggregated: a ratio of sums, never a sum of ratios.

Whatever cannot be computed fully is reported incomplete, with what is missing; its
value is then None (the partial sum is offered separately, never in its place).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..periods import Month, Period

# How far back a stock's last known value is carried forward.
STOCK_CARRY_MONTHS = 12


@dataclass(frozen=True)
class Fact:
    """One approved value, as the engine sees it: months as indices, no model."""

    region_id: int
    start: int
    end: int
    value: Decimal

    @property
    def months(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Gap:
    """Something missing from a figure: which KPI, region and months, and why."""

    kpi: str
    region: str
    period: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kpi": self.kpi, "region": self.region, "period": self.period, "reason": self.reason}


@dataclass
class Figure:
    value: Decimal | None
    complete: bool
    method: str
    missing: list[Gap] = field(default_factory=list)
    # What is there when the figure is incomplete: a lower bound for sums, never the answer.
    partial_value: Decimal | None = None
    # A stock read from a value older than the span's end (so not yet an actual figure).
    carried_forward: bool = False


@dataclass(frozen=True)
class RegionNode:
    id: int
    kato: str
    parent_id: int | None
    valid_from_month: int | None
    valid_to_month: int | None

    def exists_during(self, span: Period) -> bool:
        return self.clip(span) is not None

    def clip(self, span: Period) -> Period | None:
        """The months of `span` in which this unit existed (for part of the month at least)."""
        first, last = span.start.index, span.end.index
        start = first if self.valid_from_month is None else max(first, self.valid_from_month)
        end = last if self.valid_to_month is None else min(last, self.valid_to_month)
        if start > end:
            return None
        if start == first and end == last:
            return span  # the common case: the unit lived through the span
        return Period(Month.from_index(start), Month.from_index(end))


@dataclass(frozen=True)
class Rules:
    """What the engine needs to know of a KPI."""

    id: int
    code: str
    aggregation_time: str
    aggregation_regions: str
    numerator: "Rules | None" = None
    denominator: "Rules | None" = None
    factor: Decimal | None = None
    is_population: bool = False  # the KPI of the catalogue's population role

    @property
    def is_formula(self) -> bool:
        return self.numerator is not None and self.denominator is not None


def month_ranges(months: Iterable[int]) -> list[str]:
    """[2025-03, 2025-04, 2025-07] -> ["2025-03/2025-04", "2025-07"]: gaps people can read."""
    ordered = sorted(set(months))
    out: list[str] = []
    run_start = prev = None
    for m in ordered:
        if run_start is None:
            run_start = prev = m
        elif prev is not None and m == prev + 1:
            prev = m
        else:
            out.append(str(Period(Month.from_index(run_start), Month.from_index(prev))))  # type: ignore[arg-type]
            run_start = prev = m
    if run_start is not None:
        out.append(str(Period(Month.from_index(run_start), Month.from_index(prev))))  # type: ignore[arg-type]
    return out


def finest_tiling(facts: Sequence[Fact], span: Period) -> list[Fact] | None:
    """The facts that cover `span` exactly, month after month with no overlap, using as
    many (so as fine) pieces as possible; None when no such cover exists."""
    start, end = span.start.index, span.end.index
    inside = sorted((f for f in facts if start <= f.start and f.end <= end), key=lambda f: (f.start, f.end))
    by_start: dict[int, list[Fact]] = {}
    for f in inside:
        by_start.setdefault(f.start, []).append(f)
    # best[m] = (pieces, chosen facts) of the finest cover of months start..m-1.
    best: dict[int, tuple[int, list[Fact]]] = {start: (0, [])}
    for month in range(start, end + 1):
        if month not in best:
            continue
        pieces, chosen = best[month]
        for f in by_start.get(month, []):
            nxt = f.end + 1
            if nxt not in best or best[nxt][0] < pieces + 1:
                best[nxt] = (pieces + 1, [*chosen, f])
    return best[end + 1][1] if end + 1 in best else None


def latest_stock(facts: Sequence[Fact], span: Period) -> Fact | None:
    """A stock's value as at the end of `span`: the value whose period ends last, in the
    span's last month or before it, but not more than STOCK_CARRY_MONTHS before (a stock
    is read as at the end of its period; older figures are too stale to carry forward).
    On a tie, the shortest period (the most specific figure)."""
    end = span.end.index
    candidates = [f for f in facts if end - STOCK_CARRY_MONTHS < f.end <= end]
    return max(candidates, key=lambda f: (f.end, -f.months)) if candidates else None


def over_time(
    facts: Sequence[Fact],
    span: Period,
    rule: str,
    kato: str,
    code: str,
    lived: Period | None = None,
    describe: bool = True,
) -> Figure:
    """A region's own figure for `span` from its own facts, by the KPI's time rule.

    `lived` is the part of the span in which the region existed, when it was created or
    abolished inside the span: flows then add up over those months only. `describe`
    False skips saying what is missing from an incomplete flow (the caller will sum the
    children instead, and asks again only if it must show this figure).
    """
    exact = next((f for f in facts if f.start == span.start.index and f.end == span.end.index), None)
    if rule == "last":
        stock = latest_stock(facts, span)
        if stock is not None:
            as_at = Month.from_index(stock.end)
            carried = "" if stock.end == span.end.index else f", carried forward to {span.end}"
            return Figure(stock.value, True, f"value as at the end of {as_at}{carried}", carried_forward=bool(carried))
        return Figure(
            None,
            False,
            "no value",
            [
                Gap(
                    code,
                    kato,
                    str(span.end),
                    f"no value as at the end of {span.end} or in the {STOCK_CARRY_MONTHS} months before",
                )
            ],
        )
    if exact is not None:
        return Figure(exact.value, True, f"value for exactly {span}")
    if lived is not None and lived != span:
        exact_lived = next((f for f in facts if f.start == lived.start.index and f.end == lived.end.index), None)
        if exact_lived is not None:
            return Figure(exact_lived.value, True, f"value for exactly {lived}, the months the unit existed")
        span = lived
    if rule != "sum":
        return Figure(
            None,
            False,
            "no value",
            [Gap(code, kato, str(span), "does not add up over time; a value for exactly this span is needed")],
        )
    tiling = finest_tiling(facts, span)
    if tiling is not None:
        return Figure(sum((f.value for f in tiling), Decimal(0)), True, f"sum of {len(tiling)} values tiling {span}")
    if not describe:
        return Figure(None, False, "incomplete")
    inside = [f for f in facts if span.start.index <= f.start and f.end <= span.end.index]
    covered = {m for f in inside for m in range(f.start, f.end + 1)}
    missing = [m for m in range(span.start.index, span.end.index + 1) if m not in covered]
    gaps = [Gap(code, kato, p, "no value") for p in month_ranges(missing)]
    if not gaps:
        gaps = [Gap(code, kato, str(span), "the values overlap and do not tile the span")]
    disjoint = sum(f.months for f in inside) == len(covered)
    partial = sum((f.value for f in inside), Decimal(0)) if inside and disjoint else None
    return Figure(None, False, "incomplete", gaps, partial)


@dataclass
class FactBook:
    """Every fact and region a computation may need, fetched once.

    The engine asks its book, never its dicts: a book read from the database's rollups
    (`facts.RollupBook`) answers the same questions, fetching as it goes, and can answer
    "the sum of the children" from the rollups' sums and counts (`children_sum`).
    """

    facts: dict[tuple[int, int], list[Fact]]  # (indicator id, region id) -> facts
    regions: dict[int, RegionNode]
    children: dict[int | None, list[int]]  # parent id (None: the nation) -> child ids
    _has_any: dict[tuple[int, int], bool] = field(default_factory=dict, repr=False)

    def own(self, rules: Rules, region_id: int) -> list[Fact]:
        return self.facts.get((rules.id, region_id), [])

    def node(self, region_id: int) -> RegionNode:
        return self.regions[region_id]

    def children_during(self, region_id: int | None, span: Period) -> list[RegionNode]:
        return [self.regions[c] for c in self.children.get(region_id, []) if self.regions[c].exists_during(span)]

    def has_any(self, rules: Rules, region_id: int) -> bool:
        """Does this region or anything below it hold a fact of this KPI?"""
        key = (rules.id, region_id)
        if key not in self._has_any:
            self._has_any[key] = bool(self.facts.get(key)) or any(
                self.has_any(rules, c) for c in self.children.get(region_id, [])
            )
        return self._has_any[key]

    def children_sum(self, rules: Rules, region_id: int | None, span: Period) -> Figure | None:
        """The figure the children add up to, when the book knows it without computing
        each child (complete, or incomplete with what is missing, as `figure` would make
        it); None: compute them one by one."""
        return None

    def surely_incomplete(self, rules: Rules, region_id: int | None, span: Period) -> bool:
        """True only when the figure is known to be incomplete without computing it."""
        return False


def children_method(kato: str | None, count: int) -> str:
    return f"sum of {count} units below {kato}" if kato is not None else f"sum of {count} regions"


def figure(book: FactBook, rules: Rules, region_id: int | None, span: Period) -> Figure:
    """The KPI's figure for a region (None: the whole country) over `span`."""
    if rules.is_formula:
        return _formula(book, rules, region_id, span)
    if region_id is not None:
        node = book.node(region_id)
        facts, lived = book.own(rules, region_id), node.clip(span)
        summing = rules.aggregation_regions == "sum"
        # When the children may stand in, what the region itself lacks is not worth telling.
        own = over_time(facts, span, rules.aggregation_time, node.kato, rules.code, lived=lived, describe=not summing)
        if own.complete or not summing:
            return own
        summed = book.children_sum(rules, region_id, span)
        if summed is not None:
            return summed
        children = book.children_during(region_id, span)
        if not children or not any(book.has_any(rules, c.id) for c in children):
            return over_time(facts, span, rules.aggregation_time, node.kato, rules.code, lived=lived)
        return _sum_of(book, rules, children, span, children_method(node.kato, len(children)))
    if rules.aggregation_regions != "sum":
        return Figure(None, False, "no value", [Gap(rules.code, "KZ", str(span), "does not add up across regions")])
    summed = book.children_sum(rules, None, span)
    if summed is not None:
        return summed
    children = book.children_during(None, span)
    return _sum_of(book, rules, children, span, children_method(None, len(children)))


def _sum_of(book: FactBook, rules: Rules, children: list[RegionNode], span: Period, method: str) -> Figure:
    parts = [figure(book, rules, c.id, span) for c in children]
    missing = [gap for p in parts for gap in p.missing]
    if all(p.complete for p in parts):
        total = sum((p.value for p in parts if p.value is not None), Decimal(0))
        return Figure(total, True, method, carried_forward=any(p.carried_forward for p in parts))
    known = [p.value if p.complete else p.partial_value for p in parts]
    partial = sum((v for v in known if v is not None), Decimal(0)) if any(v is not None for v in known) else None
    return Figure(None, False, method, missing, partial)


def _formula(book: FactBook, rules: Rules, region_id: int | None, span: Period) -> Figure:
    assert rules.numerator is not None and rules.denominator is not None and rules.factor is not None
    top = figure(book, rules.numerator, region_id, span)
    bottom = figure(book, rules.denominator, region_id, span)
    method = f"{rules.numerator.code} / {rules.denominator.code} x {rules.factor.normalize():f}"
    if not (top.complete and bottom.complete):
        return Figure(None, False, method, top.missing + bottom.missing)
    assert top.value is not None and bottom.value is not None
    if bottom.value == 0:
        where = book.node(region_id).kato if region_id is not None else "KZ"
        return Figure(
            None, False, method, [Gap(rules.denominator.code, where, str(span), "zero: the ratio has no value")]
        )
    return Figure(
        top.value / bottom.value * rules.factor,
        True,
        method,
        carried_forward=top.carried_forward or bottom.carried_forward,
    )
