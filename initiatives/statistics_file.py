"""Reading a legal-statistics file (brief section 4) and checking every row of it.

    region,period,indicator,value
    710000000,2025-01/2025-09,crime.registered,11616

The file is streamed into a staging table as text, then checked there by set-based SQL,
so neither time nor memory is spent per row in Python and a file of millions of rows
costs what the database needs to read it. Python looks at what is small: each distinct
period and KPI code once, and the rows found wrong, to say why.

Nothing here writes to the values: the result is either the checked rows, left in the
staging table for the import to write, or every problem found, each with its line,
column and reason.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from projectoffice.tabular import RowError
from regions.models import Region

from .models import ApprovalState, Indicator, IndicatorSource, Unit, Value, ValueSource
from .periods import Month, Period, PeriodError
from .statistics_staging import (
    CHECKED,
    INDICATORS,
    PERIODS,
    RAW,
    temporary,
)

MAX_DECIMAL_PLACES = 4
MAX_INTEGER_DIGITS = 16
# Reported problems stop here; the count of all of them is still given.
MAX_REPORTED_ERRORS = 1000
# ASCII digits only: the database's check (PLAIN_NUMBER) must accept exactly what this does.
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# The same rule in SQL (POSIX regex on PostgreSQL, Python's on SQLite): a plain number
# with at most 16 digits before the point (leading zeros aside) and 4 after.
PLAIN_NUMBER = rf"^0*[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?$"
# Units whose values are counted, so never fractional.
WHOLE_UNITS = frozenset({Unit.COUNT, Unit.PEOPLE})


# Problems of a row, one bit each (a row can have several; each counts as one problem).
EXTRA, REGION, INDICATOR, PERIOD, VALUE, NOT_EXISTING, DUPLICATE = 1, 2, 4, 8, 16, 32, 64

# Memory of the database server for the hashes of one import (PostgreSQL's default is 4MB).
WORK_MEM = "64MB"
# Distinct periods or KPI codes written to their small tables per statement.
DISTINCT_BATCH = 5_000


@dataclass
class CheckResult:
    errors: list[RowError]
    error_count: int
    total: int


def parse_value(text: str) -> Decimal:
    """A non-negative number written plainly: 11616 or 92.5. ValueError says why not."""
    if not text:
        raise ValueError(_("the value is empty"))
    if _NUMBER.match(text):
        integer, _dot, fraction = text.partition(".")
        if len(fraction) > MAX_DECIMAL_PLACES:
            raise ValueError(
                _("%(value)s has more than %(places)s decimal places") % {"value": text, "places": MAX_DECIMAL_PLACES}
            )
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ValueError(_("%(value)s is too large") % {"value": text})
        return Decimal(text)
    try:
        number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a number") % {"value": text}) from None
    if number.is_finite() and number < 0:
        raise ValueError(_("%(value)s is negative; values cannot be below zero") % {"value": text})
    raise ValueError(
        _("%(value)r: write numbers with a dot for decimals and no thousands separators, e.g. 11616 or 92.5")
        % {"value": text}
    )


def _distinct(cursor: CursorWrapper, column: str) -> list[str]:
    """The distinct texts of a staged column, in one scan of the staged file. A sane file
    has a few dozen; a broken one with a different text on every line holds them all here,
    as the checks of each would anyway."""
    cursor.execute(f"SELECT DISTINCT {column} FROM {RAW}")  # noqa: S608 - our names
    return [text for (text,) in cursor.fetchall()]


def _adapt(value: Any) -> Any:
    """A parameter as the ORM would store it (SQLite keeps dates as text)."""
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _stage_periods(cursor: CursorWrapper) -> None:
    """Each distinct period text once: its first and last month and last day, or why not."""
    temporary(
        cursor,
        PERIODS,
        "(text text NOT NULL, period_start date, period_end date, last_day date, problem text NOT NULL)",
    )
    this_month = Month.from_date(timezone.localdate())
    insert = f"INSERT INTO {PERIODS} (text, period_start, period_end, last_day, problem) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    rows: list[tuple[Any, ...]] = []
    for text in _distinct(cursor, "period"):
        try:
            period = Period.parse(text)
        except PeriodError as exc:
            rows.append((text, None, None, None, str(exc)))
            continue
        problem = _("%(period)s has not ended yet") % {"period": period} if this_month < period.end else ""
        rows.append((text, *map(_adapt, (period.first_day, period.end.first_day, period.last_day)), problem))
        if len(rows) >= DISTINCT_BATCH:
            cursor.executemany(insert, rows)
            rows.clear()
    if rows:
        cursor.executemany(insert, rows)


def _stage_indicators(cursor: CursorWrapper, agency_code: str | None) -> None:
    """Each distinct KPI code once: its id, whether it counts, and why it may not be imported."""
    temporary(cursor, INDICATORS, "(text text NOT NULL, id bigint, whole integer NOT NULL, problem text NOT NULL)")
    catalogue = {
        code: (pk, formula, source, unit, owner)
        for code, pk, formula, source, unit, owner in Indicator.objects.values_list(
            "code", "pk", "numerator", "source", "unit", "owner_agency__code"
        )
    }
    rows: list[tuple[Any, ...]] = []
    for code in _distinct(cursor, "indicator"):
        found = catalogue.get(code)
        if found is None:
            rows.append((code, None, 0, _("unknown indicator %(code)r") % {"code": code}))
            continue
        pk, formula, source, unit, owner = found
        problem = ""
        if formula is not None:
            problem = _("%(code)s is computed from its formula; import its numerator and denominator instead") % {
                "code": code
            }
        elif agency_code is not None and owner != agency_code:
            problem = _("%(code)s is kept by %(owner)s; a token of %(agency)s may not import it") % {
                "code": code,
                "owner": owner,
                "agency": agency_code,
            }
        elif source == IndicatorSource.COORDINATOR_REPORTS:
            problem = _(
                "%(code)s is reported by regional coordinators and reviewed; it is not imported as statistics"
            ) % {"code": code}
        elif source == IndicatorSource.REGISTER:
            problem = _("%(code)s is counted from a register; it is not imported as statistics") % {"code": code}
        rows.append((code, pk, int(unit in WHOLE_UNITS), problem))
    for start in range(0, len(rows), DISTINCT_BATCH):
        cursor.executemany(
            f"INSERT INTO {INDICATORS} (text, id, whole, problem) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows[start : start + DISTINCT_BATCH],
        )


def check_staged(*, agency_code: str | None = None) -> CheckResult:
    """Check every staged row at once; the good ones land in the CHECKED table as
    (line, indicator_id, region_id, period_start, period_end, value), problems = 0, each
    with the stored value it would replace (value_id, stored_source, unchanged).

    `agency_code`: an agency's system is importing, and may import only the KPIs its
    agency keeps."""
    region_table = Region._meta.db_table
    postgres = connection.vendor == "postgresql"
    number = "numeric(20, 4)" if postgres else "NUMERIC"
    # Subqueries stay subqueries (an "optimisation fence"): flattened, each expression
    # would be computed again wherever the outer query names its result (6 times a row).
    fence = "OFFSET 0" if postgres else "LIMIT -1 OFFSET 0"
    if postgres:
        # A simple pattern and two lengths cost a third of one bounded pattern.
        plain = (
            "value ~ '^[0-9]+(\\.[0-9]+)?$' AND length(ltrim(split_part(value, '.', 1), '0')) <= %s "
            "AND length(split_part(value, '.', 2)) <= %s"
        )
        plain_params: list[Any] = [MAX_INTEGER_DIGITS, MAX_DECIMAL_PLACES]
    else:
        plain, plain_params = "value REGEXP %s", [PLAIN_NUMBER]
    with connection.cursor() as cursor:
        if postgres:
            # Hashing a million keys (duplicates, matching) in memory rather than in 50
            # batches on disk; for this transaction only.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        _stage_periods(cursor)
        _stage_indicators(cursor, agency_code)
        # One pass over the rows: each of the lookups is a join with a small table.
        # Whether the region existed, and duplicates, are asked only of rows without
        # another problem, as a person would read them.
        cursor.execute(f"DROP TABLE IF EXISTS {CHECKED}")
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {CHECKED} {"ON COMMIT DROP" if postgres else ""} AS
            SELECT rows.line, rows.indicator_id, rows.region_id, rows.period_start, rows.period_end, rows.value,
                   rows.problems + CASE WHEN rows.problems = 0
                       AND NOT ((valid_from IS NULL OR valid_from <= last_day)
                                AND (valid_to IS NULL OR valid_to >= rows.period_start))
                     THEN {NOT_EXISTING} ELSE 0 END AS problems,
                   CAST(NULL AS integer) AS first_line,
                   -- The stored value the row would replace, matched in the same pass.
                   v.id AS value_id, v.source AS stored_source,
                   CASE WHEN v.id IS NOT NULL AND v.value = rows.value AND v.approval_state = %s AND v.source = %s
                        THEN 1 ELSE 0 END AS unchanged
            FROM (
              SELECT s.line, i.id AS indicator_id, r.id AS region_id, p.period_start, p.period_end, p.last_day,
                     r.valid_from, r.valid_to, s.value,
                     CASE WHEN s.extra > 0 THEN {EXTRA} ELSE 0 END
                     + CASE WHEN r.id IS NULL THEN {REGION} ELSE 0 END
                     + CASE WHEN i.id IS NULL OR i.problem <> '' THEN {INDICATOR} ELSE 0 END
                     + CASE WHEN p.problem <> '' THEN {PERIOD} ELSE 0 END
                     + CASE WHEN s.value IS NULL OR (i.whole = 1 AND s.value <> round(s.value))
                         THEN {VALUE} ELSE 0 END AS problems
              FROM (SELECT line, region, period, indicator, extra,
                           CASE WHEN {plain} THEN CAST(value AS {number}) END AS value
                    FROM {RAW} {fence}) s
              JOIN {PERIODS} p ON p.text = s.period
              JOIN {INDICATORS} i ON i.text = s.indicator
              LEFT JOIN {region_table} r ON r.kato = s.region
              {fence}
            ) rows
            LEFT JOIN {Value._meta.db_table} v
              ON v.indicator_id = rows.indicator_id AND v.region_id = rows.region_id
             AND v.period_start = rows.period_start AND v.period_end = rows.period_end
            """,  # noqa: S608 - names are ours
            [ApprovalState.APPROVED, ValueSource.IMPORT, *plain_params],
        )
        key = "indicator_id, region_id, period_start, period_end"
        cursor.execute(
            f"""
            UPDATE {CHECKED} SET problems = {DUPLICATE}, first_line = d.first_line
            FROM (SELECT {key}, min(line) AS first_line FROM {CHECKED} WHERE problems = 0
                  GROUP BY {key} HAVING count(*) > 1) d
            WHERE {CHECKED}.problems = 0 AND {CHECKED}.line <> d.first_line
              AND ({CHECKED}.indicator_id, {CHECKED}.region_id, {CHECKED}.period_start, {CHECKED}.period_end)
                = (d.indicator_id, d.region_id, d.period_start, d.period_end)
            """  # noqa: S608 - names are ours
        )
        bits = " + ".join(
            f"CASE WHEN problems & {bit} <> 0 THEN 1 ELSE 0 END"
            for bit in (EXTRA, REGION, INDICATOR, PERIOD, VALUE, NOT_EXISTING, DUPLICATE)
        )
        cursor.execute(f"SELECT count(*), COALESCE(sum({bits}), 0) FROM {CHECKED}")  # noqa: S608
        total, error_count = cursor.fetchone()
        errors = _explain(cursor) if error_count else []
    return CheckResult(errors=errors, error_count=int(error_count), total=int(total))


