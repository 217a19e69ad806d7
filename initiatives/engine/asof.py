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
  of a year ago pays for the year's changes, summed per rollup cell by the database in
  one grouped query (the Python side sees a few hundred cells, not the changes).
- `load_fact_book_as_of`: every value of the KPIs as it stood then, from the whole
  history (the reference the fast reader is checked against, as `from_values` is for
  the rollups).

Targets, regions and KPI definitions are read as they are today.
"""

import datetime
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import connection

from projectoffice.dates import required_iso_date
from projectoffice.numbers import decimal_read
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
_PLACES = Value._meta.get_field("value").decimal_places


def _cutoff(as_of: datetime.datetime) -> datetime.datetime:
    """Where the history is read from: the moment, or earlier when an import committed
    after the moment had begun before it (its history rows are dated from its start)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(created_at) FROM {_tables()['batches']} WHERE committed_at > %s",  # noqa: S608 - quoted names
            [_stamp(as_of)],
        )
        (earliest_import,) = cursor.fetchone()
    return as_of if earliest_import is None else min(as_of, _aware(earliest_import))


def _changes(
    ids: list[int], *, cutoff: datetime.datetime, as_of: datetime.datetime, earliest: Month, latest: Month
) -> tuple[str, list[Any]]:
    """A `WITH` naming `signed` and `contrib`: what turns today's approved values of these
    KPIs (for periods touching earliest..latest) into those of `as_of`. `signed`: each
    value written after the moment (found by the history's index on its date) taken out as
    it is now (sign -1) and put back as it was then (+1); `contrib`: the same summed per
    KPI, unit and period (the difference of the sum and the count), as the rollup triggers
    group a write before adding it to the ancestors' cells."""
    t = _tables()
    marks = ", ".join(["%s"] * len(ids))
    sql = f"""
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
        ),
        signed AS (
          SELECT 1 AS sign, indicator_id, region_id, period_start, period_end, value FROM then_rows
          WHERE rn = 1 AND history_type <> '-' AND approval_state = 'approved' AND indicator_id IN ({marks})
            AND period_start <= %s AND period_end >= %s
          UNION ALL
          SELECT -1, v.indicator_id, v.region_id, v.period_start, v.period_end, v.value FROM {t["values"]} v
          WHERE v.id IN (SELECT id FROM changed) AND v.approval_state = 'approved' AND v.indicator_id IN ({marks})
            AND v.period_start <= %s AND v.period_end >= %s
        ),
        contrib AS (
          SELECT indicator_id, region_id, period_start, period_end, SUM(sign * value) AS total, SUM(sign) AS n
          FROM signed GROUP BY indicator_id, region_id, period_start, period_end
        )
    """  # noqa: S608 - quoted names
    window = [latest.first_day, earliest.first_day]
    return sql, [_stamp(cutoff), _stamp(as_of), _stamp(as_of), *ids, *window, *ids, *window]


def _aware(moment: Any) -> datetime.datetime:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment  # type: ignore[no-any-return]


CellKey = tuple[int, int, int, int]  # depth, level, first month, last month


