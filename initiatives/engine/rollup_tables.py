"""The rollup tables as a whole: computed afresh from the values, rebuilt, compared.

The triggers of migration 0014 keep the rollups current row by row of every write (but
the statistics import's INSERTs, which add their rows in one pass: `rollups_add_new`); this
module is for when that must be checked (`check_rollups`, nightly) or redone
(`rebuild_rollups`, after a restore or a suspected drift). Both compare or write in SQL;
nothing here loads the values into Python.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from projectoffice.numbers import decimal_read

from ..models import Indicator, Rollup
from ..periods import Month

_MONTH = {
    "postgresql": "(EXTRACT(YEAR FROM {d})::int * 12 + EXTRACT(MONTH FROM {d})::int - 1)",
    # SQLite keeps a date as 'YYYY-MM-DD' text; no '%' in the SQL, which the debug log would
    # read as a placeholder.
    "sqlite": "(CAST(substr({d}, 1, 4) AS INTEGER) * 12 + CAST(substr({d}, 6, 2) AS INTEGER) - 1)",
}
_COLUMNS = "indicator_id, ancestor_id, depth, level, first_month, last_month, total, n"


def _fresh_sql(indicator_ids: list[int] | None) -> tuple[str, list[int]]:
    month = _MONTH[connection.vendor]
    only = f"AND v.indicator_id IN ({', '.join(['%s'] * len(indicator_ids))})" if indicator_ids else ""
    # Only placeholders and fixed column names are interpolated.
    sql = f"""
        SELECT v.indicator_id, a.ancestor_id, a.depth, a.region_level,
               {month.format(d="v.period_start")}, {month.format(d="v.period_end")}, SUM(v.value), COUNT(*)
        FROM initiatives_value v JOIN initiatives_region_ancestry a ON a.region_id = v.region_id
        WHERE v.approval_state = 'approved' {only}
        GROUP BY v.indicator_id, a.ancestor_id, a.depth, a.region_level, v.period_start, v.period_end
    """  # noqa: S608
    return sql, list(indicator_ids or [])


def rebuild(indicator_ids: Iterable[int] | None = None) -> int:
    """Recompute the rollups (of these KPIs, or all) from the approved values; returns the
    number of rows written. Readers keep reading the old rows until it commits; writers of
    values wait for it (on PostgreSQL), so no write falls between the two."""
    ids = sorted(set(indicator_ids)) if indicator_ids is not None else None
    fresh, params = _fresh_sql(ids)
    only = f"WHERE indicator_id IN ({', '.join(['%s'] * len(ids))})" if ids else ""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE initiatives_value IN SHARE MODE")
        cursor.execute(f"DELETE FROM initiatives_rollup {only}", params)  # noqa: S608
        cursor.execute(f"INSERT INTO initiatives_rollup ({_COLUMNS}) {fresh}", params)
        written = int(cursor.rowcount)
        # Every summary cached over these KPIs is now unreachable.
        kpis = Indicator.objects.filter(pk__in=ids) if ids else Indicator.objects.all()
        for key in sorted(f"kpi:{pk}" for pk in kpis.values_list("pk", flat=True)):
            cursor.execute(
                "INSERT INTO initiatives_figureversion (key, n) VALUES (%s, 1) "
                "ON CONFLICT (key) DO UPDATE SET n = initiatives_figureversion.n + 1",
                [key],
            )
    return written


# The cells of one pass (`rollups_add_new`), before they are added to the rollups.
_NEW_CELLS = "initiatives_rollup_new_cells"


def rollups_add_new(cursor: CursorWrapper, table: str, where: str) -> int:
    """Add values just inserted, all approved, to the rollups in one pass, as the insert
    trigger of migration 0014 adds those of each statement: the rows of `table` (its
    indicator_id, region_id, period_start, period_end and value) that match `where`.
    For the statistics import on PostgreSQL, whose INSERTs the trigger leaves to it
    (migration 0043).

    Summed a level at a time rather than through the ancestry view (a row per value and
    ancestor, 2.7 million for a million district values, sorted): the values by their
    region's parent (depth 1), then those cells by their region's parent (depth 2), and so
    on to the nation (0) -- the view's cells, each summed from fewer rows (3.4 s against
    10 s measured). The KPIs' version counters and then the cells are taken in key order,
    as the trigger takes them, so no two writers deadlock on them. Returns the cells."""
    month = _MONTH[connection.vendor]
    first, last = month.format(d="period_start"), month.format(d="period_end")
    key = "indicator_id, ancestor_id, depth, level, period_start, period_end"
    # Only fixed names and the caller's own table and condition are interpolated.
    cursor.execute(
        f"""
        INSERT INTO initiatives_figureversion AS fv (key, n)
        SELECT 'kpi:' || k.indicator_id, 1 FROM (SELECT DISTINCT indicator_id FROM {table} WHERE {where}) k
        ORDER BY 1
        ON CONFLICT (key) DO UPDATE SET n = fv.n + 1
        """  # noqa: S608
    )
    # Planned over a million rows, each statement would be compiled by JIT (seconds) to
    # run once: off for the pass, as for the triggers (migration 0020).
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    (jit,) = cursor.fetchone()[:1]
    cursor.execute(f"DROP TABLE IF EXISTS {_NEW_CELLS}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {_NEW_CELLS} AS
        SELECT d.indicator_id, COALESCE(r.parent_id, 0) AS ancestor_id, 1 AS depth, r.level,
               d.period_start, d.period_end, SUM(d.value) AS total, COUNT(*) AS n
        FROM {table} d JOIN regions_region r ON r.id = d.region_id
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5, 6
        """  # noqa: S608
    )
    depth = 1
    while True:
        cursor.execute(
            f"""
            INSERT INTO {_NEW_CELLS} ({key}, total, n)
            SELECT c.indicator_id, COALESCE(r.parent_id, 0), %s, c.level, c.period_start, c.period_end,
                   SUM(c.total), SUM(c.n)
            FROM {_NEW_CELLS} c JOIN regions_region r ON r.id = c.ancestor_id
            WHERE c.depth = %s
            GROUP BY 1, 2, 3, 4, 5, 6
            """,  # noqa: S608
            [depth + 1, depth],
        )
        if not cursor.rowcount:
            break
        depth += 1
    cursor.execute(
        f"""
        INSERT INTO initiatives_rollup AS r ({_COLUMNS})
        SELECT indicator_id, ancestor_id, depth, level, {first}, {last}, total, n FROM {_NEW_CELLS}
        WHERE true ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (indicator_id, ancestor_id, depth, level, first_month, last_month)
        DO UPDATE SET total = r.total + EXCLUDED.total, n = r.n + EXCLUDED.n
        """  # noqa: S608
    )
    cells = int(cursor.rowcount)
    cursor.execute(f"DROP TABLE {_NEW_CELLS}")
    cursor.execute("SELECT set_config('jit', %s, true)", [jit])
    return cells


