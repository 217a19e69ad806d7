"""Figures as of a moment: the values as they had been committed by then.

Every write of a value leaves a history row (simple-history), except the creation of a
value by a statistics import: such a value's first version is its import batch, so it
counts from the batch's `committed_at` (and when it is first replaced or deleted, its
version as created is written to the history, dated the batch's `committed_at`, before
the change). A history row counts from the moment its write was committed: for a row
written by a statistics import that is the import's `committed_at` (set by the import's
last statement, after hours of work if it was long), for any other write the row's own
`history_date`; so `max(history_date, committed_at of its import)`. A value imported
before the moment counts; one corrected after it counts as it was.

Two readers of the same facts:

- `AsOfBook`: rollups as they stood at a base moment, and the few values changed between
  the base and the moment asked about put back as they were. The base is today's rollups
  or a rollup checkpoint (`initiatives/models/checkpoints.py`), the one with the fewest
  changes between it and the moment: at most about half of `ROLLUP_CHECKPOINT_CHANGES`
  when the checkpoints are kept, so a summary as of any moment costs about what a summary
  now costs, whatever the corrections since. The changes are summed per rollup cell by
  the database in one grouped query (the Python side sees a few hundred cells).
- `load_fact_book_as_of`: every value of the KPIs as it stood then, from the whole
  history (the reference the fast reader is checked against, as `from_values` is for
  the rollups).

Targets, regions and KPI definitions are read as they are today (a checkpoint is used
only while the region tree is the one it summed over).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from projectoffice.dates import required_iso_date
from projectoffice.numbers import decimal_read
from regions.kato import kato_prefix
from regions.models import Region

from ..models import NATION, FigureVersion, ImportBatch, RollupCheckpoint, RollupCheckpointCell, Value
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
        "checkpoints": quote(RollupCheckpoint._meta.db_table),
        "cells": quote(RollupCheckpointCell._meta.db_table),
        "versions": quote(FigureVersion._meta.db_table),
    }


# When a history row's write was committed (see the module's docstring).
_EFFECTIVE = (
    "(CASE WHEN b.committed_at IS NOT NULL AND b.committed_at > h.history_date "
    "THEN b.committed_at ELSE h.history_date END)"
)

_MONTH = {
    "postgresql": "(EXTRACT(YEAR FROM {d})::int * 12 + EXTRACT(MONTH FROM {d})::int - 1)",
    # SQLite keeps a date as 'YYYY-MM-DD' text; no '%' in the SQL, which the debug log would
    # read as a placeholder.
    "sqlite": "(CAST(substr({d}, 1, 4) AS INTEGER) * 12 + CAST(substr({d}, 6, 2) AS INTEGER) - 1)",
}


def _stamp(moment: datetime.datetime) -> Any:
    """A moment as the database compares it (SQLite keeps times as text)."""
    return connection.ops.adapt_datetimefield_value(moment)


# As the ORM reads a value (SQLite's raw cursor gives ints and floats).
_PLACES = Value._meta.get_field("value").decimal_places


def _cutoff(since: datetime.datetime, until: datetime.datetime | None = None) -> datetime.datetime:
    """Where the history is read from for what was committed in (since, until]: `since`,
    or earlier when an import committed in it had begun before (its history rows are
    dated from its start)."""
    window, params = "committed_at > %s", [_stamp(since)]
    if until is not None:
        window, params = window + " AND committed_at <= %s", [*params, _stamp(until)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(created_at) FROM {_tables()['batches']} WHERE {window}", params)  # noqa: S608
        (earliest_import,) = cursor.fetchone()
    return since if earliest_import is None else min(since, _aware(earliest_import))


_COLUMNS = "indicator_id, region_id, period_start, period_end, value, approval_state"


def _state_at(name: str, rows: str) -> str:
    """A `WITH` item: the values of `changed` as they stood at a moment (its one
    parameter, given twice): the last of their history rows in `rows` committed by then
    (none, or a deletion: not there), or, for a value without history rows (created by an
    import, unchanged since: among `imported`, the values of the imports committed between
    the moments), the value itself once its batch had committed."""
    t = _tables()
    return f"""
        {name} AS (
          SELECT {_COLUMNS} FROM (
            SELECT {_COLUMNS}, history_type,
                   ROW_NUMBER() OVER (PARTITION BY id ORDER BY effective DESC, history_id DESC) AS rn
            FROM {rows} WHERE effective <= %s
          ) s WHERE s.rn = 1 AND s.history_type <> '-'
          UNION ALL
          SELECT v.indicator_id, v.region_id, v.period_start, v.period_end, v.value, v.approval_state
          FROM {t["values"]} v LEFT JOIN {t["batches"]} b ON b.id = v.import_batch_id
          WHERE v.id IN (SELECT id FROM imported) AND (b.committed_at IS NULL OR b.committed_at <= %s)
            AND NOT EXISTS (SELECT 1 FROM {t["history"]} h WHERE h.id = v.id)
        )"""  # noqa: S608 - quoted names


def _changes(
    ids: list[int],
    *,
    as_of: datetime.datetime,
    base: datetime.datetime | None,
    earliest: Month,
    latest: Month,
) -> tuple[str, list[Any]]:
    """A `WITH` naming `signed` and `contrib`: what turns the approved values of these
    KPIs (for periods touching earliest..latest) as they stood at `base` (None: as they
    stand now) into those of `as_of`. The values written between the two moments (found
    by the history's index on its date, and, for values an import created without a
    history row, by their batch's commit) are taken out as they were at the base (sign
    -1) and put back as they were at `as_of` (+1), whichever moment is the earlier;
    `contrib`: the same summed per KPI, unit and period (the difference of the sum and
    the count), as the rollup triggers group a write before adding it to the ancestors'
    cells."""
    t = _tables()
    marks = ", ".join(["%s"] * len(ids))
    since = as_of if base is None else min(as_of, base)
    until = None if base is None else max(as_of, base)
    cutoff = _cutoff(since, until)
    upto, upto_params, batch_upto = "", list[Any](), ""
    if until is not None:
        upto = f"AND h.history_date <= %s AND {_EFFECTIVE} <= %s"
        upto_params = [_stamp(until), _stamp(until)]
        batch_upto = "AND b.committed_at <= %s"
    # The earlier moment's state: each changed value's history up to it (a probe per value
    # on the history's index of values); the later's: its last row between the moments,
    # read already to find it.
    if base is None:
        then = _state_at("at_moment", "hist")
        before = f"""
        at_base AS (SELECT {_COLUMNS} FROM {t["values"]} v WHERE v.id IN (SELECT id FROM changed))"""  # noqa: S608
    elif base < as_of:
        then, before = _state_at("at_moment", "win"), _state_at("at_base", "hist")
    else:
        then, before = _state_at("at_moment", "hist"), _state_at("at_base", "win")
    sql = f"""
        WITH imported AS (
          SELECT v.id FROM {t["values"]} v JOIN {t["batches"]} b ON b.id = v.import_batch_id
          WHERE b.committed_at > %s {batch_upto}
        ),
        win AS (
          SELECT h.id, h.history_id, h.history_type, {_EFFECTIVE} AS effective, h.indicator_id, h.region_id,
                 h.period_start, h.period_end, h.value, h.approval_state
          FROM {t["history"]} h LEFT JOIN {t["batches"]} b ON b.id = h.import_batch_id
          WHERE h.history_date >= %s AND {_EFFECTIVE} > %s {upto}
        ),
        changed AS (SELECT id FROM win UNION SELECT id FROM imported),
        hist AS (
          SELECT h.id, h.history_id, h.history_type, {_EFFECTIVE} AS effective, h.indicator_id, h.region_id,
                 h.period_start, h.period_end, h.value, h.approval_state
          FROM {t["history"]} h LEFT JOIN {t["batches"]} b ON b.id = h.import_batch_id
          WHERE h.id IN (SELECT id FROM changed) AND {_EFFECTIVE} <= %s
        ),
        {then},
        {before},
        signed AS (
          SELECT 1 AS sign, indicator_id, region_id, period_start, period_end, value FROM at_moment
          WHERE approval_state = 'approved' AND indicator_id IN ({marks}) AND period_start <= %s AND period_end >= %s
          UNION ALL
          SELECT -1, indicator_id, region_id, period_start, period_end, value FROM at_base
          WHERE approval_state = 'approved' AND indicator_id IN ({marks}) AND period_start <= %s AND period_end >= %s
        ),
        contrib AS (
          SELECT indicator_id, region_id, period_start, period_end, SUM(sign * value) AS total, SUM(sign) AS n
          FROM signed GROUP BY indicator_id, region_id, period_start, period_end
        )
    """  # noqa: S608 - quoted names
    window = [latest.first_day, earliest.first_day]
    # In the order of the `WITH` items: at_moment's, then at_base's (when not now).
    states = [_stamp(as_of), _stamp(as_of)]
    if base is not None:
        states += [_stamp(base), _stamp(base)]
    params = [
        _stamp(since),
        *([_stamp(until)] if until is not None else []),
        _stamp(cutoff),
        _stamp(since),
        *upto_params,
        _stamp(since),
        *states,
        *ids,
        *window,
        *ids,
        *window,
    ]
    return sql, params


def _aware(moment: Any) -> datetime.datetime:
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment  # type: ignore[no-any-return]


# Checkpoints.


def copy_rollups(checkpoint_id: int) -> int:
    """Copy into the checkpoint every non-empty rollup cell and, as cells of depth 0, the
    approved values of the first-level regions: one statement. Returns the rows written.
    The caller holds off the writers of values (`checkpoint_take`)."""
    t = _tables()
    month = _MONTH[connection.vendor]
    # By their ids, so that the database reads their values by the region's index (joined
    # with the regions, PostgreSQL reckons on the average region's thousands and reads all).
    tops = list(Region.objects.filter(parent__isnull=True).values_list("pk", flat=True)) or [0]
    marks = ", ".join(["%s"] * len(tops))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {t["cells"]} (checkpoint_id, indicator_id, ancestor_id, depth, level, first_month,
                                      last_month, total, n)
            SELECT %s, indicator_id, ancestor_id, depth, level, first_month, last_month, total, n
            FROM initiatives_rollup WHERE n <> 0
            UNION ALL
            SELECT %s, v.indicator_id, v.region_id, 0, 1, {month.format(d="v.period_start")},
                   {month.format(d="v.period_end")}, v.value, 1
            FROM {t["values"]} v WHERE v.region_id IN ({marks}) AND v.approval_state = 'approved'
            """,  # noqa: S608 - quoted names
            [checkpoint_id, checkpoint_id, *tops],
        )
        return int(cursor.rowcount)


