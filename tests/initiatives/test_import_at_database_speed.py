"""The statistics import at database speed (issue 27): on PostgreSQL its new values reach
the rollups in one pass at its end (SQLite's row triggers keep them as before), and a
file imported before is recognised by its hash when nothing was written since, giving
the counts the full check gives."""

import dataclasses
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from initiatives.engine.rollup_tables import differences
from initiatives.models import ImportBatch, Indicator, Rollup, Value
from initiatives.periods import Month, Period
from initiatives.statistics import services
from initiatives.statistics.services import StatisticsImportError, statistics_import
from regions.models import Region
from tests.factories import districts, value

pytestmark = pytest.mark.django_db
HEADER = "region,period,indicator,value"
STORED = [Month(2025, m) for m in range(1, 7)]  # thefts stored for January-June


@pytest.fixture
def units() -> list[Region]:
    """Two districts under each region, thefts stored for the first half of 2025 in all of
    them, and one value awaiting approval (no part of any rollup)."""
    regions = districts(2)
    Value.objects.bulk_create(
        value("crime.theft", r, Period(m, m), 10 + i + m.month) for i, r in enumerate(regions) for m in STORED
    )
    Value.objects.bulk_create([value("crime.registered", regions[0], Period.parse("2025-01"), 3, approved=False)])
    return regions


def csv(*rows: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode("utf-8"))


def rollups() -> list[tuple[Any, ...]]:
    return list(
        Rollup.objects.order_by("pk").values_list("indicator_id", "ancestor_id", "depth", "first_month", "total", "n")
    )


def new_rows(regions: list[Region]) -> list[str]:
    return [f"{r.kato},2025-{m:02d},crime.theft,{5 * i + m}" for i, r in enumerate(regions) for m in (7, 8, 9)]


def changed_rows(regions: list[Region]) -> list[str]:
    return [f"{r.kato},2025-{m:02d},crime.theft,{100 + i}" for i, r in enumerate(regions[::3]) for m in (1, 4)]


def test_new_values_reach_the_rollups_in_one_pass(units) -> None:  # type: ignore[no-untyped-def]
    result = statistics_import(source=csv(*new_rows(units)))
    assert result.created == 3 * len(units)
    assert differences() == []


def test_changed_values_move_the_rollups_by_the_difference(units) -> None:  # type: ignore[no-untyped-def]
    result = statistics_import(source=csv(*changed_rows(units)))
    assert result.updated == len(changed_rows(units))
    assert differences() == []


def test_new_changed_and_unchanged_values_in_one_file(units) -> None:  # type: ignore[no-untyped-def]
    same = f"{units[1].kato},2025-02,crime.theft,{10 + 1 + 2}"  # as stored
    mixed = [*new_rows(units[:10]), *changed_rows(units), same, f"{units[0].kato},2025-01,crime.registered,7"]
    result = statistics_import(source=csv(*mixed))
    # The value awaiting approval is replaced by an approved one: it enters the rollups.
    assert (result.created, result.updated, result.unchanged) == (30, len(changed_rows(units)) + 1, 1)
    assert differences() == []
    # The next writes of the same transaction keep their triggers: the setting was the import's.
    Value.objects.bulk_create([value("crime.theft", units[5], Period.parse("2025-11"), 40)])
    Value.objects.filter(region=units[6], period_start=datetime.date(2025, 3, 1)).update(value=Decimal(1))
    assert differences() == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s, true)", [services.ROLLUPS_DEFERRED])
            assert cursor.fetchone()[0] in ("", "off", None)


def test_an_import_refused_after_its_writes_leaves_the_rollups_as_they_were(units, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before, values_before = rollups(), Value.objects.count()

    def broken(**kwargs: object) -> None:
        raise DatabaseError("the queue of what follows an import is gone")

    monkeypatch.setattr(services, "forecasts_after_import_later", broken)
    with pytest.raises(StatisticsImportError):
        statistics_import(source=csv(*new_rows(units), *changed_rows(units)))
    assert rollups() == before
    assert Value.objects.count() == values_before
    assert differences() == []


def test_the_insert_trigger_stands_aside_only_when_told(units) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its row triggers")
    before = rollups()
    with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [services.ROLLUPS_DEFERRED])
        Value.objects.bulk_create([value("crime.theft", units[2], Period.parse("2025-10"), 9)])
        assert rollups() == before  # left to whoever said so
        raise RuntimeError("rolled back, and the setting with it")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [services.ROLLUPS_DEFERRED])
        assert cursor.fetchone()[0] in ("", "off", None)
    Value.objects.bulk_create([value("crime.theft", units[2], Period.parse("2025-10"), 9)])
    assert rollups() != before
    assert differences() == []