# A sum as the database gives it (SQLite: a float for fractions), to the rollup's places.
_PLACES = Rollup._meta.get_field("total").decimal_places


@dataclass(frozen=True)
class Difference:
    indicator_id: int
    ancestor_id: int
    depth: int
    period: str
    stored: tuple[Decimal, int] | None
    fresh: tuple[Decimal, int] | None

    def __str__(self) -> str:
        return (
            f"KPI {self.indicator_id}, region {self.ancestor_id or 'KZ'}, depth {self.depth}, {self.period}: "
            f"rollup {self._show(self.stored)}, values {self._show(self.fresh)}"
        )

    @staticmethod
    def _show(cell: tuple[Decimal, int] | None) -> str:
        return "none" if cell is None else f"{cell[0]} in {cell[1]} value(s)"


def differences(indicator_ids: Iterable[int] | None = None) -> list[Difference]:
    """Every rollup row that differs from the same row computed from the values now."""
    ids = sorted(set(indicator_ids)) if indicator_ids is not None else None
    fresh_sql, params = _fresh_sql(ids)
    only = f"AND indicator_id IN ({', '.join(['%s'] * len(ids))})" if ids else ""
    own_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if own_snapshot:
            # Both sides from one snapshot, so a write in between is no difference.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute(f"SELECT {_COLUMNS} FROM initiatives_rollup WHERE n <> 0 {only}", params)  # noqa: S608
        stored = {tuple(row[:6]): (decimal_read(row[6], _PLACES), row[7]) for row in cursor.fetchall()}
        cursor.execute(fresh_sql, params)
        fresh = {tuple(row[:6]): (decimal_read(row[6], _PLACES), row[7]) for row in cursor.fetchall()}
    out = []
    for key in sorted(stored.keys() | fresh.keys()):
        mine, theirs = stored.get(key), fresh.get(key)
        if mine is None or theirs is None or mine[1] != theirs[1] or mine[0] != theirs[0]:
            indicator_id, ancestor_id, depth, _level, first, last = key
            period = str(Month.from_index(first)) + ("" if first == last else f"/{Month.from_index(last)}")
            out.append(Difference(indicator_id, ancestor_id, depth, period, mine, theirs))
    return out
