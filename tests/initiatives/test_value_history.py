"""The history of a value the statistics import created: no row when it lands (its first
version is its import batch), two rows (that version, then the change) when it is first
replaced or deleted by any path; values written any other way keep their row at creation.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL (the import writes each by its own SQL)."""

import ast
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives.models import ApprovalState, ImportBatch, Indicator, Value, ValueSource
from initiatives.periods import Period
from initiatives.services.reports import report_approve
from initiatives.services.values import value_set, values_approve
from initiatives.statistics.services import statistics_import
from regions.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def csv(*rows: str) -> io.BytesIO:
    return io.BytesIO(("\n".join(["region,period,indicator,value", *rows]) + "\n").encode())


def rows(value: Value) -> list[tuple[object, ...]]:
    """Its history rows, oldest first: kind, value, date, user, reason, import."""
    return list(
        Value.history.filter(id=value.pk)
        .order_by("history_id")
        .values_list(
            "history_type",
            "value",
            "history_date",
            "history_user__username",
            "history_change_reason",
            "import_batch_id",
        )
    )


def first_version(batch: ImportBatch, number: int) -> tuple[object, ...]:
    return ("+", Decimal(number), batch.committed_at, batch.uploaded_by.username, f"import {batch.pk}", batch.pk)


@pytest.fixture
def colleague(db: None):  # type: ignore[no-untyped-def]
    user = UserFactory(username="office.two", is_staff=True, is_superuser=True)
    user.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    return user


@pytest.fixture
def imported(office) -> Value:  # type: ignore[no-untyped-def]
    """September's registered crimes in Astana, 1300, created by an import of the office's."""
    statistics_import(source=csv("710000000,2025-09,crime.registered,1300"), filename="sept.csv", user=office)
    return Value.objects.get(indicator__code="crime.registered", period_start="2025-09-01")


def test_an_import_creates_its_values_without_history_rows(office) -> None:
    result = statistics_import(
        source=csv("710000000,2025-09,crime.registered,1300", "750000000,2025-09,crime.theft,1432"), user=office
    )
    assert result.created == 2
    assert Value.objects.filter(import_batch=result.batch).count() == 2
    assert not Value.history.exists()
    assert result.batch.committed_at is not None and result.batch.uploaded_by == office


def test_a_second_import_writes_the_first_version_then_the_change_and_a_third_one_row(
    imported: Value, office, colleague
) -> None:
    first = imported.import_batch
    second = statistics_import(source=csv("710000000,2025-09,crime.registered,1310"), user=colleague).batch
    made, changed = rows(imported)
    assert made == first_version(first, 1300)  # dated its batch's commit, by its batch's user
    assert changed[:2] + changed[3:] == ("~", Decimal(1310), "office.two", f"import {second.pk}", second.pk)
    assert first.committed_at < changed[2] <= second.committed_at

    third = statistics_import(source=csv("710000000,2025-09,crime.registered,1320"), user=office).batch
    assert [r[0] for r in rows(imported)] == ["+", "~", "~"]
    assert rows(imported)[2][1:] == (Decimal(1320), rows(imported)[2][2], "office", f"import {third.pk}", third.pk)


