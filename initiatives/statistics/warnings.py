"""What looks wrong in a checked file without being refused: the import's warnings.

Asked only of rows that change a stored value (new, or different: `unchanged = 0` in the
checked table), after every row passed the checks (`file.py`), set-based on the staged
tables, like the checks. A warning never refuses a file by itself; a strict import does
(`services.py`). Each is stored as code and params, as the problems are.

- `unusual_value`: a monthly count (a KPI whose unit is a count: flows that follow a
  season and add up, where an extra or a missing zero shows) far from the same months of
  past years. The modified z-score (Iglewicz & Hoaglin) 0.6745 * (x - median) / MAD, the
  median and MAD taken over the stored approved values of the same KPI and region in the
  same calendar month and the two beside it, one to five years back, beyond
  `settings.IMPORT_WARNING_Z` either way; only when those values come from at least
  three of the past years. When the MAD is 0 (most of those months alike), the scale is
  the mean absolute deviation x 1.2533 instead of MAD / 0.6745; when that is 0 too (every
  past value the same), nothing is said: with no spread at all, any change would warn.
  Rates, shares and people are left alone: their spread is not a count's.
- `relation_broken`: KPIs that are parts of another (the catalogue's `part_of`,
  `selectors/kpi_relations.py`) adding up to more than their whole, or, where the parts
  add up to it exactly and every part is known, to anything else; and districts (the
  regions one level down) whose figures add up to more than their region's own, for a KPI
  that adds up over regions. Each figure is the file's, else the stored approved one.

PostgreSQL sorts each row's past values into an array in one pass (a KPI at a time) and
reads the median from its middle; the MAD (`percentile_cont` of the deviations) is
computed only for the rows a cheap floor of it cannot clear (`_unusual_in_postgres`).
SQLite has no median, and the few past values of each row are brought to Python instead:
the same figures, as floats on both (whole counts: exact), the same test; a test runs the
same file on both. What it costs at a million rows: docs/performance.md.
"""

import datetime
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils.translation import gettext_lazy

from projectoffice.numbers import exact_text
from projectoffice.tabular import RowError, problems_register
from regions.models import Region

from ..models import Aggregation, ApprovalState, Indicator, Unit, Value
from ..selectors.kpi_relations import kpi_relations
from .file import WORK_MEM
from .staging import CHECKED, WARNING_TABLES

# Warnings kept with the import (the count says how many there were).
MAX_REPORTED_WARNINGS = 1000
# Memory of the database server for the warnings' joins and sorts (a dozen past values for
# each of a million rows), for their statements only: the import's own go back to WORK_MEM.
WARNINGS_WORK_MEM = "256MB"

problems_register(
    {
        "unusual_value": gettext_lazy(
            "%(value)s is far from the same months of past years (usual range %(low)s to %(high)s); "
            "check it is not mistyped"
        ),
        "relation_broken": gettext_lazy(
            "%(kpi)s: its parts (the KPIs it is made of, or its districts) add up to %(parts)s, "
            "but it is %(whole)s here"
        ),
    }
)

# The scale of a spread from its median absolute deviation, and from its mean absolute
# deviation when the MAD is 0 (Iglewicz & Hoaglin, 1993).
MAD_FACTOR = 0.6745
MEAN_AD_FACTOR = 1.2533
# Past values from at least this many years, or no test.
MIN_PAST_YEARS = 3
# How far back, in years, and the months beside the same one on either side.
YEARS_BACK = 5
# Months back from a row's month: the same month and the two beside it, 1 to 5 years back.
_MONTHS_BACK = tuple(12 * k + d for k in range(1, YEARS_BACK + 1) for d in (-1, 0, 1))

CANDIDATES, PAST, UNUSUAL, RELATIONS, SUMS, CHECKS, MISSING, BROKEN = WARNING_TABLES


@dataclass
class WarningsFound:
    warnings: list[RowError]
    count: int


