"""Figures as of a moment: the values as they had been committed by then.

Every write of a value leaves a history row (simple-history; an import writes its rows in
the same statements as the values). A history row counts from the moment its write was
committed: for a row written by a statistics import that is the import's `committed_at`
(set by the import's last statement, after hours of work if it was long), for any other
write the row's own `history_date`; so `max(history_date, committed_at of its import)`.
A value imported before the moment counts; one corrected after it counts as it was.

Two readers of the same facts:

- `AsOfBook`: the rollups as they stand now, less what changed after the moment. The
  values changed since are found by the history's index on its date, so a summary as of
  yesterday costs about what a summary now costs, whatever the number of values; one as
  of a year ago pays for the year's changes.
- `load_fact_book_as_of`: every value of the KPIs as it stood then, from the whole
  history (the reference the fast reader is checked against, as `from_values` is for
  the rollups).

Targets, regions and KPI definitions are read as they are today.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import connection

from regions.kato import kato_prefix
from regions.models import Region

from ..models import NATION, ImportBatch, Value
from ..periods import Month
from .aggregation import Fact, FactBook, RegionNode, Rules
from .facts import Cell, RollupBook, indicator_ids


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "history": quote(str(Value.history.model._meta.db_table)),
        "values": quote(Value._meta.db_table),
        "batches": quote(ImportBatch._meta.db_table),
        "regions": quote(Region._meta.db_table),
    }


# When a history row's write was committed (see the module's docstring).
_EFFECTIVE = (
    "(CASE WHEN b.committed_at IS NOT NULL AND b.committed_at > h.history_date "
    "THEN b.committed_at ELSE h.history_date END)"
)


def _stamp(moment: datetime.datetime) -> Any:
    """A moment as the database compares it (SQLite keeps times as text)."""
    return connection.ops.adapt_datetimefield_value(moment)


# As the ORM reads a value (SQLite's raw cursor gives ints and floats).
_PLACES = Decimal(1).scaleb(-Value._meta.get_field("value").decimal_places)


def _number(raw: Any) -> Decimal:
    return raw if isinstance(raw, Decimal) else Decimal(str(raw)).quantize(_PLACES)


def _day(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Contribution:
    """A value's part in the figures: +1 as it stood at the moment, -1 as it stands now."""

    sign: int
    indicator_id: int
    region_id: int
    first: int
    last: int
    value: Decimal


def changes_since(ids: Iterable[int], as_of: datetime.datetime) -> list[Contribution]:
    """What turns today's approved values of these KPIs into those of `as_of`: each value
    written after the moment, taken out as it is now and put back as it was then."""
    ids = sorted(ids)
    if not ids:
        return []
    t = _tables()
    with connection.cursor() as cursor:
        # History rows of imports committed after the moment may be dated before it (the
        # import's start): reach back to the earliest such import.
        cursor.execute(
            f"SELECT MIN(created_at) FROM {t['batches']} WHERE committed_at > %s",  # noqa: S608 - quoted names
            [_stamp(as_of)],
        )
        (earliest_import,) = cursor.fetchone()
        cutoff = as_of if earliest_import is None else min(as_of, _aware(earliest_import))
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"""
            WITH changed AS (
              SELECT DISTINCT h.id FROM {t["history"]} h LEFT JOIN {t["batches"]} b ON b.id = h.import_batch_id
              WHERE h.history_date >= %s AND {_EFFECTIVE} > %s
            ),
            then_rows AS (
              SELECT h.indicator_id, h.region_id, h.period_start, h.period_end, h.value, h.approval_state,
                     h.history_type,
                     ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY {_EFFECTIVE} DESC, h.history_id DESC) AS rn
              FROM {t["history"]} h LEFT JOIN {t["batches"]} b ON b.id = h.import_batch_id
              WHERE h.id IN (SELECT id FROM changed) AND {_EFFECTIVE} <= %s
            )
            SELECT 1, indicator_id, region_id, period_start, period_end, value FROM then_rows
            WHERE rn = 1 AND history_type <> '-' AND approval_state = 'approved' AND indicator_id IN ({marks})
            UNION ALL
            SELECT -1, v.indicator_id, v.region_id, v.period_start, v.period_end, v.value FROM {t["values"]} v
            WHERE v.id IN (SELECT id FROM changed) AND v.approval_state = 'approved' AND v.indicator_id IN ({marks})
            """,  # noqa: S608 - quoted names
            [_stamp(cutoff), _stamp(as_of), _stamp(as_of), *ids, *ids],
        )
        return [
            Contribution(
                sign,
                indicator,
                region,
                Month.from_date(_day(start)).index,
                Month.from_date(_day(end)).index,
                _number(number),
            )
            for sign, indicator, region, start, end, number in cursor.fetchall()
        ]


def _aware(moment: Any) -> datetime.datetime:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment  # type: ignore[no-any-return]