def _explain(cursor: CursorWrapper) -> list[RowError]:
    """Why each of the first wrong rows is wrong, in the words the file's author needs."""
    cursor.execute(
        f"""
        SELECT c.line, c.problems, c.first_line, s.region, s.period, s.value, i.problem, p.problem,
               r.valid_from, r.valid_to
        FROM {CHECKED} c JOIN {RAW} s ON s.line = c.line
        JOIN {INDICATORS} i ON i.text = s.indicator JOIN {PERIODS} p ON p.text = s.period
        LEFT JOIN {Region._meta.db_table} r ON r.kato = s.region
        WHERE c.problems <> 0 ORDER BY c.line LIMIT {MAX_REPORTED_ERRORS}
        """  # noqa: S608 - names are ours
    )
    errors: list[RowError] = []
    for (
        line,
        problems,
        first_line,
        region,
        period,
        value,
        indicator_problem,
        period_problem,
        *validity,
    ) in cursor.fetchall():
        if problems & EXTRA:
            errors.append(RowError(line, "", _("more values than columns in the header")))
        if problems & REGION:
            message = _("unknown region %(code)r (a 9-digit KATO code)") % {"code": region}
            errors.append(RowError(line, "region", message))
        if problems & INDICATOR:
            errors.append(RowError(line, "indicator", indicator_problem))
        if problems & PERIOD:
            errors.append(RowError(line, "period", period_problem))
        if problems & VALUE:
            try:
                parse_value(value)
            except ValueError as exc:
                errors.append(RowError(line, "value", str(exc)))
            else:
                errors.append(RowError(line, "value", _("%(value)s: a count is a whole number") % {"value": value}))
        if problems & NOT_EXISTING:
            valid_from, valid_to = (_date(d) for d in validity)
            errors.append(
                RowError(
                    line,
                    "region",
                    _("%(code)s did not exist during %(period)s (valid %(from)s to %(to)s)")
                    % {
                        "code": region,
                        "period": Period.parse(period),
                        "from": valid_from or "…",
                        "to": valid_to or "…",
                    },
                )
            )
        if problems & DUPLICATE:
            errors.append(
                RowError(line, "", _("the same region, period and indicator as line %(line)s") % {"line": first_line})
            )
    return errors[:MAX_REPORTED_ERRORS]


def _date(value: object) -> datetime.date | None:
    """A date read by raw SQL (SQLite hands back text)."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))