class AsOfBook(RollupBook):
    """A rollup book whose values and rollups are put back as they stood at `as_of`.

    One grouped query, when the book is made, gives what changed since the moment as the
    rollup triggers would have written it: per KPI, ancestor, depth, level and period, the
    difference of the sum and the count between the moment and now; and the own values
    changed since of the region asked about and of its children (the engine reads those
    next). Own values of regions further down, fetched only if the engine walks there,
    cost one query per fetch of them. So the number of queries does not grow with the
    values changed, and the Python work grows with the cells read and the own values of
    the regions read, not with the values changed below them (the database sums those,
    once). The rollup triggers group a write in the same way (migration 0014)."""

    def __init__(
        self, *, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month, as_of: datetime.datetime
    ) -> None:
        rules = list(rules)
        self.as_of = as_of
        self.root = region.pk if region is not None else None
        # (KPI, ancestor) -> {(depth, level, first, last): (total, n) to add}
        self.deltas: dict[tuple[int, int], dict[CellKey, tuple[Decimal, int]]] = {}
        # region -> [(sign, KPI, fact)]: its own values as they stood at the moment (+1)
        # and as they stand now (-1), for the regions fetched so far
        self.own_changes: dict[int, list[tuple[int, int, Fact]]] = {}
        ids = sorted(indicator_ids(rules))
        self.cutoff = _cutoff(as_of) if ids else as_of
        if ids:
            self._fetch_deltas(ids, earliest=earliest, latest=latest)
        super().__init__(rules=rules, region=region, earliest=earliest, latest=latest)

    def _fetch_deltas(self, ids: list[int], *, earliest: Month, latest: Month) -> None:
        changes, params = _changes(ids, cutoff=self.cutoff, as_of=self.as_of, earliest=earliest, latest=latest)
        regions = connection.ops.quote_name(Region._meta.db_table)
        if self.root is None:
            near, near_params = "r.parent_id IS NULL", []
        else:
            near, near_params = "(r.id = %s OR r.parent_id = %s)", [self.root, self.root]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                {changes}
                SELECT 0, c.indicator_id, a.ancestor_id, a.depth, a.region_level, c.period_start, c.period_end,
                       SUM(c.total), SUM(c.n)
                FROM contrib c JOIN initiatives_region_ancestry a ON a.region_id = c.region_id
                GROUP BY c.indicator_id, a.ancestor_id, a.depth, a.region_level, c.period_start, c.period_end
                UNION ALL
                SELECT 1, c.indicator_id, c.region_id, 0, 0, c.period_start, c.period_end, c.value, c.sign
                FROM signed c JOIN {regions} r ON r.id = c.region_id WHERE {near}
                """,  # noqa: S608 - quoted names
                [*params, *near_params],
            )
            rows = cursor.fetchall()
        for kind, indicator, place, depth, level, start, end, total, n in rows:
            first, last = Month.from_date(required_iso_date(start)).index, Month.from_date(required_iso_date(end)).index
            if kind == 1:
                self.own_changes.setdefault(place, []).append(
                    (int(n), indicator, Fact(place, first, last, decimal_read(total, _PLACES)))
                )
                continue
            cells = self.deltas.setdefault((indicator, place), {})
            was_total, was_n = cells.get((depth, level, first, last), (Decimal(0), 0))
            cells[(depth, level, first, last)] = (was_total + decimal_read(total, _PLACES), was_n + int(n))

    def _near(self, region_id: int) -> bool:
        """The region asked about, or one of its children: fetched with the book."""
        return region_id == self.root or self.regions[region_id].parent_id == self.root

    def _fetch_own(self, region_ids: list[int]) -> None:
        """Own values changed since the moment of regions further down: one query."""
        changes, params = _changes(
            self.ids, cutoff=self.cutoff, as_of=self.as_of, earliest=self.earliest, latest=self.latest
        )
        marks = ", ".join(["%s"] * len(region_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""{changes}
                SELECT c.region_id, c.indicator_id, c.period_start, c.period_end, c.value, c.sign
                FROM signed c WHERE c.region_id IN ({marks})""",  # noqa: S608 - placeholders only
                [*params, *region_ids],
            )
            for place, indicator, start, end, number, sign in cursor.fetchall():
                fact = Fact(
                    place,
                    Month.from_date(required_iso_date(start)).index,
                    Month.from_date(required_iso_date(end)).index,
                    decimal_read(number, _PLACES),
                )
                self.own_changes.setdefault(place, []).append((int(sign), indicator, fact))

    def _load(self, region_ids: list[int], *, nation: bool = False, ids: list[int] | None = None) -> None:
        # Always asked for every KPI of the book: a book of another moment does not look
        # for its short children by today's counts (`RollupBook._counts_current`).
        assert ids is None, "the own changes of a region are amended for every KPI at once"
        super()._load(region_ids, nation=nation)
        if not self.ids:
            return
        further = [r for r in region_ids if not self._near(r)]
        if further:
            self._fetch_own(further)
        for region_id in region_ids:
            # Taken out as they are now before put back as they were.
            for sign, indicator, fact in sorted(self.own_changes.pop(region_id, []), key=lambda c: c[0]):
                facts = self.facts.setdefault((indicator, region_id), [])
                if sign > 0:
                    facts.append(fact)
                elif fact in facts:
                    facts.remove(fact)
        for ancestor in [*region_ids, *([NATION] if nation else [])]:
            for indicator in self.ids:
                deltas = self.deltas.pop((indicator, ancestor), None)
                if not deltas:
                    continue
                cells = self.cells.setdefault((indicator, ancestor), [])
                at = {(c.depth, c.level, c.first, c.last): i for i, c in enumerate(cells)}
                for (depth, level, first, last), (total, n) in deltas.items():
                    if (depth, level, first, last) in at:
                        cell = cells[at[(depth, level, first, last)]]
                        cells[at[(depth, level, first, last)]] = replace(cell, total=cell.total + total, n=cell.n + n)
                    else:
                        cells.append(Cell(depth, level, first, last, total, n))
                    self.index.pop((indicator, ancestor, depth), None)


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
                    Month.from_date(required_iso_date(start)).index,
                    Month.from_date(required_iso_date(end)).index,
                    decimal_read(number, _PLACES),
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
