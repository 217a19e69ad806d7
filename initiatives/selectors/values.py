"""Reads of KPI values: who may read which, their filters, and the list read shared by
`/api/v1/values/` (JSON and CSV) and the export worker.

The list fetches only the columns it returns (`VALUE_FIELDS`) and formats them without
model objects or serializers. `value_as_row` is the one formatting rule; it writes what
`ValueSerializer` writes (tests compare the two on generated data). On PostgreSQL a CSV
is written by the database itself (`COPY (SELECT ...) TO STDOUT`), with the same
formatting done in SQL, and streamed in chunks: memory stays flat whatever the rows.
"""

import csv
import datetime
import io
from collections.abc import Iterator, Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.access import is_project_office, scoped_to_user, within_regions
from projectoffice.api_csv import csv_lines
from projectoffice.api_errors import form_errors
from projectoffice.api_filters import CodeFilter, TextFilter
from projectoffice.cell_safety import safe_cell_sql
from projectoffice.numbers import exact_text
from regions.models import Region

from ..models import ApprovalState, Indicator, Value, ValueSource
from ..periods import Period, PeriodError

# The columns of the values list, in order: JSON keys, CSV header, export columns.
VALUE_COLUMNS = (
    "id",
    "kpi",
    "region",
    "period",
    "value",
    "source",
    "approval_state",
    "approved_at",
    "import_batch",
    "updated_at",
)
# What the list reads from the database for them (and nothing else).
VALUE_FIELDS = (
    "id",
    "kpi_code",
    "region_kato",
    "period_start",
    "period_end",
    "value",
    "source",
    "approval_state",
    "approved_at",
    "import_batch_id",
    "updated_at",
    "kpi_places",
)
# Bytes the database hands over per chunk of a CSV; rows are joined into chunks this big.
CSV_CHUNK_BYTES = 64 * 1024
# Rows fetched per round trip where the database cannot write the CSV itself (SQLite).
FETCH_CHUNK = 2000
# The value column as the API writes it: the KPI's decimal places ("654" for a count,
# "12.5" for a share with one place), more only where the figure holds more digits (never
# rounded), never an exponent. `Indicator.exact` is the same rule for one value.


# --- who may read which values --------------------------------------------------------


def values_visible_to(caller: Any) -> QuerySet[Value]:
    """The values `caller` may read: all of them for the office, approved ones of their
    own regions for a coordinator, approved ones for a token. (The rows of `/values/`
    and of an export.) Joined to their KPI and region for reading one at a time; the
    list reads only its columns (`value_rows`)."""
    values = Value.objects.select_related("indicator", "region")
    if not is_project_office(caller):
        values = values.approved()
    return scoped_to_user(values, caller)


# --- the filters of /values/ and of exports --------------------------------------------


def region_or_error(name: str, kato: str) -> Region:
    """The region of a filter's KATO code, or the API's 400 naming the filter."""
    region = Region.objects.filter(kato=kato).first()
    if region is None:
        raise ValidationError(
            {
                name: [
                    ValidationError(
                        _("unknown region %(value)r (a 9-digit KATO code)"),
                        code="unknown_region",
                        params={"value": kato},
                    )
                ]
            }
        )
    return region


