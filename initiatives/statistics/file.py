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
from django.utils.translation import gettext_lazy

from projectoffice.dates import iso_date
from projectoffice.tabular import RowError, problems_register
from regions.models import Region

from ..models import ApprovalState, Indicator, IndicatorSource, Unit, Value, ValueSource
from ..periods import ACCEPTED_FORMS, Period, PeriodError
from ..value_bound import MAX_DECIMAL_PLACES, MAX_INTEGER_DIGITS, VALUE_TOO_LARGE, value_too_large_params
from .staging import (
    CHECKED,
    INDICATORS,
    PERIODS,
    RAW,
    temporary,
)

# Reported problems stop here; the count of all of them is still given.
MAX_REPORTED_ERRORS = 1000
# ASCII digits only: the database's check (PLAIN_NUMBER) must accept exactly what this does.
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
# The same rule in SQL (POSIX regex on PostgreSQL, Python's on SQLite): a plain number
# with at most MAX_INTEGER_DIGITS before the point (leading zeros aside) and
# MAX_DECIMAL_PLACES after (initiatives/value_bound.py).
PLAIN_NUMBER = rf"^0*[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?$"


# Problems of a row, one bit each (a row can have several; each counts as one problem).
EXTRA, REGION, INDICATOR, PERIOD, VALUE, NOT_EXISTING, DUPLICATE = 1, 2, 4, 8, 16, 32, 64

# Memory of the database server for the hashes of one import (PostgreSQL's default is 4MB).
WORK_MEM = "64MB"
# Distinct periods or KPI codes written to their small tables per statement.
DISTINCT_BATCH = 5_000


def _period_words(params: Any) -> str:
    """Why the period text is wrong, said again in the reader's language."""
    try:
        Period.parse(str(params.get("period", "")))
    except PeriodError as exc:
        return str(exc)
    return str(gettext_lazy("%(input)r is not a period; use one of %(forms)s")) % {
        "input": params.get("period"),
        "forms": ACCEPTED_FORMS,
    }


problems_register(
    {
        "extra_cells": gettext_lazy("more values than columns in the header"),
        "unknown_region": gettext_lazy("unknown region %(code)r (a 9-digit KATO code)"),
        "region_not_existing": gettext_lazy("%(code)s did not exist during %(period)s (valid %(from)s to %(to)s)"),
        "unknown_indicator": gettext_lazy("unknown indicator %(code)r"),
        "computed_indicator": gettext_lazy(
            "%(code)s is computed from its formula; import its numerator and denominator instead"
        ),
        "indicator_of_another_agency": gettext_lazy(
            "%(code)s is kept by %(owner)s; a token of %(agency)s may not import it"
        ),
        "reported_indicator": gettext_lazy(
            "%(code)s is reported by regional coordinators and reviewed; it is not imported as statistics"
        ),
        "register_indicator": gettext_lazy("%(code)s is counted from a register; it is not imported as statistics"),
        "bad_period": _period_words,
        "period_not_ended": gettext_lazy("%(period)s has not ended yet"),  # the words of PeriodNotOver
        "empty_value": gettext_lazy("the value is empty"),
        "too_many_decimals": gettext_lazy("%(value)s has more than %(places)s decimal places"),
        "value_too_large": VALUE_TOO_LARGE,
        "not_a_number": gettext_lazy("%(value)r is not a number"),
        "negative_value": gettext_lazy("%(value)s is negative; values cannot be below zero"),
        "number_format": gettext_lazy(
            "%(value)r: write numbers with a dot for decimals and no thousands separators, e.g. 11616 or 92.5"
        ),
        "not_whole": gettext_lazy("%(value)s: a count is a whole number"),
        "duplicate_row": gettext_lazy("the same region, period and indicator as line %(line)s"),
    }
)