class AsOfBook(RollupBook):
    """A rollup book whose values and rollups are put back as they stood at `as_of`: the
    regions' own values and the sums below each ancestor, as the book fetches them."""

    def __init__(
        self, *, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month, as_of: datetime.datetime
    ) -> None:
        rules = list(rules)
        changes = [
            c
            for c in changes_since(indicator_ids(rules), as_of)
            if c.first <= latest.index and c.last >= earliest.index
        ]
        self._by_region: dict[int, list[Contribution]] = {}
        for c in changes:
            self._by_region.setdefault(c.region_id, []).append(c)
        # ancestor (NATION for the nation) -> [(contribution, depth, level of its region)]
        self._by_ancestor: dict[int, list[tuple[Contribution, int, int]]] = {}
        if changes:
            with connection.cursor() as cursor:
                regions = sorted(self._by_region)
                marks = ", ".join(["%s"] * len(regions))
                sql = f"SELECT region_id, region_level, ancestor_id, depth FROM initiatives_region_ancestry WHERE region_id IN ({marks})"  # noqa: S608, E501 - placeholders only
                cursor.execute(sql, regions)
                for region_id, level, ancestor, depth in cursor.fetchall():
                    for c in self._by_region[region_id]:
                        self._by_ancestor.setdefault(ancestor, []).append((c, depth, level))
        super().__init__(rules=rules, region=region, earliest=earliest, latest=latest)

    def _load(self, region_ids: list[int], *, nation: bool = False) -> None:
        super()._load(region_ids, nation=nation)
        for region_id in region_ids:
            for c in self._by_region.get(region_id, []):
                facts = self.facts.setdefault((c.indicator_id, region_id), [])
                fact = Fact(region_id, c.first, c.last, c.value)
                if c.sign > 0:
                    facts.append(fact)
                elif fact in facts:
                    facts.remove(fact)
        for ancestor in [*region_ids, *([NATION] if nation else [])]:
            # Per KPI: where each cell (depth, level, first, last) sits in the list.
            positions: dict[int, dict[tuple[int, int, int, int], int]] = {}
            for c, depth, level in self._by_ancestor.get(ancestor, []):
                cells = self.cells.setdefault((c.indicator_id, ancestor), [])
                if c.indicator_id not in positions:
                    positions[c.indicator_id] = {
                        (cell.depth, cell.level, cell.first, cell.last): i for i, cell in enumerate(cells)
                    }
                at = positions[c.indicator_id]
                where = (depth, level, c.first, c.last)
                if where not in at:
                    at[where] = len(cells)
                    cells.append(Cell(depth, level, c.first, c.last, c.sign * c.value, c.sign))
                else:
                    cell = cells[at[where]]
                    cells[at[where]] = replace(cell, total=cell.total + c.sign * c.value, n=cell.n + c.sign)


def load_fact_book_as_of(
    *, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month, as_of: datetime.datetime
) -> FactBook:
    """Every approved value of these KPIs (and their formulas' sides) as it stood at
    `as_of`, for `region` and everything below it, from the whole history: the reference."""
    ids = sorted(indicator_ids(rules))
    t = _tables()
    where, params = "", list[Any]()
    if region is not None:
        where = "AND r.kato LIKE %s AND r.level >= %s"
        params = [kato_prefix(region.kato) + "%", region.level]
    marks = ", ".join(["%s"] * len(ids))
    facts: dict[tuple[int, int], list[Fact]] = {}
    deepest = region.level if region is not None else 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.indicator_id, s.region_id, r.level, s.period_start, s.period_end, s.value FROM (
              SELECT h.indicator_id, h.region_id, h.period_start, h.period_end, h.value, h.approval_state,
                     h.history_type,
                     ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY {_EFFECTIVE} DESC, h.history_id DESC) AS rn
              FROM {t["history"]} h LEFT JOIN {t["batches"]} b ON b.id = h.import_batch_id
              WHERE {_EFFECTIVE} <= %s
            ) s JOIN {t["regions"]} r ON r.id = s.region_id
            WHERE s.rn = 1 AND s.history_type <> '-' AND s.approval_state = 'approved'
              AND s.indicator_id IN ({marks}) AND s.period_start <= %s AND s.period_end >= %s {where}
            """,  # noqa: S608 - quoted names
            [_stamp(as_of), *ids, latest.first_day, earliest.first_day, *params],
        )
        for indicator_id, region_id, level, start, end, number in cursor.fetchall():
            facts.setdefault((indicator_id, region_id), []).append(
                Fact(
                    region_id,
                    Month.from_date(_day(start)).index,
                    Month.from_date(_day(end)).index,
                    _number(number),
                )
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
        since = Month.from_date(valid_from).index if valid_from else None
        until = Month.from_date(valid_to).index if valid_to else None
        nodes[pk] = RegionNode(pk, kato, parent_id, since, until)
        children.setdefault(None if level == 1 else parent_id, []).append(pk)
    return FactBook(facts=facts, regions=nodes, children=children)
