"""Fetching what the engine computes from: approved values and the region tree.

`load_fact_book` reads every value a computation may need, in a fixed number of queries:
the reference, and what `check_rollups` compares against. `RollupBook` reads the
rollups the database keeps, and only the values a figure cannot do without.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from regions.kato import kato_prefix
from regions.models import Region

from ..models import NATION, Indicator, KpiRole, Rollup, Value
from ..periods import Month, Period
from .aggregation import Fact, FactBook, Figure, RegionNode, Rules, children_method, figure, over_time


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
        is_population=indicator.has_role(KpiRole.POPULATION),
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
    values = Value.objects.approved().filter(
        indicator_id__in=ids,
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


@dataclass(frozen=True)
class Cell:
    """A rollup row: the sum and count of approved values `depth` levels below a region."""

    depth: int
    level: int
    first: int
    last: int
    total: Decimal
    n: int


# A kind of child: (level, valid from month, valid to month, how many such children).
Shape = tuple[int, int | None, int | None, int]
Span = tuple[int, int]  # first and last month (indices)
# One KPI's cells at one ancestor and depth: monthly (total, count) by month, and every span.
Indexed = tuple[dict[int, tuple[Decimal, int]], set[Span]]


class RollupBook(FactBook):
    """A fact book read from the rollups, fetched as the computation walks down the tree.

    A region's own values come from the values table (few: its own series); what lies
    below it comes from the rollups (`initiatives/models/rollups.py`) whenever their
    counts prove the sum of the children complete, so a national figure over district
    data reads a few hundred rollup rows, not the district values. Where they do not, a
    gap is described from the counts too: a region with nothing below it for a KPI is
    its own figure (no child is fetched); a region whose children report month by month
    has the children that lack a month of the span (or were created or abolished inside
    it) found by one grouped query, and only those are fetched and computed, for that
    KPI only; the others add up to the rollups' total less theirs. Anything else (a
    stock, a value for part of the span below, grandchildren) fetches the children and
    computes them one by one, as the in-memory book would: the figures, and what they
    say is missing, are the same either way.
    """

    # Whether gaps are told from the counts (False: the children are walked one by one,
    # as before; the tests compare both). The children lacking a month are found by
    # counting today's values only where the book reads today's (`_counts_current`).
    counts_children = True

    def __init__(self, *, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month) -> None:
        super().__init__(facts={}, regions={}, children={})
        self.ids = sorted(indicator_ids(rules))
        # The region asked about: its children are read anyway (a summary's breakdown).
        self.asked = region.pk if region is not None else None
        self.earliest, self.latest = earliest, latest
        self.cells: dict[tuple[int, int], list[Cell]] = {}  # (indicator id, ancestor id) -> cells
        self.index: dict[tuple[int, int, int], Indexed] = {}
        # parent (None: the nation) -> [(level, valid from month, valid to month, how many children)]
        self.shapes: dict[int | None, list[Shape]] = {}
        # first-level region -> ((valid from month, valid to month), its children's shapes);
        # fetched only when a national figure is tried from two levels down.
        self.region_shapes: dict[int, tuple[tuple[int | None, int | None], list[Shape]]] | None = None
        self.expanded: set[int | None] = set()
        # (KPI, region) whose own values and rollups are fetched: never twice.
        self.fetched: set[tuple[int, int]] = set()
        # (KPI, region, first month, last month) -> the children read for that figure.
        self.short: dict[tuple[int, int, int, int], list[int]] = {}
        # The same key -> the figure of those children (None: they are walked).
        self.summed: dict[tuple[int, int, int, int], Figure | None] = {}
        # As the in-memory book: the tree stops at the deepest level holding a value.
        self.deepest = region.level if region is not None else 1
        if region is not None:
            self.regions[region.pk] = RegionNode(
                region.pk, region.kato, region.parent_id, _month(region.valid_from), _month(region.valid_to)
            )
            self._load([region.pk])
        else:
            self._load([], nation=True)
        root = _key(region.pk if region is not None else None)
        for (_indicator, ancestor), cells in self.cells.items():
            if ancestor == root:
                self.deepest = max([self.deepest, *(c.level for c in cells if c.n)])

    # What the engine asks.

    def children_during(self, region_id: int | None, span: Period) -> list[RegionNode]:
        if region_id not in self.expanded:
            self._expand(region_id)
        return super().children_during(region_id, span)

    def has_any(self, rules: Rules, region_id: int) -> bool:
        return bool(self.facts.get((rules.id, region_id))) or any(
            c.n for c in self.cells.get((rules.id, region_id), [])
        )

    def children_sum(self, rules: Rules, region_id: int | None, span: Period) -> Figure | None:
        """The figure the engine would make of the region's children, without walking
        them where the rollups' counts allow it (see the class's docstring). Complete when
        every child that exists for the whole span has a value for every month of it (at
        most one each: values are unique per month), and none has a value for exactly the
        span (which the engine would prefer to its months)."""
        if (
            self.counts_children
            and region_id is not None
            and not any(c.n for c in self.cells.get((rules.id, region_id), []))
        ):
            return self._own_described(rules, region_id, span)  # nothing below it: no child has any
        if rules.aggregation_time != "sum":
            return None
        full, partial = self._children_count(region_id, span)
        kato = self.node(region_id).kato if region_id is not None else None
        total = None
        if full and not partial:
            total = self._monthly_sum(rules, region_id, span, depth=1, expected=full)
            if total is None and region_id is None:
                total = self._regions_children_sum(rules, span, regions=full)
        if total is not None:
            return Figure(total, True, children_method(kato, full))
        if region_id is not None and region_id != self.asked and self._counts_current():
            # The engine asks a region's figure for a span more than once (the nation's
            # sum, the breakdown, the estimate): computed once, handed out as a copy.
            key = (rules.id, region_id, span.start.index, span.end.index)
            if key not in self.summed:
                self.summed[key] = self._short_children_sum(rules, region_id, span, full=full, partial=partial)
            found = self.summed[key]
            return replace(found, missing=list(found.missing)) if found is not None else None
        return None

    def _own_described(self, rules: Rules, region_id: int, span: Period) -> Figure:
        """The region's own figure, saying what it lacks: what the engine gives a region
        none of whose children has a value (`aggregation.figure`)."""
        node = self.node(region_id)
        facts = self.own(rules, region_id)
        return over_time(facts, span, rules.aggregation_time, node.kato, rules.code, lived=node.clip(span))

    def _counts_current(self) -> bool:
        """Today's values table counts what this book sees: not when a subclass changes
        what `_load` gives (the figures as of a moment)."""
        return self.counts_children and type(self)._load is RollupBook._load

    def _short_children_sum(
        self, rules: Rules, region_id: int, span: Period, *, full: int, partial: int
    ) -> Figure | None:
        """The sum of a region's children, complete or not, as `aggregation._sum_of`
        makes it, when they report month by month (no value for more than a month inside
        the span, no grandchild with a value): the children missing a month of the span,
        and those living only part of it, are found by one grouped query and computed
        from their values (this KPI's only); the others, each complete, add up to the
        rollups' monthly totals less what those read hold. None: walk the children."""
        start, end = span.start.index, span.end.index
        cells = self.cells.get((rules.id, region_id), [])
        if any(c.n and (c.depth > 1 or (c.first != c.last and start <= c.first and c.last <= end)) for c in cells):
            return None
        if not full + partial:
            return self._own_described(rules, region_id, span)
        key = (rules.id, region_id, start, end)
        if key not in self.short:
            self.short[key] = self._fetch_short_children(rules, region_id, span)
        read = [self.node(c) for c in self.short[key]]
        lived_whole = sum(1 for c in read if c.clip(span) == span)
        if len(read) - lived_whole != partial:
            return None  # the tree moved between two queries: walk it
        monthly, _spans = self._indexed(rules.id, region_id, 1)
        total = sum((monthly[m][0] for m in range(start, end + 1) if m in monthly), Decimal(0))
        count = sum(monthly[m][1] for m in range(start, end + 1) if m in monthly)
        for child in read:
            for f in self.own(rules, child.id):
                if f.start == f.end and start <= f.start <= end:
                    total -= f.value
                    count -= 1
        others = full - lived_whole  # every month each, the count proves it
        if count != others * span.months:
            return None
        if not others and not any(self.has_any(rules, c.id) for c in read):
            return self._own_described(rules, region_id, span)
        parts = [figure(self, rules, c.id, span) for c in read]
        method = children_method(self.node(region_id).kato, full + partial)
        if all(p.complete for p in parts):
            total += sum((p.value for p in parts if p.value is not None), Decimal(0))
            return Figure(total, True, method, carried_forward=any(p.carried_forward for p in parts))
        missing = [gap for p in parts for gap in p.missing]
        known = [*([total] if others else []), *(p.value if p.complete else p.partial_value for p in parts)]
        found = [v for v in known if v is not None]
        return Figure(None, False, method, missing, sum(found, Decimal(0)) if found else None)

    def _fetch_short_children(self, rules: Rules, region_id: int, span: Period) -> list[int]:
        """The region's children (as deep as the book reads) that live in the span but
        lack a monthly value of this KPI for one of its months, or live only part of it:
        one grouped query, then their values and rollups (`_load`). In KATO order."""
        first, last = span.start, span.end
        living = Q(valid_from__isnull=True) | Q(valid_from__lte=last.last_day)
        living &= Q(valid_to__isnull=True) | Q(valid_to__gte=first.first_day)
        whole = Q(valid_from__isnull=True) | Q(valid_from__lte=first.last_day)
        whole &= Q(valid_to__isnull=True) | Q(valid_to__gte=last.first_day)
        # Per child, through the values' unique index (KPI, region, period): its months.
        months = Coalesce(
            Subquery(
                Value.objects.approved()
                .filter(
                    indicator_id=rules.id,
                    region_id=OuterRef("pk"),
                    period_start=F("period_end"),
                    period_start__gte=first.first_day,
                    period_start__lte=last.first_day,
                )
                .order_by()
                .values("region_id")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )
        rows = (
            Region.objects.filter(living, parent_id=region_id, level__lte=self.deepest)
            .annotate(months=months)
            .filter(~whole | Q(months__lt=span.months))
            .order_by("kato")
            .values_list("pk", "kato", "parent_id", "valid_from", "valid_to")
        )
        out = []
        for pk, kato, parent_id, valid_from, valid_to in rows:
            self.regions.setdefault(pk, RegionNode(pk, kato, parent_id, _month(valid_from), _month(valid_to)))
            out.append(pk)
        if out:
            self._load(out, ids=[rules.id])
        return out

    def _monthly_sum(
        self, rules: Rules, region_id: int | None, span: Period, *, depth: int, expected: int
    ) -> Decimal | None:
        """The sum of the units `depth` levels below the region when `expected` units
        have a value for every month of the span and none a value for exactly the span;
        else None. (Values are unique per unit and month, so the count proves it.)"""
        start, end = span.start.index, span.end.index
        monthly, spans = self._indexed(rules.id, _key(region_id), depth)
        if (start, end) in spans and start != end:
            return None
        total, count = Decimal(0), 0
        for month in range(start, end + 1):
            found = monthly.get(month)
            if found is None:
                return None
            total += found[0]
            count += found[1]
        return total if count == expected * span.months else None

    def _indexed(self, indicator_id: int, ancestor: int, depth: int) -> Indexed:
        """The non-empty cells of one KPI, ancestor and depth: monthly ones by month, and
        the spans of all; built once, as the engine asks for many spans."""
        key = (indicator_id, ancestor, depth)
        if key not in self.index:
            monthly: dict[int, tuple[Decimal, int]] = {}
            spans: set[Span] = set()
            for cell in self.cells.get((indicator_id, ancestor), []):
                if cell.depth == depth and cell.n:
                    spans.add((cell.first, cell.last))
                    if cell.first == cell.last:
                        monthly[cell.first] = (cell.total, cell.n)
            self.index[key] = (monthly, spans)
        return self.index[key]

    def _regions_children_sum(self, rules: Rules, span: Period, *, regions: int) -> Decimal | None:
        """The national sum from the nation's own rollups two levels down, without
        fetching the 20 regions' rollups, when it proves what the engine would do region
        by region: no region has a value of its own touching the span (so each region's
        figure is the sum of its children), every region has children for the whole
        span and none for part of it, and those children have every month (the count of
        all of them together can only reach that total if each region's does)."""
        start, end = span.start.index, span.end.index
        if any(
            c.depth == 1 and c.n and c.first <= end and c.last >= start for c in self.cells.get((rules.id, NATION), [])
        ):
            return None
        monthly, _spans = self._indexed(rules.id, NATION, 2)
        if any(m not in monthly for m in range(start, end + 1)):
            return None  # a month with nothing two levels down: no need to fetch the shapes
        if self.region_shapes is None:
            self.region_shapes = self._fetch_region_shapes()
        districts = with_children = 0
        for (since, until), shapes in self.region_shapes.values():
            if not ((since is None or since <= start) and (until is None or end <= until)):
                continue  # not a region for the whole span: its children are not summed
            full, partial = self._count(shapes, span)
            if partial:
                return None
            districts += full
            with_children += bool(full)
        if with_children != regions:
            return None
        return self._monthly_sum(rules, None, span, depth=2, expected=districts)

    def surely_incomplete(self, rules: Rules, region_id: int | None, span: Period) -> bool:
        """A month of the span that the region exists in, and that no value of the region
        or of anything below it covers, leaves the region and every child living in that
        month incomplete."""
        if rules.is_formula:
            assert rules.numerator is not None and rules.denominator is not None
            return self.surely_incomplete(rules.numerator, region_id, span) or self.surely_incomplete(
                rules.denominator, region_id, span
            )
        if rules.aggregation_time != "sum":
            return False
        lived = self.node(region_id).clip(span) if region_id is not None else span
        if lived is None:
            return False
        covered: set[int] = set()
        periods = [(f.start, f.end) for f in self.facts.get((rules.id, region_id), [])] if region_id else []
        periods += [(c.first, c.last) for c in self.cells.get((rules.id, _key(region_id)), []) if c.n]
        for first, last in periods:
            covered.update(range(max(first, lived.start.index), min(last, lived.end.index) + 1))
        uncovered = [m for m in range(lived.start.index, lived.end.index + 1) if m not in covered]
        if not uncovered:
            return False
        if region_id is not None and (rules.aggregation_regions != "sum" or not self._children_count(region_id, span)):
            return True
        shapes = self.shapes.get(region_id, [])
        return any(
            (since is None or since <= m) and (until is None or m <= until)
            for m in uncovered
            for level, since, until, _count in shapes
            if level <= self.deepest
        )

    # Fetching.

    def _children_count(self, region_id: int | None, span: Period) -> tuple[int, int]:
        """(children existing for the whole span, children existing for part of it)."""
        if region_id not in self.shapes:
            self._load_shapes([region_id])
        return self._count(self.shapes[region_id], span)

    def _count(self, shapes: list[Shape], span: Period) -> tuple[int, int]:
        full = partial = 0
        start, end = span.start.index, span.end.index
        for level, since, until, count in shapes:
            if level > self.deepest:
                continue
            first = start if since is None else max(start, since)
            last = end if until is None else min(end, until)
            if first > last:
                continue
            if first == start and last == end:
                full += count
            else:
                partial += count
        return full, partial

    def _expand(self, region_id: int | None) -> None:
        """Fetch the children of this region and of its siblings not fetched yet (the
        engine walks them next), with their values, rollups and children's shapes."""
        batch: list[int | None]
        if region_id is None:
            batch = [None]
        else:
            siblings = self.children.get(self.regions[region_id].parent_id, [])
            batch = [r for r in siblings if r not in self.expanded] or [region_id]
            if region_id not in batch:
                batch.append(region_id)
        tree = Region.objects.order_by("kato")
        if batch == [None]:
            tree = tree.filter(level=1)
        else:
            tree = tree.filter(parent_id__in=batch, level__lte=self.deepest)
        new: list[int] = []
        for pk, kato, parent_id, level, valid_from, valid_to in tree.values_list(
            "pk", "kato", "parent_id", "level", "valid_from", "valid_to"
        ):
            self.regions[pk] = RegionNode(pk, kato, parent_id, _month(valid_from), _month(valid_to))
            self.children.setdefault(None if level == 1 else parent_id, []).append(pk)
            new.append(pk)
        for r in batch:
            self.children.setdefault(r, [])
            self.expanded.add(r)
        if new:
            self._load(new)

    def _load(self, region_ids: list[int], *, nation: bool = False, ids: list[int] | None = None) -> None:
        """Own values and rollups of these regions (and of the nation), of these KPIs
        (None: all the book's), and the shapes of their children: three queries, whatever
        the number of regions. What was fetched before is not fetched again. The one way
        the book reads values and rollups: a book of another moment amends them here."""
        kpis = self.ids if ids is None else ids
        region_ids = [r for r in region_ids if any((k, r) not in self.fetched for k in kpis)]
        ancestors = [*region_ids, *([NATION] if nation else [])]
        done = {(k, a) for k in kpis for a in ancestors if (k, a) in self.fetched}
        window = {"period_start__lte": self.latest.first_day, "period_end__gte": self.earliest.first_day}
        if region_ids:
            for indicator_id, region_id, start, end, number in (
                Value.objects.approved()
                .filter(indicator_id__in=kpis, region_id__in=region_ids, **window)
                .values_list("indicator_id", "region_id", "period_start", "period_end", "value")
            ):
                if (indicator_id, region_id) not in done:
                    self.facts.setdefault((indicator_id, region_id), []).append(
                        Fact(region_id, Month.from_date(start).index, Month.from_date(end).index, number)
                    )
        for indicator_id, ancestor_id, depth, level, first, last, total, n in Rollup.objects.filter(
            indicator_id__in=kpis,
            ancestor_id__in=ancestors,
            first_month__lte=self.latest.index,
            last_month__gte=self.earliest.index,
        ).values_list("indicator_id", "ancestor_id", "depth", "level", "first_month", "last_month", "total", "n"):
            if (indicator_id, ancestor_id) not in done:
                self.cells.setdefault((indicator_id, ancestor_id), []).append(Cell(depth, level, first, last, total, n))
                self.index.pop((indicator_id, ancestor_id, depth), None)
        self.fetched.update((k, a) for k in kpis for a in ancestors)
        self._load_shapes([*region_ids, *([None] if nation else [])])

    def _load_shapes(self, parents: list[int | None]) -> None:
        parents = [p for p in parents if p not in self.shapes]
        if not parents:
            return
        ids = [p for p in parents if p is not None]
        for p in parents:
            self.shapes.setdefault(p, [])
        condition = Q(parent_id__in=ids) | (Q(level=1) if None in parents else Q(pk__in=[]))
        for parent_id, level, valid_from, valid_to, count in (
            Region.objects.filter(condition)
            .values("parent_id", "level", "valid_from", "valid_to")
            .annotate(count=Count("pk"))
            .values_list("parent_id", "level", "valid_from", "valid_to", "count")
            .order_by()
        ):
            self.shapes.setdefault(None if level == 1 else parent_id, []).append(
                (level, _month(valid_from), _month(valid_to), count)
            )

    def _fetch_region_shapes(self) -> dict[int, tuple[tuple[int | None, int | None], list[Shape]]]:
        """Every first-level region's life and its children's shapes: one query."""
        out: dict[int, tuple[tuple[int | None, int | None], list[Shape]]] = {}
        for parent_id, parent_from, parent_to, level, valid_from, valid_to, count in (
            Region.objects.filter(parent__level=1)
            .values("parent_id", "parent__valid_from", "parent__valid_to", "level", "valid_from", "valid_to")
            .annotate(count=Count("pk"))
            .values_list(
                "parent_id", "parent__valid_from", "parent__valid_to", "level", "valid_from", "valid_to", "count"
            )
            .order_by()
        ):
            life = (_month(parent_from), _month(parent_to))
            out.setdefault(parent_id, (life, []))[1].append((level, _month(valid_from), _month(valid_to), count))
        return out


def _key(region_id: int | None) -> int:
    return NATION if region_id is None else region_id