class ValueProblem(ValueError):
    """Why a value cannot be read: its problem code and params, and the words for them."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(RowError.of(0, "value", code, **params).message)


@dataclass
class CheckResult:
    errors: list[RowError]
    error_count: int
    total: int


def parse_value(text: str) -> Decimal:
    """A non-negative number written plainly: 11616 or 92.5. ValueProblem says why not."""
    if not text:
        raise ValueProblem("empty_value")
    if _NUMBER.match(text):
        integer, _dot, fraction = text.partition(".")
        if len(fraction) > MAX_DECIMAL_PLACES:
            raise ValueProblem("too_many_decimals", value=text, places=MAX_DECIMAL_PLACES)
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ValueProblem("value_too_large", **value_too_large_params(text))
        return Decimal(text)
    try:
        number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ValueProblem("not_a_number", value=text) from None
    if number.is_finite() and number < 0:
        raise ValueProblem("negative_value", value=text)
    raise ValueProblem("number_format", value=text)


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
    """Each distinct period text once: its first and last month and last day, or the code
    of why not."""
    temporary(
        cursor,
        PERIODS,
        "(text text NOT NULL, period_start date, period_end date, last_day date, problem text NOT NULL)",
    )
    today = timezone.localdate()
    insert = f"INSERT INTO {PERIODS} (text, period_start, period_end, last_day, problem) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    rows: list[tuple[Any, ...]] = []
    for text in _distinct(cursor, "period"):
        try:
            period = Period.parse(text)
        except PeriodError:
            rows.append((text, None, None, None, "bad_period"))
            continue
        problem = "" if period.is_over(today) else "period_not_ended"
        rows.append((text, *map(_adapt, (period.first_day, period.end.first_day, period.last_day)), problem))
        if len(rows) >= DISTINCT_BATCH:
            cursor.executemany(insert, rows)
            rows.clear()
    if rows:
        cursor.executemany(insert, rows)


def _stage_indicators(cursor: CursorWrapper, agency_code: str | None) -> None:
    """Each distinct KPI code once: its id, whether it counts, and the code of why it may
    not be imported (with the agency that keeps it, to say so)."""
    temporary(
        cursor,
        INDICATORS,
        "(text text NOT NULL, id bigint, whole integer NOT NULL, problem text NOT NULL, owner text)",
    )
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
            rows.append((code, None, 0, "unknown_indicator", None))
            continue
        pk, formula, source, unit, owner = found
        problem = ""
        if formula is not None:
            problem = "computed_indicator"
        elif agency_code is not None and owner != agency_code:
            problem = "indicator_of_another_agency"
        elif source == IndicatorSource.COORDINATOR_REPORTS:
            problem = "reported_indicator"
        elif source == IndicatorSource.REGISTER:
            problem = "register_indicator"
        rows.append((code, pk, int(Unit(unit).is_counted), problem, owner))
    for start in range(0, len(rows), DISTINCT_BATCH):
        cursor.executemany(
            f"INSERT INTO {INDICATORS} (text, id, whole, problem, owner) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
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
        errors = _explain(cursor, agency_code) if error_count else []
    return CheckResult(errors=errors, error_count=int(error_count), total=int(total))


def _explain(cursor: CursorWrapper, agency_code: str | None) -> list[RowError]:
    """Why each of the first wrong rows is wrong, in the words the file's author needs."""
    cursor.execute(
        f"""
        SELECT c.line, c.problems, c.first_line, s.region, s.period, s.indicator, s.value, i.problem, i.owner,
               p.problem, r.valid_from, r.valid_to
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
        indicator,
        value,
        indicator_problem,
        owner,
        period_problem,
        *dates,
    ) in cursor.fetchall():
        if problems & EXTRA:
            errors.append(RowError.of(line, "", "extra_cells"))
        if problems & REGION:
            errors.append(RowError.of(line, "region", "unknown_region", code=region))
        if problems & INDICATOR:
            params = {"code": indicator}
            if indicator_problem == "indicator_of_another_agency":
                params.update(owner=owner, agency=agency_code or "")
            errors.append(RowError.of(line, "indicator", indicator_problem, **params))
        if problems & PERIOD:
            errors.append(RowError.of(line, "period", period_problem, period=_period_label(period, period_problem)))
        if problems & VALUE:
            try:
                parse_value(value)
            except ValueProblem as exc:
                errors.append(RowError.of(line, "value", exc.code, **exc.params))
            else:
                errors.append(RowError.of(line, "value", "not_whole", value=value))
        if problems & NOT_EXISTING:
            valid_from, valid_to = (iso_date(d) for d in dates)  # read by raw SQL: SQLite hands back text
            errors.append(
                RowError.of(
                    line,
                    "region",
                    "region_not_existing",
                    code=region,
                    period=str(Period.parse(period)),
                    **{"from": str(valid_from or "…"), "to": str(valid_to or "…")},
                )
            )
        if problems & DUPLICATE:
            errors.append(RowError.of(line, "", "duplicate_row", line=first_line))
    return errors[:MAX_REPORTED_ERRORS]


def _period_label(text: str, problem: str) -> str:
    """The period as its problem names it: as written when it cannot be read, else as read."""
    return str(Period.parse(text)) if problem == "period_not_ended" else text
