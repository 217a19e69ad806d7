"""What a forecast reads: a KPI's region tree at the origin month and the monthly series of
each node, as committed at a moment.

A node's series is the figure `/kpis/{code}/summary/?region=&period_from=M&period_to=M`
reports for each month (the node's own value, else the sum below it), read by the same
engine as of the same moment (`engine/asof.py`: a history row counts from the later of its
date and its import's commit), so a run never reads a value committed after its `as_of`.
A month whose figure is incomplete is None: it is left out of fitting and of scoring.

The tree: the nation, the first-level regions and the districts (level 2) valid in the
origin month, each kept when it has a complete month in the window. Deeper units
(okrugs, villages) are not forecast across the tree; a village's own series is the
campaign impact's (one series at a time).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, Q, Subquery

from ..engine.aggregation import figure
from ..engine.asof import AsOfBook
from ..engine.facts import rules_of
from ..models import ApprovalState, Indicator, Value
from ..periods import Month, Period

NATION_KEY = "KZ"
# At most this many months before the origin are read (ten years).
LONGEST = 120


@dataclass
class TreeSeries:
    """Nodes in tree order (nation first, each region followed by its districts)."""

    months: list[Month]  # the first month read ... the origin
    keys: list[str]  # "KZ", then KATO codes
    region_ids: list[int | None]  # None: the nation
    parent: list[int]  # index of the parent node, -1 for the nation
    level: list[int]  # 0 nation, 1 region, 2 district
    values: list[list[float | None]]  # per node, per month; None: incomplete

    @property
    def origin(self) -> Month:
        return self.months[-1]


def first_month(indicator: Indicator, origin: Month, as_of: datetime.datetime | None = None) -> Month | None:
    """The first month with an approved value of the KPI as committed at `as_of` (a history
    row counts from the later of its date and its import's commit; None: now), at most
    LONGEST months back: a month loaded later never moves where a replay starts."""
    if as_of is None:
        found = Value.objects.approved().filter(indicator=indicator).aggregate(first=Min("period_start"))["first"]
    else:
        committed = Q(import_batch__isnull=True) | Q(import_batch__committed_at__lte=as_of)
        in_history = (
            Value.history.filter(
                committed, indicator=indicator, history_date__lte=as_of, approval_state=ApprovalState.APPROVED
            )
            .exclude(history_type="-")
            .order_by()
            .values("indicator_id")
            .annotate(first=Min("period_start"))
            .values("first")
        )
        # A value an import created and nothing changed since has no history row: its
        # first version is its batch, committed at the batch's `committed_at`.
        never_changed = (
            Value.objects.approved()
            .filter(indicator=indicator, import_batch__committed_at__lte=as_of)
            .exclude(Exists(Value.history.filter(id=OuterRef("pk"))))
            .order_by()
            .values("indicator_id")
            .annotate(first=Min("period_start"))
            .values("first")
        )
        # Both in one query: a detection or forecast run asks this of every KPI.
        found, never = (
            Indicator.objects.filter(pk=indicator.pk)
            .annotate(in_history=Subquery(in_history[:1]), never_changed=Subquery(never_changed[:1]))
            .values_list("in_history", "never_changed")
            .get()
        )
        found = min((d for d in (found, never) if d is not None), default=None)
    if found is None:
        return None
    return max(Month.from_date(found), origin.plus(-(LONGEST - 1)))


def tree_series(indicator: Indicator, origin: Month, as_of: datetime.datetime) -> TreeSeries | None:
    """The tree and every node's monthly series to `origin` as committed at `as_of`; None
    when the KPI has no value at all."""
    start = first_month(indicator, origin, as_of)
    if start is None or origin < start:
        return None
    months = [Month.from_index(i) for i in range(start.index, origin.index + 1)]
    rules = rules_of(indicator)
    book = AsOfBook(rules=[rules], region=None, earliest=start, latest=origin, as_of=as_of)
    at_origin = Period(origin, origin)

    def series(region_id: int | None) -> list[float | None]:
        out: list[float | None] = []
        for month in months:
            found = figure(book, rules, region_id, Period(month, month))
            out.append(float(found.value) if found.complete and found.value is not None else None)
        return out

    keys, parent, level = [NATION_KEY], [-1], [0]
    ids: list[int | None] = [None]
    values = [series(None)]

    def add(region_id: int, kato: str, up: int, depth: int, found: list[float | None]) -> None:
        keys.append(kato)
        ids.append(region_id)
        parent.append(up)
        level.append(depth)
        values.append(found)

    for region in book.children_during(None, at_origin):
        own = series(region.id)
        if all(v is None for v in own):
            continue
        at = len(keys)
        add(region.id, region.kato, 0, 1, own)
        for district in book.children_during(region.id, at_origin):
            below = series(district.id)
            if all(v is None for v in below):
                continue
            add(district.id, district.kato, at, 2, below)
    return TreeSeries(months, keys, ids, parent, level, values)


def latest_complete_month(indicator: Indicator, as_of: datetime.datetime, today: datetime.date) -> Month | None:
    """The default origin: the latest month over by `today` whose national figure is complete
    as committed at `as_of` (looking back at most LONGEST months)."""
    last = Month.from_date(today).plus(-1)
    start = first_month(indicator, last, as_of)
    if start is None:
        return None
    rules = rules_of(indicator)
    book = AsOfBook(rules=[rules], region=None, earliest=start, latest=last, as_of=as_of)
    for index in range(last.index, start.index - 1, -1):
        month = Month.from_index(index)
        if figure(book, rules, None, Period(month, month)).complete:
            return month
    return None