def check_warnings() -> WarningsFound:
    """The warnings of the checked rows (the first MAX_REPORTED_WARNINGS, by line) and how
    many there are. Reads the CHECKED table `file.check_staged` left; writes only
    temporary tables of its own."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The checked rows were never analysed: without their figures the planner takes
            # a million rows for one and joins them by nested loops.
            cursor.execute(f"ANALYZE {CHECKED}")
            cursor.execute(f"SET LOCAL work_mem = '{WARNINGS_WORK_MEM}'")
            # Compiling the plans of these one-off statements cost more than running them
            # (1.3 s of 5 for a hundred thousand rows).
            cursor.execute("SET LOCAL jit = off")
        unusual = _unusual_values(cursor)
        broken = _relations_broken(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = DEFAULT")
    found = sorted([*unusual.warnings, *broken.warnings], key=lambda w: (w.line, w.code))
    return WarningsFound(found[:MAX_REPORTED_WARNINGS], unusual.count + broken.count)


def _month(column: str) -> str:
    """A date column as a month number (year * 12 + month), on either database."""
    if connection.vendor == "postgresql":
        return f"(CAST(EXTRACT(YEAR FROM {column}) AS integer) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS integer))"
    return f"(CAST(substr({column}, 1, 4) AS integer) * 12 + CAST(substr({column}, 6, 2) AS integer))"


def _figure(number: Any) -> str:
    """A figure as the file would write it: 4100, 92.5."""
    return exact_text(Decimal(str(number)), 0)


def _float(column: str) -> str:
    """A figure as a float on PostgreSQL: compared and sorted many times over, where a
    numeric is slow; a count is exact either way (Python's floats on SQLite)."""
    return f"CAST({column} AS float8)" if connection.vendor == "postgresql" else column


def _create(cursor: CursorWrapper, name: str, select: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> None:
    """A temporary table of this transaction (as the checked rows are) from a query."""
    postgres = connection.vendor == "postgresql"
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} {'ON COMMIT DROP' if postgres else ''} AS {select}", params)


def _unusual_values(cursor: CursorWrapper) -> WarningsFound:
    postgres = connection.vendor == "postgresql"
    indicator_table = Indicator._meta.db_table
    _create(
        cursor,
        CANDIDATES,
        f"""
        SELECT c.line, c.indicator_id, c.region_id, {_month("c.period_start")} AS month, {_float("c.value")} AS value
        FROM {CHECKED} c
        WHERE c.problems = 0 AND c.unchanged = 0 AND c.period_start = c.period_end
          AND c.indicator_id IN (SELECT id FROM {indicator_table} WHERE unit = %s)
        """,  # noqa: S608 - names are ours
        [Unit.COUNT],
    )
    cursor.execute(f"SELECT min(month), max(month) FROM {CANDIDATES}")  # noqa: S608
    first, last = cursor.fetchone()
    if first is None:
        return WarningsFound([], 0)
    # The stored months any row could look back to, read once for the file's KPIs and regions.
    _create(
        cursor,
        PAST,
        f"""
        SELECT v.indicator_id, v.region_id, {_month("v.period_start")} AS month, {_float("v.value")} AS value
        FROM {Value._meta.db_table} v
        WHERE v.period_start = v.period_end AND v.approval_state = %s
          AND v.period_start >= %s AND v.period_start <= %s
          AND EXISTS (SELECT 1 FROM {CANDIDATES} c WHERE c.indicator_id = v.indicator_id AND c.region_id = v.region_id)
        """,  # noqa: S608 - names are ours
        [
            ApprovalState.APPROVED,
            connection.ops.adapt_datefield_value(_first_day(int(first) - max(_MONTHS_BACK))),
            connection.ops.adapt_datefield_value(_first_day(int(last) - min(_MONTHS_BACK))),
        ],
    )
    z = float(settings.IMPORT_WARNING_Z)
    if postgres:
        # A KPI at a time below: each KPI's rows and past values found by an index, not by
        # reading all of them again.
        cursor.execute(f"CREATE INDEX ON {CANDIDATES} (indicator_id)")
        cursor.execute(f"CREATE INDEX ON {PAST} (indicator_id)")
        cursor.execute(f"ANALYZE {CANDIDATES}")  # plan the join below by the rows, not a guess
        cursor.execute(f"ANALYZE {PAST}")
        rows, count = _unusual_in_postgres(cursor, z)
    else:
        rows, count = _unusual_in_python(cursor, z)
    warnings = []
    for line, value, median, scale in rows:
        low, high = max(0.0, median - z * scale), median + z * scale
        warnings.append(
            RowError.of(
                line,
                "value",
                "unusual_value",
                value=_figure(value),
                low=math.ceil(low - 1e-9),
                high=math.floor(high + 1e-9),
            )
        )
    return WarningsFound(warnings, count)


def _first_day(month: int) -> datetime.date:
    year, index = divmod(month - 1, 12)
    return datetime.date(year, index + 1, 1)


def _z(value: float, median: float, mad: float, mean_ad: float) -> tuple[float, float] | None:
    """The modified z-score of `value` and the scale it used; None when the past values have
    no spread at all. The same arithmetic as `_SQL_Z`, in the same order."""
    if mad > 0:
        return MAD_FACTOR * (value - median) / mad, mad / MAD_FACTOR
    if mean_ad > 0:
        return (value - median) / (MEAN_AD_FACTOR * mean_ad), MEAN_AD_FACTOR * mean_ad
    return None


def _neighbours(where: str = "", past_where: str = "") -> str:
    """Each candidate row's past values: (line, its own value, how many years back, a past
    value); `where`: which candidate rows (`c`)."""
    offsets = " UNION ALL ".join(f"SELECT {back} AS back" for back in _MONTHS_BACK)
    # The months looked back to, worked out first (a subquery kept as such), so the stored
    # values are found by one hash of their whole key.
    fence = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    return f"""
        SELECT x.line, x.own, x.years_back, p.value
        FROM (SELECT c.line, c.value AS own, c.indicator_id, c.region_id, c.month - o.back AS month,
                     (o.back + 1) / 12 AS years_back
              FROM {CANDIDATES} c CROSS JOIN ({offsets}) o {where} {fence}) x
        JOIN {PAST} p ON p.indicator_id = x.indicator_id AND p.region_id = x.region_id AND p.month = x.month
          {past_where}
    """  # noqa: S608 - names are ours


def _unusual_in_python(cursor: CursorWrapper, z: float) -> tuple[list[tuple[int, Any, float, float]], int]:
    """SQLite: each row's few past values to Python, in one query."""
    cursor.execute(f"SELECT line, years_back, value, own FROM ({_neighbours()}) n ORDER BY line")  # noqa: S608
    past: dict[int, tuple[Any, set[int], list[float]]] = {}
    for line, years_back, value, own in cursor.fetchall():
        entry = past.setdefault(line, (own, set(), []))
        entry[1].add(int(years_back))
        entry[2].append(float(value))
    warned: list[tuple[int, Any, float, float]] = []
    for line, (own, years, values) in sorted(past.items()):
        if len(years) < MIN_PAST_YEARS:
            continue
        median = statistics.median(values)
        deviations = [abs(v - median) for v in values]
        scored = _z(float(own), median, statistics.median(deviations), sum(deviations) / len(deviations))
        if scored is not None and abs(scored[0]) > z:
            warned.append((line, own, median, scored[1]))
    return warned[:MAX_REPORTED_WARNINGS], len(warned)


# Windows of half a row's past values, sorted, for their narrowest span (`_unusual_in_postgres`).
_SPANS = ", ".join(f"a[{i} + h - 1] - a[{i}]" for i in range(1, len(_MONTHS_BACK) + 1))


def _unusual_in_postgres(cursor: CursorWrapper, z: float) -> tuple[list[tuple[int, Any, float, float]], int]:
    """Each row's past values sorted into an array in one pass; its median read from the
    middle. The MAD (a sort of the deviations) is computed only where it could matter: at
    least half the values lie within a MAD of the median, so the MAD is at least half the
    narrowest span of half the sorted values, and a row within Z of that floor cannot warn.
    The rest (a few, or those whose past is mostly one figure) are scored exactly."""
    # The stored values hashed by their key (a merge join sorted fifteen copies of each row).
    cursor.execute("SET LOCAL enable_mergejoin = off")
    # The rows' past values sorted once, by row and value, for the aggregate to take them
    # in that order: the arrays come out sorted without a sort for each row (temporary
    # tables are never read by parallel workers, which could interleave them). A KPI at a
    # time, so the hash and the sort stay in memory (a million rows spilled both to disk).
    cursor.execute(f"DROP TABLE IF EXISTS {UNUSUAL}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {UNUSUAL} (line integer, value float8, median float8, scale float8) ON COMMIT DROP"
    )
    cursor.execute(f"SELECT DISTINCT indicator_id FROM {CANDIDATES}")  # noqa: S608
    for (kpi,) in cursor.fetchall():
        _unusual_of_kpi(cursor, z, kpi)
    cursor.execute("SET LOCAL enable_mergejoin = on")
    cursor.execute(f"SELECT count(*) FROM {UNUSUAL}")  # noqa: S608
    (count,) = cursor.fetchone()
    cursor.execute(f"SELECT line, value, median, scale FROM {UNUSUAL} ORDER BY line LIMIT {MAX_REPORTED_WARNINGS}")  # noqa: S608
    return [(line, value, float(median), float(scale)) for line, value, median, scale in cursor.fetchall()], int(count)


def _unusual_of_kpi(cursor: CursorWrapper, z: float, kpi: int) -> None:
    # The KPI named on both sides: the planner does not carry it across the kept subquery.
    of_kpi = _neighbours("WHERE c.indicator_id = %(kpi)s", "AND p.indicator_id = %(kpi)s")
    cursor.execute(
        f"""
        INSERT INTO {UNUSUAL} (line, value, median, scale)
        WITH pasts AS (
          SELECT line, own, array_agg(value) AS a, bit_or(1 << years_back) AS years
          FROM (SELECT line, own, years_back, value FROM ({of_kpi}) n
                WHERE n.value IS NOT NULL ORDER BY line, own, value) sorted
          GROUP BY line, own
        ), middles AS (
          SELECT line, own, a, (cardinality(a) + 1) / 2 AS h,
                 (a[(cardinality(a) + 1) / 2] + a[(cardinality(a) + 2) / 2]) / 2 AS median
          FROM pasts
          WHERE (years >> 1 & 1) + (years >> 2 & 1) + (years >> 3 & 1) + (years >> 4 & 1) + (years >> 5 & 1)
                >= %(years)s
        ), doubtful AS (
          SELECT line, own, a, median FROM middles
          WHERE own <> median AND abs(own - median) * %(mad_factor)s >= %(z)s * LEAST({_SPANS}) / 2 * 0.999999
        ), scored AS (
          SELECT line, own, median,
                 (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(u - median)) FROM unnest(a) u) AS mad,
                 (SELECT sum(abs(u - median)) / count(*) FROM unnest(a) u) AS mean_ad
          FROM doubtful
        )
        SELECT line, own AS value, median,
               CASE WHEN mad > 0 THEN mad / %(mad_factor)s ELSE %(mean_factor)s * mean_ad END AS scale
        FROM scored
        WHERE CASE WHEN mad > 0 THEN abs(%(mad_factor)s * (own - median) / mad) > %(z)s
                   WHEN mean_ad > 0 THEN abs((own - median) / (%(mean_factor)s * mean_ad)) > %(z)s
                   ELSE false END
        """,  # noqa: S608 - names are ours
        {"years": MIN_PAST_YEARS, "mad_factor": MAD_FACTOR, "mean_factor": MEAN_AD_FACTOR, "z": z, "kpi": kpi},
    )


def _relations_broken(cursor: CursorWrapper) -> WarningsFound:
    """Parts above their whole (or off an exact whole), and districts above their region.

    Every check is a whole (a KPI of a region and period) and its parts: the KPIs it is
    made of (kind 1), or the same KPI in the regions one level down (kind 2). The file's
    parts are summed by whole in one pass; the checks kept are those a changed row takes
    part in, and the stored figures are looked up only for what the file lacks (the whole,
    or parts of a whole that is known), by their key."""
    indicator_table, region_table = Indicator._meta.db_table, Region._meta.db_table
    value_table = Value._meta.db_table
    pairs = [(whole, part, int(exact)) for whole, parts, exact in kpi_relations() for part in parts]
    relation_rows = " UNION ALL ".join(
        ["SELECT %s AS whole, %s AS part, %s AS exact" for _pair in pairs]
        or ["SELECT '' AS whole, '' AS part, 0 AS exact"]
    )
    _create(
        cursor,
        RELATIONS,
        f"""
        SELECT w.id AS whole_id, p.id AS part_id, r.exact FROM ({relation_rows}) r
        JOIN {indicator_table} w ON w.code = r.whole JOIN {indicator_table} p ON p.code = r.part
        """,  # noqa: S608 - names are ours
        [x for pair in pairs for x in pair],
    )
    key = (
        "{a}.indicator_id = {b}.indicator_id AND {a}.region_id = {b}.region_id "
        "AND {a}.period_start = {b}.period_start AND {a}.period_end = {b}.period_end"
    )
    period = "{a}.period_start = {b}.period_start AND {a}.period_end = {b}.period_end"
    summed = f"c.indicator_id IN (SELECT id FROM {indicator_table} WHERE aggregation_regions = %s)"  # noqa: S608
    # The parts the file holds, summed by whole: KPIs by the KPI they make up (kind 1), a
    # KPI's districts by their region (kind 2); one pass over the rows each.
    _create(
        cursor,
        SUMS,
        f"""
        SELECT 1 AS kind, r.whole_id AS kpi, c.region_id, c.period_start, c.period_end, sum(c.value) AS parts,
               count(*) AS known, max(1 - c.unchanged) AS changed, min(c.line) AS first_part_line
        FROM {CHECKED} c JOIN {RELATIONS} r ON r.part_id = c.indicator_id
        WHERE c.problems = 0 GROUP BY r.whole_id, c.region_id, c.period_start, c.period_end
        UNION ALL
        SELECT 2, c.indicator_id, g.parent_id, c.period_start, c.period_end, sum(c.value), count(*),
               max(1 - c.unchanged), min(c.line)
        FROM {CHECKED} c JOIN {region_table} g ON g.id = c.region_id
        WHERE c.problems = 0 AND g.parent_id IS NOT NULL AND {summed}
        GROUP BY c.indicator_id, g.parent_id, c.period_start, c.period_end
        """,  # noqa: S608 - names are ours
        [Aggregation.SUM],
    )
    # Wholes the file changes without any of their parts: their parts are the stored ones.
    cursor.execute(
        f"""
        INSERT INTO {SUMS} (kind, kpi, region_id, period_start, period_end, parts, known, changed, first_part_line)
        SELECT w.kind, c.indicator_id, c.region_id, c.period_start, c.period_end, NULL, 0, 0, NULL
        FROM {CHECKED} c JOIN (
          SELECT 1 AS kind, whole_id AS indicator_id, NULL AS region_id FROM {RELATIONS}
          UNION SELECT 2, i.id, NULL FROM {indicator_table} i WHERE i.aggregation_regions = %s
        ) w ON w.indicator_id = c.indicator_id
        WHERE c.problems = 0 AND c.unchanged = 0
          AND (w.kind = 1 OR c.region_id IN (SELECT parent_id FROM {region_table} WHERE parent_id IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM {SUMS} s WHERE s.kind = w.kind AND s.kpi = c.indicator_id
                            AND s.region_id = c.region_id AND {period.format(a="s", b="c")})
        """,  # noqa: S608 - names are ours
        [Aggregation.SUM],
    )
    # The checks a changed row takes part in, with the whole's figure (the file's, else the
    # stored one, looked up only when the file lacks it) and how many parts it has.
    _create(
        cursor,
        CHECKS,
        f"""
        SELECT s.kind, s.kpi, s.region_id, s.period_start, s.period_end, s.parts, s.known, s.first_part_line,
               f.line AS whole_line,
               COALESCE(f.value, (SELECT v.value FROM {value_table} v WHERE v.indicator_id = s.kpi
                                    AND v.region_id = s.region_id AND {period.format(a="v", b="s")}
                                    AND v.approval_state = %s)) AS whole,
               COALESCE(h.parts_in_all, d.children) AS parts_in_all, COALESCE(h.exact, 0) AS exact
        FROM {SUMS} s
        LEFT JOIN {CHECKED} f ON f.indicator_id = s.kpi AND f.region_id = s.region_id
          AND {period.format(a="f", b="s")} AND f.problems = 0
        LEFT JOIN (SELECT whole_id, count(*) AS parts_in_all, max(exact) AS exact FROM {RELATIONS} GROUP BY whole_id) h
          ON s.kind = 1 AND h.whole_id = s.kpi
        LEFT JOIN (SELECT parent_id, count(*) AS children FROM {region_table} WHERE parent_id IS NOT NULL
                   GROUP BY parent_id) d ON s.kind = 2 AND d.parent_id = s.region_id
        WHERE s.changed = 1 OR f.unchanged = 0
        """,  # noqa: S608 - names are ours
        [ApprovalState.APPROVED],
    )
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {CHECKS}")
    # The stored figures of the parts the file lacks, for the checks whose whole is known
    # (none, as a rule: then not even looked for).
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {CHECKS} WHERE whole IS NOT NULL AND known < parts_in_all)")  # noqa: S608
    lacking = bool(cursor.fetchone()[0])
    _create(
        cursor,
        MISSING,
        f"""
        SELECT * FROM (
        SELECT k.kind, k.kpi, k.region_id, k.period_start, k.period_end,
               sum(v.value) AS parts, count(v.value) AS known
        FROM {CHECKS} k
        JOIN (SELECT 1 AS kind, whole_id AS whole, part_id AS indicator_id, NULL AS parent_id FROM {RELATIONS}) r
          ON k.kind = 1 AND r.whole = k.kpi
        JOIN {value_table} v ON v.indicator_id = r.indicator_id AND v.region_id = k.region_id
          AND {period.format(a="v", b="k")} AND v.approval_state = %s
        WHERE k.whole IS NOT NULL AND k.known < k.parts_in_all
          AND NOT EXISTS (SELECT 1 FROM {CHECKED} f WHERE {key.format(a="f", b="v")} AND f.problems = 0)
        GROUP BY k.kind, k.kpi, k.region_id, k.period_start, k.period_end
        UNION ALL
        SELECT k.kind, k.kpi, k.region_id, k.period_start, k.period_end, sum(v.value), count(v.value)
        FROM {CHECKS} k JOIN {region_table} d ON k.kind = 2 AND d.parent_id = k.region_id
        JOIN {value_table} v ON v.indicator_id = k.kpi AND v.region_id = d.id
          AND {period.format(a="v", b="k")} AND v.approval_state = %s
        WHERE k.whole IS NOT NULL AND k.known < k.parts_in_all
          AND NOT EXISTS (SELECT 1 FROM {CHECKED} f WHERE {key.format(a="f", b="v")} AND f.problems = 0)
        GROUP BY k.kind, k.kpi, k.region_id, k.period_start, k.period_end
        ) lacking WHERE {"1 = 1" if lacking else "1 = 0"}
        """,  # noqa: S608 - names are ours
        [ApprovalState.APPROVED, ApprovalState.APPROVED],
    )
    _create(
        cursor,
        BROKEN,
        f"""
        SELECT kpi, whole, parts, line FROM (
          SELECT k.kpi, k.whole, k.exact, k.parts_in_all,
                 CASE WHEN k.parts IS NULL AND m.parts IS NULL THEN NULL
                      ELSE COALESCE(k.parts, 0) + COALESCE(m.parts, 0) END AS parts,
                 k.known + COALESCE(m.known, 0) AS known, COALESCE(k.whole_line, k.first_part_line) AS line
          FROM {CHECKS} k LEFT JOIN {MISSING} m ON m.kind = k.kind AND m.kpi = k.kpi AND m.region_id = k.region_id
            AND {period.format(a="m", b="k")}
          WHERE k.whole IS NOT NULL
        ) c
        WHERE parts IS NOT NULL AND (parts > whole OR (exact = 1 AND known = parts_in_all AND parts <> whole))
        """,  # noqa: S608 - names are ours
    )
    cursor.execute(f"SELECT count(*) FROM {BROKEN}")  # noqa: S608
    (count,) = cursor.fetchone()
    if not count:
        return WarningsFound([], 0)
    cursor.execute(
        f"SELECT b.line, i.code, b.parts, b.whole FROM {BROKEN} b "  # noqa: S608
        f"JOIN {indicator_table} i ON i.id = b.kpi ORDER BY b.line, i.code LIMIT {MAX_REPORTED_WARNINGS}"
    )
    warnings = [
        RowError.of(int(line), "value", "relation_broken", kpi=code, parts=_figure(parts), whole=_figure(whole))
        for line, code, parts, whole in cursor.fetchall()
    ]
    return WarningsFound(warnings, int(count))