def regions_version() -> int:
    found = FigureVersion.objects.filter(key="regions").values_list("n", flat=True).first()
    return int(found or 0)


def history_mark() -> int:
    """The id of the last history row written (0: none)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(history_id) FROM {_tables()['history']}")  # noqa: S608
        (mark,) = cursor.fetchone()
    return int(mark or 0)


def history_rows_since(mark: int, *, cap: int) -> int:
    """History rows written after `mark`, counted up to `cap` (an index range, no more)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {_tables()['history']} WHERE history_id > %s LIMIT %s) s",  # noqa: S608
            [mark, cap],
        )
        (count,) = cursor.fetchone()
    return int(count)


@dataclass(frozen=True)
class Base:
    """Where an as-of reading starts: a checkpoint (its id and moment), or now (None)."""

    checkpoint: int | None
    moment: datetime.datetime | None


NOW = Base(None, None)


def _nearest_checkpoints(as_of: datetime.datetime) -> list[Base]:
    """The last checkpoint at or before the moment and the first after it, of today's
    region tree: one query."""
    t = _tables()
    usable = f"regions_version = COALESCE((SELECT n FROM {t['versions']} WHERE key = 'regions'), 0)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT * FROM (SELECT id, moment FROM {t["checkpoints"]} WHERE moment <= %s AND {usable}
                           ORDER BY moment DESC LIMIT 1) before
            UNION ALL
            SELECT * FROM (SELECT id, moment FROM {t["checkpoints"]} WHERE moment > %s AND {usable}
                           ORDER BY moment ASC LIMIT 1) after
            """,  # noqa: S608 - quoted names
            [_stamp(as_of), _stamp(as_of)],
        )
        return [Base(int(pk), _aware(moment)) for pk, moment in cursor.fetchall()]


def choose_base(as_of: datetime.datetime) -> Base:
    """Today's rollups or the checkpoint nearest the moment, whichever has the fewest
    changes between it and the moment (history rows by their date, and the values
    imports created, by their batches' commits; each count stops a little past what the
    checkpoints allow, so counting costs no more than applying the changes would).
    A tie goes to now, then to the checkpoint before. With a checkpoint after the moment,
    now has its changes and those since it: only whether there are any is counted."""
    nearest = _nearest_checkpoints(as_of)
    if not nearest:
        return NOW
    t = _tables()
    cap = 2 * int(settings.ROLLUP_CHECKPOINT_CHANGES) + 1
    candidates = [NOW, *nearest]
    after = next((i for i, base in enumerate(candidates) if base.moment is not None and base.moment > as_of), None)
    counts: list[str] = []
    params: list[Any] = []
    for base in candidates:
        since = as_of if base.moment is None else min(as_of, base.moment)
        until = None if base.moment is None else max(as_of, base.moment)
        limit = cap
        if base.moment is None and after is not None:
            since, limit = candidates[after].moment, 1  # type: ignore[assignment]
        rows, batches, window = "history_date > %s", "committed_at > %s", [_stamp(since)]
        if until is not None:
            rows += " AND history_date <= %s"
            batches += " AND committed_at <= %s"
            window.append(_stamp(until))
        history_count = f"SELECT COUNT(*) FROM (SELECT 1 FROM {t['history']} WHERE {rows} LIMIT %s) s{len(counts)}"  # noqa: S608
        imported = f"SELECT COALESCE(SUM(created + updated), 0) FROM {t['batches']} WHERE {batches}"  # noqa: S608
        counts.append(f"({history_count}) + ({imported})")
        params += [*window, limit, *window]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(counts), params)
        found = [int(n) for n in cursor.fetchone()]
    if after is not None:
        found[0] += found[after]
    best = min(range(len(candidates)), key=lambda i: (found[i], i))
    return candidates[best]


CellKey = tuple[int, int, int, int]  # depth, level, first month, last month


class AsOfBook(RollupBook):
    """A rollup book whose values and rollups are put back as they stood at `as_of`.

    The base (`choose_base`) is today's rollups or a checkpoint's cells. One grouped
    query, when the book is made, gives what changed between the base and the moment as
    the rollup triggers would have written it: per KPI, ancestor, depth, level and period,
    the difference of the sum and the count; and the own values changed between of the
    regions whose own values the base holds (the region asked about and its children,
    read now, when the base is now; the first-level regions, kept in every checkpoint,
    else). Own values of other regions, fetched only if the engine walks there, are read
    as they stand now and put back as they were at the moment, one query per fetch. So
    the number of queries does not grow with the values changed, and the Python work
    grows with the cells read and the own values of the regions read, not with the
    values changed below them (the database sums those, once). The rollup triggers group
    a write in the same way (migration 0014)."""

    def __init__(
        self, *, rules: Iterable[Rules], region: Region | None, earliest: Month, latest: Month, as_of: datetime.datetime
    ) -> None:
        rules = list(rules)
        self.as_of = as_of
        self.root = region.pk if region is not None else None
        # (KPI, ancestor) -> {(depth, level, first, last): (total, n) to add}
        self.deltas: dict[tuple[int, int], dict[CellKey, tuple[Decimal, int]]] = {}
        # region -> [(sign, KPI, fact)]: its own values as they stood at the moment (+1)
        # and as they stand in the base (-1), for the regions fetched so far
        self.own_changes: dict[int, list[tuple[int, int, Fact]]] = {}
        ids = sorted(indicator_ids(rules))
        self.base = choose_base(as_of) if ids else NOW
        if ids:
            self._fetch_deltas(ids, earliest=earliest, latest=latest)
        super().__init__(rules=rules, region=region, earliest=earliest, latest=latest)

    def _fetch_deltas(self, ids: list[int], *, earliest: Month, latest: Month) -> None:
        changes, params = _changes(ids, as_of=self.as_of, base=self.base.moment, earliest=earliest, latest=latest)
        regions = connection.ops.quote_name(Region._meta.db_table)
        near_params: list[int] = []
        if self.base.checkpoint is not None or self.root is None:
            near = "r.parent_id IS NULL"
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
        """A region whose own values' changes were fetched with the book: the first-level
        regions (from a checkpoint); the region asked about or one of its children (now)."""
        if self.base.checkpoint is not None:
            return self.regions[region_id].parent_id is None
        return region_id == self.root or self.regions[region_id].parent_id == self.root

    def _fetch_own(self, region_ids: list[int]) -> None:
        """Own values changed since the moment of other regions (read as they stand now):
        one query."""
        changes, params = _changes(self.ids, as_of=self.as_of, base=None, earliest=self.earliest, latest=self.latest)
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

    def _from_checkpoint(self, region_ids: list[int], ancestors: list[int]) -> bool:
        """The cells of these ancestors, and the own values of the first-level regions
        among these regions, as the checkpoint holds them, in place of today's. False (and
        nothing replaced) when the checkpoint is gone: swept since it was chosen. Its row is
        read in the same statement as its cells, so both or neither are seen."""
        t = _tables()
        marks = ", ".join(["%s"] * len(self.ids))
        ancestor_marks = ", ".join(["%s"] * len(ancestors))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT c.indicator_id, c.ancestor_id, c.depth, c.level, c.first_month, c.last_month, c.total, c.n
                FROM {t["checkpoints"]} k LEFT JOIN {t["cells"]} c ON c.checkpoint_id = k.id
                  AND c.indicator_id IN ({marks}) AND c.ancestor_id IN ({ancestor_marks})
                  AND c.first_month <= %s AND c.last_month >= %s
                WHERE k.id = %s
                """,  # noqa: S608 - quoted names, placeholders
                [*self.ids, *ancestors, self.latest.index, self.earliest.index, self.base.checkpoint],
            )
            rows = cursor.fetchall()
        if not rows:
            return False
        tops = [r for r in region_ids if self.regions[r].parent_id is None]
        for ancestor in ancestors:
            for indicator in self.ids:
                if self.cells.pop((indicator, ancestor), None) is not None:
                    for depth in range(4):
                        self.index.pop((indicator, ancestor, depth), None)
        for region_id in tops:
            for indicator in self.ids:
                self.facts.pop((indicator, region_id), None)
        for indicator_id, ancestor_id, depth, level, first, last, total, n in rows:
            if indicator_id is None:
                continue  # the checkpoint's row, with no cell of these
            if depth == 0:
                if ancestor_id in tops:
                    self.facts.setdefault((indicator_id, ancestor_id), []).append(
                        Fact(ancestor_id, first, last, decimal_read(total, _PLACES))
                    )
                continue
            self.cells.setdefault((indicator_id, ancestor_id), []).append(
                Cell(depth, level, first, last, decimal_read(total, _PLACES), int(n))
            )
            self.index.pop((indicator_id, ancestor_id, depth), None)
        return True

    def _rebase_now(self) -> None:
        """The checkpoint chosen is gone: what is still to load starts from today's
        rollups (already loaded for these regions) and the changes since the moment. What
        was loaded from the checkpoint stands: it was as of the moment too."""
        self.base = NOW
        self.deltas, self.own_changes = {}, {}
        self._fetch_deltas(self.ids, earliest=self.earliest, latest=self.latest)

    def _load(self, region_ids: list[int], *, nation: bool = False, ids: list[int] | None = None) -> None:
        # Always asked for every KPI of the book: a book of another moment does not look
        # for its short children by today's counts (`RollupBook._counts_current`).
        assert ids is None, "the own changes of a region are amended for every KPI at once"
        super()._load(region_ids, nation=nation)
        if not self.ids:
            return
        if self.base.checkpoint is not None and not self._from_checkpoint(
            region_ids, [*region_ids, *([NATION] if nation else [])]
        ):
            self._rebase_now()
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
    `as_of`, for `region` and everything below it, from the whole history (and the values
    without history rows, from their batch's commit): the reference."""
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
              UNION ALL
              SELECT v.indicator_id, v.region_id, v.period_start, v.period_end, v.value, v.approval_state, '+', 1
              FROM {t["values"]} v LEFT JOIN {t["batches"]} b ON b.id = v.import_batch_id
              WHERE (b.committed_at IS NULL OR b.committed_at <= %s)
                AND NOT EXISTS (SELECT 1 FROM {t["history"]} h WHERE h.id = v.id)
            ) s JOIN {t["regions"]} r ON r.id = s.region_id
            WHERE s.rn = 1 AND s.history_type <> '-' AND s.approval_state = 'approved'
              AND s.indicator_id IN ({marks}) AND s.period_start <= %s AND s.period_end >= %s {where}
            """,  # noqa: S608 - quoted names
            [_stamp(as_of), _stamp(as_of), *ids, latest.first_day, earliest.first_day, *params],
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