def test_only_the_changed_values_of_an_import_get_their_first_version(office) -> None:
    statistics_import(
        source=csv("710000000,2025-08,crime.registered,1200", "710000000,2025-09,crime.registered,1300"), user=office
    )
    result = statistics_import(
        source=csv("710000000,2025-08,crime.registered,1200", "710000000,2025-09,crime.registered,1310"), user=office
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert sorted(Value.history.values_list("period_start", "history_type")) == [
        (Period.parse("2025-09").first_day, "+"),
        (Period.parse("2025-09").first_day, "~"),
    ]


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_a_delete_of_a_never_changed_imported_value_writes_its_first_version_then_the_delete(
    imported: Value, how: str
) -> None:
    batch = imported.import_batch
    if how == "instance":
        Value.objects.get(pk=imported.pk).delete()
    else:  # as a register's sync removes the values it does not own
        Value.objects.filter(pk=imported.pk).delete()
    assert [r[0] for r in rows(imported)] == ["+", "-"]
    assert rows(imported)[0] == first_version(batch, 1300)


def test_an_edit_through_the_service_writes_the_first_version_then_the_change(imported: Value, office) -> None:
    value_set(
        indicator=imported.indicator,
        region=imported.region,
        period=imported.period,
        value=Decimal(1305),
        source=ValueSource.IMPORT,
        user=office,
        approved=True,
    )
    assert [r[:2] for r in rows(imported)] == [("+", Decimal(1300)), ("~", Decimal(1305))]
    assert rows(imported)[0] == first_version(imported.import_batch, 1300)


def test_an_edit_and_an_approval_in_the_admin_write_the_first_version_then_the_change(
    office, colleague, staff: Client
) -> None:
    """An imported value that is not an official figure (as an older import could leave one:
    put back to pending without a trace here) is edited in the admin, then approved."""
    statistics_import(source=csv("710000000,2025-09,crime.registered,1300"), user=colleague)
    value = Value.objects.get()
    Value.objects.filter(pk=value.pk).update(approval_state=ApprovalState.PENDING)
    value.refresh_from_db()
    response = staff.post(
        f"/admin/initiatives/value/{value.pk}/change/",
        {
            "indicator": value.indicator_id,
            "region": value.region_id,
            "period": "2025-09",
            "value": "1301",
            "source": ValueSource.IMPORT,
            "comment": "",
            "seen_version": value.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [r[:2] for r in rows(value)] == [("+", Decimal(1300)), ("~", Decimal(1301))]
    assert rows(value)[0] == first_version(value.import_batch, 1300)
    value.refresh_from_db()
    assert values_approve(versions={value.pk: value.version}, user=office).approved == 1
    assert [r[0] for r in rows(value)] == ["+", "~", "~"]  # no second first version


def test_an_approval_of_a_never_changed_imported_value_writes_its_first_version(office, colleague) -> None:
    statistics_import(source=csv("710000000,2025-09,crime.registered,1300"), user=colleague)
    value = Value.objects.get()
    Value.objects.filter(pk=value.pk).update(approval_state=ApprovalState.PENDING)
    value.refresh_from_db()
    assert values_approve(versions={value.pk: value.version}, user=office).approved == 1
    assert [r[0] for r in rows(value)] == ["+", "~"]
    assert rows(value)[0][3] == "office.two" and rows(value)[1][3] == "office"


def test_values_written_by_hand_or_by_a_report_keep_their_row_at_creation(office, submitted, astana) -> None:
    by_hand = value_set(
        indicator=Indicator.objects.get(code="crime.theft"),
        region=astana,
        period=Period.parse("2025-09"),
        value=Decimal(7),
        source=ValueSource.MANUAL,
        user=office,
        version="",
    )
    assert [r[0] for r in rows(by_hand)] == ["+"]
    value_set(
        indicator=by_hand.indicator,
        region=astana,
        period=by_hand.period,
        value=Decimal(8),
        source=ValueSource.MANUAL,
        user=office,
        version=Value.objects.get(pk=by_hand.pk).version,
    )
    assert [r[0] for r in rows(by_hand)] == ["+", "~"]

    with time_machine.travel(timezone.now().replace(year=2026, month=11, day=6), tick=True):
        report_approve(report=submitted, user=office)
    from_report = Value.objects.get(report=submitted)
    assert [r[0] for r in rows(from_report)] == ["+"]
    assert from_report.source == ValueSource.REPORT


def test_the_history_reconstructs_every_version(imported: Value, office, colleague) -> None:
    created = imported.import_batch.committed_at
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=5), tick=True):
        statistics_import(source=csv("710000000,2025-09,crime.registered,1310"), user=colleague)
        replaced = timezone.now()
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=10), tick=True):
        imported.refresh_from_db()
        value_set(
            indicator=imported.indicator,
            region=imported.region,
            period=imported.period,
            value=Decimal(1320),
            source=ValueSource.IMPORT,
            user=office,
            approved=True,
        )
        corrected = timezone.now()
        Value.objects.get(pk=imported.pk).delete()
    versions = [
        [v.value for v in Value.history.as_of(moment).filter(pk=imported.pk)]
        for moment in (created - timezone.timedelta(seconds=1), created, replaced, corrected)
    ]
    assert versions == [[], [Decimal(1300)], [Decimal(1310)], [Decimal(1320)]]
    assert not Value.history.as_of(timezone.now() + timezone.timedelta(minutes=20)).filter(pk=imported.pk).exists()