# The file recognised by its hash.


@pytest.fixture
def no_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures write values a moment before the import: the margin would (rightly)
    keep the import from vouching for its file."""
    monkeypatch.setattr(services, "RECOGNISE_MARGIN", datetime.timedelta(0))


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read into the staging table: a recognised file is not."""
    calls: list[str] = []
    real = services._stage

    def counting(source: Any, name: str, progress: Any) -> int:
        calls.append(name)
        return real(source, name, progress)

    monkeypatch.setattr(services, "_stage", counting)
    return calls


def counts(result: services.ImportResult) -> dict[str, object]:
    fields = dataclasses.asdict(result)
    return {k: fields[k] for k in ("rows", "created", "updated", "unchanged", "skipped", "changed_since_check")} | {
        "warnings": result.warnings_count
    }


def full_check(monkeypatch: pytest.MonkeyPatch, content: bytes) -> dict[str, object]:
    """What the full check finds, by a dry run of a file it does not recognise."""
    with monkeypatch.context() as patched:
        patched.setattr(services, "_file_digest", lambda source: None)
        return counts(statistics_import(source=io.BytesIO(content), dry_run=True))


TEMPLATE = "region,region_name,period,indicator,indicator_name,last_year,last_period,value"


def template(regions: list[Region]) -> bytes:
    rows = [
        f"{r.kato},district,2025-{m:02d},crime.theft,thefts,,,{7 * i + m}"
        for i, r in enumerate(regions)
        for m in (7, 8)
    ]
    rows.append(f"{regions[0].kato},district,2025-09,crime.theft,thefts,,,")  # left empty
    return ("\n".join([TEMPLATE, *rows]) + "\n").encode("utf-8")


def test_the_same_file_again_is_recognised_and_counted_as_the_full_check_counts(  # type: ignore[no-untyped-def]
    units, no_margin, staged, monkeypatch
) -> None:
    content = template(units[:6])
    first = statistics_import(source=io.BytesIO(content), filename="t.csv")
    assert (first.created, first.skipped) == (12, 1)
    assert first.batch is not None and len(first.batch.file_hash) == 64
    staged.clear()
    again = statistics_import(source=io.BytesIO(content), filename="t.csv")
    assert staged == []  # not read into the staging table, not checked
    assert counts(again) == full_check(monkeypatch, content)
    assert counts(again) == {
        "rows": 12, "created": 0, "updated": 0, "unchanged": 12, "skipped": 1, "changed_since_check": 0, "warnings": 0
    }  # fmt: skip
    assert again.batch is not None and again.batch.unchanged == 12 and again.batch.committed_at is not None
    assert differences() == []


def test_a_value_edited_by_hand_since_sends_the_file_through_the_full_check(  # type: ignore[no-untyped-def]
    units, no_margin, staged, monkeypatch
) -> None:
    content = csv(*new_rows(units[:4]), *changed_rows(units[:4])).getvalue()
    statistics_import(source=io.BytesIO(content))
    edited = Value.objects.get(region=units[0], period_start=datetime.date(2025, 7, 1))
    edited.value += 1
    edited.save()
    expected = full_check(monkeypatch, content)
    staged.clear()
    again = statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]
    assert counts(again) == expected
    assert (again.updated, again.unchanged) == (1, again.rows - 1)
    assert differences() == []


def test_a_value_removed_since_sends_the_file_through_the_full_check(  # type: ignore[no-untyped-def]
    units, no_margin, staged, monkeypatch
) -> None:
    content = csv(*new_rows(units[:4])).getvalue()
    statistics_import(source=io.BytesIO(content))
    Value.objects.get(region=units[1], period_start=datetime.date(2025, 8, 1)).delete()
    expected = full_check(monkeypatch, content)
    staged.clear()
    again = statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]
    assert counts(again) == expected
    assert (again.created, again.unchanged) == (1, again.rows - 1)


