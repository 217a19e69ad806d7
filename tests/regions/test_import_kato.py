import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from regions.models import Region
from regions.services import KatoImportError, regions_import_kato

HEADER = "TE,AB,CD,EF,HIJ,K,NAME_KAZ,NAME_RUS,NN"
GOOD_ROWS = [
    "110000000,11,00,00,000,1,Ақмола облысы,Акмолинская область,",
    "111000000,11,10,00,000,2,Көкшетау Қ.Ә.,Кокшетау Г.А.,",
    "113200000,11,32,00,000,2,Аршалы ауданы,Аршалынский район,",
    "113220000,11,32,20,000,3,Анар ауылдық округі,Анарский с.о.,",
    "113220100,11,32,20,100,4,Анар ауылы,с.Анар,",
    "113220200,11,32,20,200,4,Бабатай ауылы,с.Бабатай,",
    "711100000,71,11,00,000,2,Алматы ауданы,район Алматы,",
]


def csv_file(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


def snapshot() -> tuple[int, int, list[tuple[str, str, str]]]:
    """What a refused import must leave exactly as it was."""
    return (
        Region.objects.count(),
        Region.history.count(),
        list(Region.objects.values_list("kato", "name_ru", "name_kk")),
    )


@pytest.mark.django_db
def test_it_loads_districts_okrugs_and_settlements_under_their_parents() -> None:
    result = regions_import_kato(source=csv_file(*GOOD_ROWS), filename="kato.csv")

    assert (result.created, result.updated, result.unchanged) == (6, 0, 1)
    village = Region.objects.select_related("parent__parent__parent").get(kato="113220100")
    assert (village.level, village.kind, village.name_ru, village.name_kk) == (4, "settlement", "с.Анар", "Анар ауылы")
    assert [village.parent.kato, village.parent.parent.kato, village.parent.parent.parent.kato] == [
        "113220000",
        "113200000",
        "110000000",
    ]
    assert Region.objects.get(kato="113220000").kind == "rural_okrug"
    assert Region.objects.get(kato="111000000").kind == "city"
    assert Region.objects.get(kato="711100000").kind == "city_district"


@pytest.mark.django_db
def test_it_reads_an_xlsx_file_the_same_way() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    for row in GOOD_ROWS:
        # Excel stores codes as numbers and drops the leading zeros of CD, EF, HIJ.
        cells = row.split(",")
        sheet.append([int(cells[0]), int(cells[1]), int(cells[2]), int(cells[3]), int(cells[4]), *cells[5:]])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)

    result = regions_import_kato(source=data, filename="kato.xlsx")

    assert result.created == 6
    assert Region.objects.get(kato="113220200").parent.kato == "113220000"


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing() -> None:
    regions_import_kato(source=csv_file(*GOOD_ROWS))
    before = snapshot()

    result = regions_import_kato(source=csv_file(*GOOD_ROWS))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_renamed_unit_is_updated_and_the_old_name_stays_in_history() -> None:
    regions_import_kato(source=csv_file(*GOOD_ROWS))
    renamed = [row.replace("с.Бабатай", "с.Бабатай-Новый") for row in GOOD_ROWS]

    result = regions_import_kato(source=csv_file(*renamed))

    assert result.updated == 1
    village = Region.objects.get(kato="113220200")
    assert village.name_ru == "с.Бабатай-Новый"
    assert list(village.history.values_list("name_ru", flat=True)) == ["с.Бабатай-Новый", "с.Бабатай"]


@pytest.mark.django_db
def test_the_english_name_and_kind_of_a_known_unit_are_kept() -> None:
    regions_import_kato(source=csv_file(*GOOD_ROWS))
    akmola = Region.objects.get(kato="110000000")
    assert (akmola.name_en, akmola.kind, akmola.iso_3166_2) == ("Akmola Region", "region", "KZ-11")


