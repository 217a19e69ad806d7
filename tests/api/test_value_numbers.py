"""Figures leave in their KPI's places: "654" for a count, "12.5" for a share with one
place, never "654.0000", and never rounded: a figure holding more places keeps them.
The same in JSON, the CSV (Python's writer, or PostgreSQL's COPY), the XLSX export and
a report's lines. Checked against hand-made values."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from initiatives.models import Indicator
from projectoffice.numbers import exact_text
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("654.0000", 0, "654"),
        ("0.0000", 0, "0"),
        ("12.5000", 1, "12.5"),
        ("12.0000", 1, "12.0"),
        ("12.3400", 1, "12.34"),  # more places than the KPI's: kept, not rounded
        ("98500.0000", 0, "98500"),
        ("1200.5000", 0, "1200.5"),
        ("0.0001", 2, "0.0001"),
        ("7.1000", 2, "7.10"),
    ],
)
def test_a_figure_is_written_in_its_places_and_never_rounded(value: str, places: int, text: str) -> None:
    assert exact_text(Decimal(value), places) == text


@pytest.fixture
def figures(db: None) -> dict[str, int]:
    """A count, a share with one place, and a share holding two."""
    assert Indicator.objects.get(code="cases.electronic_share").decimal_places == 1
    return {
        "count": ValueFactory(kpi="crime.theft", period="2026-01", value=654).pk,
        "share": ValueFactory(kpi="cases.electronic_share", period="2026-01", value="12.5").pk,
        "finer": ValueFactory(kpi="cases.electronic_share", period="2026-02", value="12.34").pk,
    }


EXPECTED = {"count": "654", "share": "12.5", "finer": "12.34"}


def test_the_values_list_and_one_value_carry_the_kpis_places(caller, figures) -> None:
    client = caller("office")
    rows = {r["id"]: r["value"] for r in client.get("/api/v1/values/").json()["results"]}
    assert {name: rows[pk] for name, pk in figures.items()} == EXPECTED
    for name, pk in figures.items():
        assert client.get(f"/api/v1/values/{pk}/").json()["value"] == EXPECTED[name]


def test_the_csv_of_values_carries_the_kpis_places(caller, figures) -> None:
    """On PostgreSQL the database writes this CSV (COPY), formatting in SQL."""
    client = caller("office")
    text = b"".join(client.get("/api/v1/values/", {"format": "csv"}).streaming_content).decode()
    rows = {int(r["id"]): r["value"] for r in csv.DictReader(io.StringIO(text))}
    assert {name: rows[pk] for name, pk in figures.items()} == EXPECTED
    assert ".0000" not in text


def test_the_xlsx_export_holds_numbers_in_the_kpis_places(
    caller, figures, in_process_tasks, django_capture_on_commit_callbacks
) -> None:
    client = caller("office")
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post("/api/v1/exports/", {"format": "xlsx", "filters": {}}, format="json").json()
    download = client.get(job["links"]["download"])
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    by_id = {row[header.index("id")]: row[header.index("value")] for row in rows}
    assert {name: by_id[pk] for name, pk in figures.items()} == {"count": 654, "share": 12.5, "finer": 12.34}
    assert isinstance(by_id[figures["count"]], int)  # a count is a whole number in the sheet


def test_a_reports_lines_carry_the_kpis_places(caller, coordinator_astana, astana) -> None:
    from agencies.models import RegionalBranch
    from initiatives.models import ReportKind, ReportLine
    from initiatives.periods import Period
    from initiatives.services.reports import report_create

    branch = RegionalBranch.objects.get(region=astana)
    report = report_create(
        branch=branch, kind=ReportKind.MONTHLY, period=Period.parse("2026-01"), user=coordinator_astana
    )
    kpi = Indicator.objects.get(code="events.legal_literacy")
    ReportLine.objects.create(report=report, indicator=kpi, value=Decimal("40.0000"))
    lines = caller("office").get(f"/api/v1/reports/{report.pk}/").json()["lines"]
    assert [(line["kpi"], line["value"]) for line in lines] == [("events.legal_literacy", "40")]