def period_or_error(name: str, text: str) -> Period:
    """The period of a filter's text, or the API's 400 naming the filter."""
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise ValidationError(
            {name: [ValidationError(str(exc), code="not_a_period", params={"value": text})]}
        ) from None


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since`: rows changed at or after an ISO time. The time is turned into UTC
    first: Python accepts offsets (up to ±23:59) that PostgreSQL refuses (beyond ±15:59)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(field_name="updated_at", lookup_expr="gte", **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        filtered: QuerySet[Any] = super().filter(qs, value)  # django-filter is untyped
        return filtered


class RegionAndSpanMethods:
    """The methods behind the `region` (this region and everything below it) and
    `period_from` / `period_to` filters, for any filter set that declares them; a region
    or period that cannot be read raises ValidationError naming the filter."""

    region_field = "region"

    def filter_region(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(within_regions([region_or_error(name, value)], field=self.region_field))

    def filter_period_from(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_start__gte=period_or_error(name, value).first_day)

    def filter_period_to(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_end__lte=period_or_error(name, value).end.first_day)


class ValueFilterSet(RegionAndSpanMethods, django_filters.FilterSet):
    """KPI, region and everything below it, level, period span, approval state, source,
    `updated_since`. A region or period that cannot be read raises ValidationError keyed
    by the filter's name (the API turns it into a 400)."""

    kpi = CodeFilter(
        field_name="indicator__code",
        label="KPI code",
        model=Indicator,
        unknown_code="unknown_kpi",
        unknown_message=gettext_lazy("unknown KPI code %(value)r"),
    )
    region = TextFilter(method="filter_region", label="KATO code: this region and everything below it")
    level = django_filters.NumberFilter(field_name="region__level", label="region level (1 to 4)")
    period_from = TextFilter(method="filter_period_from", label="values starting in or after this period")
    period_to = TextFilter(method="filter_period_to", label="values ending in or before this period")
    approval_state = django_filters.ChoiceFilter(choices=ApprovalState.choices)
    source = django_filters.ChoiceFilter(choices=ValueSource.choices)
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Value
        fields: list[str] = []


def values_filtered(values: QuerySet[Value], filters: Mapping[str, str]) -> QuerySet[Value]:
    """`values` narrowed by the filters of `/values/`; ValidationError names each bad one."""
    filterset = ValueFilterSet(data=dict(filters), queryset=values)
    if not filterset.is_valid():
        raise form_errors(filterset.form)
    return filterset.qs  # type: ignore[no-any-return]


# --- the list: its columns, formatted once ----------------------------------------------


def value_rows(values: QuerySet[Value]) -> "QuerySet[Value, dict[str, Any]]":
    """`values` as dicts of `VALUE_FIELDS`: one join each for the KPI's code and the
    region's KATO, no other column, no model object."""
    rows: QuerySet[Value, dict[str, Any]] = values.annotate(
        kpi_code=F("indicator__code"), region_kato=F("region__kato"), kpi_places=F("indicator__decimal_places")
    ).values(*VALUE_FIELDS)
    return rows


class ValueFormat:
    """Formats rows of `value_rows` as the API writes them. One per response: it holds
    the time zone of the request and remembers the few distinct periods it has named."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.periods: dict[tuple[datetime.date, datetime.date], str] = {}

    def period(self, start: datetime.date, end: datetime.date) -> str:
        try:
            return self.periods[start, end]
        except KeyError:
            text = self.periods[start, end] = str(Period.from_dates(start, end))
            return text

    def number(self, value: Any, places: int) -> str:
        return exact_text(value, places)

    def moment(self, value: datetime.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def cells(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return (
            row["id"],
            row["kpi_code"],
            row["region_kato"],
            self.period(row["period_start"], row["period_end"]),
            self.number(row["value"], row["kpi_places"]),
            row["source"],
            row["approval_state"],
            self.moment(row["approved_at"]),
            row["import_batch_id"],
            self.moment(row["updated_at"]),
        )

    def as_dict(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return dict(zip(VALUE_COLUMNS, self.cells(row), strict=True))


# --- CSV, streamed ----------------------------------------------------------------------


def values_csv(values: QuerySet[Value], *, limit: int | None = None) -> Iterator[bytes]:
    """The CSV of `values` (header first, ordered by id, at most `limit` rows) in chunks
    of bytes, as `csv.writer` writes the API's rows: `\\r\\n` line ends, empty cells for
    nulls. Nothing is held beyond one chunk. PostgreSQL writes it (COPY); elsewhere the
    API's own CSV writer does, row by row."""
    if connections[values.db].vendor != "postgresql":
        yield from _python_csv(values, limit)
        return
    header = io.StringIO()
    csv.writer(header).writerow(VALUE_COLUMNS)
    yield header.getvalue().encode()
    yield from _copy_csv(values, limit)


def _python_csv(values: QuerySet[Value], limit: int | None) -> Iterator[bytes]:
    """Header and rows through the API's one CSV writer, formatted in Python."""
    rows = value_rows(values).order_by("id")
    fmt = ValueFormat()
    dicts = (fmt.as_dict(row) for row in (rows[:limit] if limit is not None else rows).iterator(FETCH_CHUNK))
    yield from (chunk.encode() for chunk in csv_lines(list(VALUE_COLUMNS), dicts))


def _moment_sql(column: str) -> str:
    """A timestamp as Python's isoformat() writes it in the zone given as parameter
    `%(zone)s`: microseconds only when there are some, the offset as +HH:MM, and Z for UTC
    (as DRF does). No session setting is touched."""
    local = f"({column} AT TIME ZONE %(zone)s)"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN to_char({local}, 'US') = '000000' THEN '' ELSE to_char({local}, '.US') END"
        f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
        f" WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI')"
        f" ELSE '+' || to_char({offset}, 'HH24:MI') END"
    )


# Period.__str__ in SQL: the shortest name of the span (month, year, half, quarter, range).
_PERIOD_SQL = """CASE
    WHEN v.period_start = v.period_end THEN to_char(v.period_start, 'YYYY-MM')
    WHEN date_part('year', v.period_start) = date_part('year', v.period_end)
         AND date_part('month', v.period_start) = 1 AND date_part('month', v.period_end) = 12
        THEN to_char(v.period_start, 'YYYY')
    WHEN v.period_end = (v.period_start + interval '5 months')::date AND date_part('month', v.period_start) IN (1, 7)
        THEN to_char(v.period_start, 'YYYY') || '-H' || ((date_part('month', v.period_start)::int + 5) / 6)
    WHEN v.period_end = (v.period_start + interval '2 months')::date
         AND date_part('month', v.period_start) IN (1, 4, 7, 10)
        THEN to_char(v.period_start, 'YYYY') || '-Q' || ((date_part('month', v.period_start)::int + 2) / 3)
    ELSE to_char(v.period_start, 'YYYY-MM') || '/' || to_char(v.period_end, 'YYYY-MM')
END"""


# exact_text() in SQL: the KPI's places, or every digit the figure holds where it holds more.
_NUMBER_SQL = (
    "CASE WHEN v.value = round(v.value, v.kpi_places) THEN round(v.value, v.kpi_places)::text"
    " ELSE trim_scale(v.value)::text END"
)


def _copy_csv(values: QuerySet[Value], limit: int | None) -> Iterator[bytes]:
    inner = value_rows(values).order_by()
    sql, params = inner.query.sql_with_params()
    # Only constants and Django's own compiled SQL are put in; every value stays a bound parameter.
    # The text columns (codes) go through the CSV's formula rule as every other CSV does.
    columns = (
        f"v.id, {safe_cell_sql('v.kpi_code')}, {safe_cell_sql('v.region_kato')}, {_PERIOD_SQL}, {_NUMBER_SQL}, "
        "v.source, v.approval_state, "
        f"{_moment_sql('v.approved_at')}, v.import_batch_id, {_moment_sql('v.updated_at')}"
    )
    zone = timezone.get_current_timezone_name()  # the times in the request's zone, as the JSON writes them
    zone_uses = columns.count("%(zone)s")
    columns = columns.replace("%(zone)s", "%s")
    copy_sql = (
        f"COPY (SELECT {columns} FROM ({sql}) AS v ORDER BY v.id{' LIMIT %s' if limit is not None else ''}) "  # noqa: S608
        "TO STDOUT WITH (FORMAT csv)"
    )
    # The zone's placeholders come before the inner query's, in the order they are written.
    bound = [zone] * zone_uses + list(params) + ([limit] if limit is not None else [])
    pending: list[bytes] = []
    size = 0
    with connections[values.db].cursor() as cursor, cursor.cursor.copy(copy_sql, bound) as copy:
        for data in copy:
            pending.append(bytes(data))
            size += len(data)
            if size >= CSV_CHUNK_BYTES:
                # No cell holds a line break, so every \n ends a row: csv.writer ends rows with \r\n.
                yield b"".join(pending).replace(b"\n", b"\r\n")
                pending, size = [], 0
    yield b"".join(pending).replace(b"\n", b"\r\n")