def test_the_admin_history_page_says_which_import_created_the_value(imported: Value, staff: Client, colleague) -> None:
    batch = imported.import_batch
    url = f"/admin/initiatives/value/{imported.pk}/history/"
    page = staff.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"created by import {batch.pk} (sept.csv, office) at " in page
    assert "doesn&#x27;t have a change history" not in page
    staff.cookies["django_language"] = "ru"
    page = staff.get(url).content.decode()
    assert f"создано импортом {batch.pk} (sept.csv, office) в " in page

    # Replaced: its first version, now a row, reads the same, once; then the change.
    statistics_import(source=csv("710000000,2025-09,crime.registered,1310"), filename="fix.csv", user=colleague)
    staff.cookies["django_language"] = "en"
    page = staff.get(url).content.decode()
    assert page.count(f"created by import {batch.pk} (sept.csv, office) at ") == 1
    assert re.search(r"Value: 1\W?300&nbsp;&rarr;&nbsp;1\W?310", page)


def test_values_are_bulk_updated_only_through_the_writer_of_first_versions() -> None:
    """simple-history's bulk update (and the ORM's) sends no signal: for values it goes
    through `values_bulk_update_with_history`, which writes the first versions first."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        if {".venv", "tests", "bench", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        if path.name == "value_history.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            model = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "model")]
            on_values = ast.unparse(node.func).startswith("Value.objects.")
            if (name == "bulk_update_with_history" and any(ast.unparse(m) == "Value" for m in model)) or (
                name == "bulk_update" and on_values
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_a_region_left_alone_is_not_touched(office) -> None:
    """Changing one value never writes the first version of another."""
    statistics_import(
        source=csv("710000000,2025-09,crime.registered,1300", "750000000,2025-09,crime.registered,900"), user=office
    )
    astana = Region.objects.get(kato="710000000")
    Value.objects.get(region=astana).delete()
    assert set(Value.history.values_list("region_id", flat=True)) == {astana.pk}


def test_the_values_are_locked_before_their_first_versions_are_looked_for(imported: Value, office) -> None:
    """Two writers at once must not both find "no history row yet" and write two '+' rows:
    the rows are locked first, so the look comes after the other writer's commit (each
    statement reads afresh). On PostgreSQL; SQLite has one writer at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with CaptureQueriesContext(connection) as orm:
        imported.value = Decimal(1301)
        imported.save()
    sql = [q["sql"] for q in orm.captured_queries]
    locked = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s)
    assert locked < next(i for i, s in enumerate(sql) if "'+'" in s)
    statistics_import(source=csv("750000000,2025-09,crime.registered,7"), user=office)
    second = Value.objects.get(region__kato="750000000", indicator__code="crime.registered", period_start="2025-09-01")
    with CaptureQueriesContext(connection) as imports:
        statistics_import(source=csv("750000000,2025-09,crime.registered,8"), user=office)
    sql = [q["sql"] for q in imports.captured_queries]
    locked = next(i for i, s in enumerate(sql) if "FOR UPDATE OF v" in s)
    assert locked < next(i for i, s in enumerate(sql) if "first_version" in s)
    assert [r[0] for r in rows(second)] == ["+", "~"]


def test_a_querysets_delete_writes_its_values_first_versions_in_one_statement(office) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = statistics_import(
        source=csv(*(f"{kato},2025-09,crime.registered,{n}" for n, kato in enumerate(["710000000", "750000000"]))),
        user=office,
    )
    assert result.batch is not None and result.created == 2
    queryset = Value.objects.filter(indicator__code="crime.registered", period_start="2025-09-01")
    with CaptureQueriesContext(connection) as deleting:
        queryset.delete()
    assert sum("'+'" in q["sql"] for q in deleting.captured_queries) == 1
    for pk in Value.history.filter(history_type="-").values_list("id", flat=True):
        kinds = list(Value.history.filter(id=pk).order_by("history_id").values_list("history_type", flat=True))
        assert kinds == ["+", "-"]
    assert Value.history.filter(history_type="-").count() == 2
    statistics_import(source=csv("710000000,2025-09,crime.registered,5"), user=office)
    queryset.delete()  # the same queryset again, other rows: their first versions too
    assert list(Value.history.filter(history_type="+").values_list("value", flat=True).order_by("history_id"))[-1] == 5