@pytest.mark.django_db
def test_a_dry_run_counts_but_writes_nothing() -> None:
    before = snapshot()
    result = regions_import_kato(source=csv_file(*GOOD_ROWS), dry_run=True)
    assert result.dry_run and result.created == 6
    assert snapshot() == before


BAD_FILES = {
    "short code": (["11320010,11,32,00,10,4,А,Б,"], [(2, "TE", "exactly 9 digits")]),
    "letters in code": (["11322A100,11,32,2A,100,4,А,Б,"], [(2, "TE", "exactly 9 digits")]),
    "group does not match code": (["113220300,11,32,21,300,4,А,Б,"], [(2, "EF", "does not match digits 20")]),
    "empty names": (["113220300,11,32,20,300,4,,,"], [(2, "NAME_KAZ", "empty"), (2, "NAME_RUS", "empty")]),
    "same code twice": (
        ["113220300,11,32,20,300,4,А,Б,", "113220300,11,32,20,300,4,В,Г,"],
        [(3, "TE", "already given on line 9")],  # absolute: header + 7 good rows + 1,
    ),
    "no parent anywhere": (["991000000,99,10,00,000,2,А,Б,"], [(2, "TE", "no parent unit for 991000000")]),
    "row longer than header": (["113220300,11,32,20,300,4,А,Б,,extra"], [(2, "", "more values than columns")]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_row_is_reported_by_line_and_nothing_is_written(case: str) -> None:
    bad_rows, expected = BAD_FILES[case]
    before = snapshot()

    with pytest.raises(KatoImportError) as info:
        regions_import_kato(source=csv_file(*GOOD_ROWS, *[r for r in bad_rows]))

    offset = len(GOOD_ROWS)  # the bad rows come after the good ones
    got = [(e.line - offset, e.column, e.message) for e in info.value.errors]
    assert len(got) == len(expected), got
    for (line, column, message), (want_line, want_column, fragment) in zip(got, expected, strict=True):
        assert (line, column) == (want_line, want_column)
        assert fragment in message
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the file is empty"),
        (b"TE,AB,CD,NAME_KAZ\n", "missing column(s): ef, hij, name_rus"),
        ((HEADER + ",COLOUR\n").encode(), "unexpected column(s): colour"),
        ((HEADER + "\n").encode(), "header but no rows"),
        ((HEADER + "\n113220100,11,32,20,100,4,Анар,с.Анар,\n").encode("cp1251"), "not UTF-8"),
        (b"PK\x03\x04 not really a workbook", "not a readable XLSX"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content: bytes, fragment: str) -> None:
    before = snapshot()
    with pytest.raises(KatoImportError) as info:
        regions_import_kato(source=io.BytesIO(content), filename="kato.csv")
    assert any(fragment in str(e) for e in info.value.errors), info.value.errors
    assert snapshot() == before


@pytest.mark.django_db
def test_the_command_prints_every_bad_row_and_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "kato.csv"
    path.write_bytes(csv_file(*GOOD_ROWS, "11322010,11,32,20,10,4,А,Б,", "113220300,11,32,20,300,4,,Б,").getvalue())
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="refused, 2 problem"):
        call_command("import_kato", str(path), stderr=stderr)

    assert "kato.csv: line 9, TE: KATO code '11322010' must be exactly 9 digits" in stderr.getvalue()
    assert "kato.csv: line 10, NAME_KAZ: the name is empty" in stderr.getvalue()
    assert not Region.objects.filter(kato__startswith="1132").exists()


@pytest.mark.django_db
def test_the_command_reports_what_it_loaded(tmp_path: Path) -> None:
    path = tmp_path / "kato.csv"
    path.write_bytes(csv_file(*GOOD_ROWS).getvalue())
    stdout = io.StringIO()
    call_command("import_kato", str(path), stdout=stdout)
    assert "kato.csv: created 6, updated 0, unchanged 1" in stdout.getvalue()