def test_changed_regions_or_kpis_send_the_file_through_the_full_check(units, no_margin, staged) -> None:  # type: ignore[no-untyped-def]
    content = csv(*new_rows(units[:3])).getvalue()
    statistics_import(source=io.BytesIO(content))
    Region.objects.filter(pk=units[-1].pk).update(name_ru="renamed")  # the checks read the regions
    staged.clear()
    statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]
    Indicator.objects.filter(code="crime.theft").update(name_ru="renamed")  # and the KPIs
    staged.clear()
    statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]
    staged.clear()
    statistics_import(source=io.BytesIO(content))
    assert staged == []  # vouched for by the last full check


def test_an_import_that_cannot_vouch_for_its_file_is_not_recognised(units, staged) -> None:  # type: ignore[no-untyped-def]
    """Values were written a moment before (the fixture): within the margin, so the
    import cannot tell they were not written while it checked; it keeps no hash."""
    content = csv(*new_rows(units[:3])).getvalue()
    first = statistics_import(source=io.BytesIO(content))
    assert first.batch is not None and first.batch.file_hash == ""
    staged.clear()
    statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]


def test_a_dry_run_and_a_failed_import_leave_no_hash(units, no_margin, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    content = csv(*new_rows(units[:3])).getvalue()

    def never(**_: Any) -> bool:
        raise AssertionError("a dry run does not vouch for its file")

    with monkeypatch.context() as patched:
        patched.setattr(services, "_writers_settled", never)
        patched.setattr(services, "_only_this_import_wrote", never)
        checked = statistics_import(source=io.BytesIO(content), dry_run=True)
    assert checked.created == 9 and checked.batch is None
    with pytest.raises(StatisticsImportError):
        statistics_import(source=csv(*new_rows(units[:3]), "999999999,2025-07,crime.theft,1"))
    assert not ImportBatch.objects.exclude(file_hash="").exists()


def test_a_value_stamped_just_before_the_earlier_import_committed_sends_the_file_through_the_full_check(  # type: ignore[no-untyped-def]
    units, staged, monkeypatch
) -> None:
    """A writer whose stamp came before the earlier import's commit (a clock behind, a wait
    for a lock) but whose write committed after it: the margin sees it."""
    import time_machine

    content = csv(*new_rows(units[:4])).getvalue()
    with monkeypatch.context() as patched:
        patched.setattr(services, "RECOGNISE_MARGIN", datetime.timedelta(0))  # the fixture's values
        first = statistics_import(source=io.BytesIO(content))
    assert first.batch is not None and first.batch.file_hash and first.batch.committed_at is not None
    edited = Value.objects.get(region=units[0], period_start=datetime.date(2025, 7, 1))
    with time_machine.travel(first.batch.committed_at - datetime.timedelta(seconds=1), tick=False):
        edited.value += 1
        edited.save()
    expected = full_check(monkeypatch, content)
    staged.clear()
    again = statistics_import(source=io.BytesIO(content))
    assert staged == ["upload"]
    assert counts(again) == expected and again.updated == 1


def test_the_earlier_imports_own_writes_do_not_count_against_it(units, staged) -> None:  # type: ignore[no-untyped-def]
    """Within the margin: its new values, its changes and their history rows are its own."""
    import time_machine

    content = csv(*new_rows(units[:4]), *changed_rows(units[:4])).getvalue()
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)):
        first = statistics_import(source=io.BytesIO(content))  # the fixture's values are minutes before
        assert first.batch is not None and first.batch.file_hash
        assert first.updated and first.created
        staged.clear()
        statistics_import(source=io.BytesIO(content))
    assert staged == []


def test_a_file_imported_by_the_office_is_not_recognised_for_an_agency(units, no_margin, staged) -> None:  # type: ignore[no-untyped-def]
    """The office may import any KPI; an agency only its own: the same file is refused
    for the agency, as the full check refuses it, not recorded as unchanged."""
    from agencies.models import Agency

    content = csv(*new_rows(units[:2]), f"{units[0].kato},2025,population,1000").getvalue()
    first = statistics_import(source=io.BytesIO(content))
    assert first.batch is not None and first.batch.file_hash
    staged.clear()
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=io.BytesIO(content), agency=Agency.objects.get(code="mvd"))
    assert staged == ["upload"]
    assert any("population" in e.message for e in refused.value.errors)
