"""The legal-statistics import: whole files in, bad files refused whole."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from initiatives.engine.summary import kpi_summary
from initiatives.models import ImportBatch, Indicator, Value
from initiatives.periods import Period
from initiatives.statistics.services import StatisticsImportError, statistics_import
from regions.models import Region
from tests.factories import HEADLINE_2024, HEADLINE_2025, RegionFactory

pytestmark = pytest.mark.django_db
HEADER = "region,period,indicator,value"


def csv(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


def snapshot() -> tuple[object, ...]:
    """Everything an import may touch: a refused file must leave all of it as it was."""
    return (
        list(
            Value.objects.values_list(
                "indicator_id", "region_id", "period_start", "period_end", "value", "approval_state"
            )
        ),
        Value.history.count(),
        ImportBatch.objects.count(),
    )


def test_a_file_lands_approved_and_recorded(office) -> None:
    result = statistics_import(
        source=csv("710000000,2025-01/2025-09,crime.registered,11616", "750000000,2025-09,crime.theft,1432"),
        filename="1m.csv",
        user=office,
    )
    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    ytd = Value.objects.get(indicator__code="crime.registered")
    assert (str(ytd.period), ytd.value, ytd.approval_state, ytd.source) == (
        "2025-01/2025-09",
        11616,
        "approved",
        "import",
    )
    assert (ytd.approved_by, ytd.import_batch) == (office, result.batch)
    assert (result.batch.status, result.batch.file_name, result.batch.uploaded_by) == ("succeeded", "1m.csv", office)
    # No history row: its first version is its import (tests/initiatives/test_value_history.py).
    assert not ytd.history.exists()


def test_an_xlsx_file_with_the_same_columns_lands_the_same_way() -> None:
    workbook = Workbook()
    workbook.active.append(["region", "period", "indicator", "value"])
    workbook.active.append([710000000, "2025-01/2025-09", "crime.registered", 11616])
    workbook.active.append([750000000, "2025-09", "cases.electronic_share", 92.5])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)

    statistics_import(source=data, filename="1m.xlsx")

    assert Value.objects.get(indicator__code="cases.electronic_share").value == Decimal("92.5")


def test_reimporting_a_key_replaces_the_value_and_keeps_the_old_one_in_history(office) -> None:
    statistics_import(source=csv("710000000,2025-09,crime.registered,1300"), user=office)
    second = statistics_import(
        source=csv("710000000,2025-09,crime.registered,1310", "710000000,2025-08,crime.registered,1200"), user=office
    )
    assert (second.created, second.updated, second.unchanged) == (1, 1, 0)
    september = Value.objects.get(period_start="2025-09-01")
    assert september.value == 1310
    assert list(september.history.values_list("value", flat=True)) == [Decimal(1310), Decimal(1300)]
    assert list(september.history.values_list("history_type", "history_user__username", "history_change_reason")) == [
        ("~", "office", f"import {second.batch.pk}"),
        ("+", "office", f"import {september.history.last().import_batch_id}"),
    ]
    third = statistics_import(source=csv("710000000,2025-09,crime.registered,1310"))
    assert (third.created, third.updated, third.unchanged) == (0, 0, 1)
    # The September value's first version and its change; the August one landed without a
    # row (its first version is its import), and nothing is recorded for what did not change.
    assert Value.history.count() == 2


def test_imported_rows_read_back_like_any_other_through_the_orm() -> None:
    result = statistics_import(source=csv("710000000,2025-09,cases.electronic_share,92.5"))
    row = Value.objects.get(updated_at__gte=result.batch.created_at, period_start__gte="2025-09-01")
    assert (row.value, row.approved_at, row.created_at) == (Decimal("92.5"), row.updated_at, row.updated_at)
    assert Value.objects.filter(updated_at__gt=row.updated_at).count() == 0


def test_a_dry_run_checks_and_counts_but_writes_nothing() -> None:
    before = snapshot()
    result = statistics_import(source=csv("710000000,2025-09,crime.registered,1300"), dry_run=True)
    assert (result.dry_run, result.created, result.batch) == (True, 1, None)
    assert snapshot() == before


BAD_FILES = {
    "unknown region": (["710000001,2025-09,crime.registered,1"], [(2, "region", "unknown region '710000001'")]),
    "unknown indicator": (["710000000,2025-09,crime.nope,1"], [(2, "indicator", "unknown indicator 'crime.nope'")]),
    "bad period": (["710000000,2025-13,crime.registered,1"], [(2, "period", "month 13 is not between 01 and 12")]),
    "period in words": (
        ["710000000,September 2025,crime.registered,1"],
        [(2, "period", "is not a period; use one of")],
    ),
    "negative value": (["710000000,2025-09,crime.registered,-5"], [(2, "value", "-5 is negative")]),
    "text in a number": (["710000000,2025-09,crime.registered,много"], [(2, "value", "'много' is not a number")]),
    "thousands separator": (["710000000,2025-09,crime.registered,1 432"], [(2, "value", "no thousands separators")]),
    "decimal comma": (['710000000,2025-09,cases.electronic_share,"92,5"'], [(2, "value", "with a dot for decimals")]),
    "empty value": (["710000000,2025-09,crime.registered,"], [(2, "value", "the value is empty")]),
    "too precise": (["710000000,2025-09,cases.electronic_share,1.12345"], [(2, "value", "more than 4 decimal places")]),
    "fractional count": (["710000000,2025-09,crime.registered,1.5"], [(2, "value", "1.5: a count is a whole number")]),
    "future period": (["710000000,2099-01,crime.registered,1"], [(2, "period", "2099-01 has not ended yet")]),
    "kpi from coordinator reports": (
        ["710000000,2025-09,events.legal_literacy,12"],
        [(2, "indicator", "reported by regional coordinators and reviewed")],
    ),
    "duplicate key": (
        ["710000000,2025-09,crime.registered,1", "710000000,2025-09,crime.registered,2"],
        [(3, "", "the same region, period and indicator as line 2")],
    ),
    "duplicate key written two ways": (
        ["710000000,2025-Q3,crime.registered,1", "710000000,2025-07/2025-09,crime.registered,2"],
        [(3, "", "as line 2")],
    ),
    "computed kpi": (["710000000,2025-09,crime.registered_per_10k,5"], [(2, "indicator", "computed from its formula")]),
    "region not yet created": (
        ["620000000,2021-09,crime.registered,5"],
        [(2, "region", "did not exist during 2021-09")],
    ),
    "several problems on several lines": (
        ["710000000,2025-09,crime.registered,1", "999,2025-9,crime.x,-1", "750000000,2025-09,crime.theft,1432"],
        [
            (3, "region", "unknown region"),
            (3, "indicator", "unknown"),
            (3, "period", "not a period"),
            (3, "value", "negative"),
        ],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_row_is_reported_by_line_and_column_and_nothing_is_written(case: str) -> None:
    rows, expected = BAD_FILES[case]
    statistics_import(source=csv("750000000,2025-08,crime.theft,1400"))  # something already there
    before = snapshot()

    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=csv(*rows))

    got = info.value.errors
    assert len(got) == len(expected), got
    for error, (line, column, fragment) in zip(got, expected, strict=True):
        assert (error.line, error.column) == (line, column), error
        assert fragment in error.message, error
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the file is empty"),
        (b"region,period,indicator\n710000000,2025-09,crime.registered\n", "missing column(s): value"),
        (b"kato,period,indicator,value\n710000000,2025-09,crime.registered,1\n", "missing column(s): region"),
        (b"region,period,indicator,value,comment\n", "unexpected column(s): comment"),
        (HEADER.encode() + b"\n", "header but no rows"),
        ((HEADER + "\n710000000,2025-09,crime.registered,1,\u0448\n").encode("cp1251"), "not UTF-8"),
        (b"\xff\xfe" + (HEADER + "\n").encode("utf-16-le"), "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content: bytes, fragment: str) -> None:
    before = snapshot()
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=io.BytesIO(content), filename="stats.csv")
    assert any(fragment in str(e) for e in info.value.errors), info.value.errors
    assert snapshot() == before


def test_the_command_exits_non_zero_with_the_row_report(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(csv("710000000,2025-09,crime.registered,1", "710000001,2025-09,crime.registered,x").getvalue())
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="refused, 2 problem"):
        call_command("import_statistics", str(path), stderr=stderr)
    report = stderr.getvalue()
    assert "bad.csv: line 3, region: unknown region '710000001'" in report
    assert "bad.csv: line 3, value: 'x' is not a number" in report
    assert not Value.objects.exists()


def test_the_command_reports_what_it_wrote(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(csv("710000000,2025-09,crime.registered,1").getvalue())
    out = io.StringIO()
    call_command("import_statistics", str(path), "--dry-run", stdout=out)
    assert "ok.csv: rows 1; created 1, replaced 0, unchanged 0" in out.getvalue()
    assert "dry run: nothing written" in out.getvalue()
    assert not Value.objects.exists()


def test_the_headline_of_the_brief_is_reproduced_from_regional_figures() -> None:
    """ "98.5 thousand offences in 9 months, 6.7% fewer than a year before"."""
    assert sum(HEADLINE_2025) == 98_500 and sum(HEADLINE_2024) == 105_573
    regions = list(Region.objects.top_level().values_list("kato", flat=True))
    lines = [f"{kato},2025-01/2025-09,crime.registered,{n}" for kato, n in zip(regions, HEADLINE_2025, strict=True)]
    lines += [f"{kato},2024-01/2024-09,crime.registered,{n}" for kato, n in zip(regions, HEADLINE_2024, strict=True)]
    statistics_import(source=csv(*lines))

    s = kpi_summary(
        indicator=Indicator.objects.get(code="crime.registered"), region=None, span=Period.parse("2025-01/2025-09")
    )

    assert s.own.value.value == 98_500  # to the unit
    assert s.own.previous.value == 105_573
    assert s.own.change_percent == Decimal("-6.7")  # (98,500 - 105,573) / 105,573 = -6.6997%


def test_a_region_that_ceased_before_the_period_is_reported_on_its_line() -> None:
    village = RegionFactory(valid_to=datetime.date(2024, 12, 31))
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(
            source=csv(f"{village.kato},2024-12,crime.registered,1", f"{village.kato},2025-01,crime.registered,2")
        )
    [error] = info.value.errors
    assert (error.line, error.column) == (3, "region")
    assert "did not exist during 2025-01 (valid … to 2024-12-31)" in error.message
    assert not Value.objects.exists()


def test_line_numbers_count_blank_lines_as_the_file_shows_them() -> None:
    data = io.BytesIO(
        f"{HEADER}\n710000000,2025-09,crime.registered,1\n\n710000001,2025-09,crime.registered,1\n".encode()
    )
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=data, filename="stats.csv")
    assert [(e.line, e.column) for e in info.value.errors] == [(4, "region")]


def test_cells_with_spaces_around_them_are_read_as_without() -> None:
    statistics_import(source=csv(" 710000000 , 2025-09 ,crime.registered,\u00a012 "))
    assert Value.objects.get().value == 12


def test_a_line_holding_only_a_backslash_and_a_dot_does_not_end_the_file() -> None:
    # COPY would stop reading there; the rows after it must still be read (and this one refused).
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(
            source=csv("710000000,2025-08,crime.registered,1", "\\.", "710000000,2025-09,crime.registered,x")
        )
    assert {e.line for e in info.value.errors} == {3, 4}
    assert not Value.objects.exists()


def test_every_problem_is_counted_though_only_the_first_thousand_are_listed() -> None:
    rows = [f"710000000,2025-09,crime.registered,bad{n}" for n in range(1200)]
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=csv(*rows))
    assert (len(info.value.errors), info.value.error_count) == (1000, 1200)
    assert info.value.errors[0].line == 2 and info.value.errors[-1].line == 1001


def test_a_file_streamed_from_a_non_seekable_source_lands_the_same_way() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            return self.data.readinto(buffer)

    result = statistics_import(source=Pipe(csv("710000000,2025-09,crime.registered,7").getvalue()), filename="p.csv")
    assert (result.created, Value.objects.get().value) == (1, 7)


def test_a_kpi_counted_from_the_register_is_refused_with_its_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from initiatives.models import Value
    from initiatives.statistics.services import StatisticsImportError, statistics_import

    file = tmp_path / "villages.csv"
    file.write_text("region,period,indicator,value\n710000000,2026-10,settlements.alcohol_free,35\n", encoding="utf-8")
    before = Value.objects.count()
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=file)
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "indicator")]
    assert "is counted from a register" in refused.value.errors[0].message
    assert Value.objects.count() == before


def _office_value(code: str, kato: str, period: str, number: int) -> Value:
    from django.utils import timezone

    row = Value(
        indicator=Indicator.objects.get(code=code),
        region=Region.objects.get(kato=kato),
        value=Decimal(number),
        source="manual",
        approval_state="approved",
        approved_at=timezone.now(),
    )
    row.period = Period.parse(period)
    row.save()
    return row


def _agency_file(tmp_path: Path, number: int) -> Path:
    file = tmp_path / "agency.csv"
    file.write_text(f"region,period,indicator,value\n710000000,2026-10,crime.registered,{number}\n", encoding="utf-8")
    return file


def test_an_agency_import_does_not_overwrite_what_the_office_entered(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from agencies.models import Agency

    entered = _office_value("crime.registered", "710000000", "2026-10", 1234)
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=_agency_file(tmp_path, 999), agency=Agency.objects.get(code="kpssu"))
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "value")]
    entered.refresh_from_db()
    assert (entered.value, entered.source) == (1234, "manual")


@pytest.mark.postgres
def test_a_value_the_office_enters_while_an_agency_import_runs_is_not_overwritten(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Between the check (it saw an imported value) and the write, the office corrects the
    value by hand: the write sees the row as it stands, refuses, and writes nothing."""
    from agencies.models import Agency
    from initiatives.statistics import services as statistics

    stored = _office_value("crime.registered", "710000000", "2026-10", 1234)
    Value.objects.filter(pk=stored.pk).update(source="import")
    checked = statistics._check

    def check_then_office_edits(*args, **kwargs):  # type: ignore[no-untyped-def]
        checked(*args, **kwargs)
        Value.objects.filter(pk=stored.pk).update(source="manual", value=1300)

    monkeypatch.setattr(statistics, "_check", check_then_office_edits)
    before = Value.objects.count()
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=_agency_file(tmp_path, 999), agency=Agency.objects.get(code="kpssu"))
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "value")]
    stored.refresh_from_db()
    assert (stored.value, stored.source, Value.objects.count()) == (1234, "import", before)  # all rolled back


def test_the_whitespace_the_staging_strips_is_what_python_strips() -> None:
    from initiatives.statistics.staging import WHITESPACE

    assert WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())
