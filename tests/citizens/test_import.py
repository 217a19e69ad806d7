"""import_citizen_reports: all or nothing, every bad row named by line, column and
reason, never by the value of a personal field; what lands is encrypted at rest."""

import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from citizens.identity import iin_hash
from citizens.import_file import COLUMNS
from citizens.models import CitizenReport, CitizenReportStatus

from .conftest import PEOPLE, csv_file, iins, row, three_people

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.usefixtures("second_of_december")]


def refused(path) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("import_citizen_reports", str(path), stderr=(out := __import__("io").StringIO()))
    assert "nothing was written" in str(caught.value)
    return out.getvalue()


def test_a_good_file_lands_whole_with_the_personal_data_encrypted_and_hashed(tmp_path, branch_astana, almaty_branch):
    rows = three_people()
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))
    assert CitizenReport.objects.count() == 3
    money = CitizenReport.objects.get(status=CitizenReportStatus.CONFIRMED)
    assert (money.branch, money.reward, money.amount_kzt) == (almaty_branch, "money", 150000)
    assert money.iin == rows[1]["iin"] and money.full_name == PEOPLE[1][0]  # decrypted on the way out
    assert money.iin_hash == iin_hash(rows[1]["iin"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT iin, full_name, phone FROM citizens_citizenreport")
        stored = [value for r in cursor.fetchall() for value in r]
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens, not the values


def test_a_dry_run_checks_everything_and_writes_nothing(tmp_path, branch_astana, almaty_branch):
    out = __import__("io").StringIO()
    call_command("import_citizen_reports", str(csv_file(tmp_path, three_people())), "--dry-run", stdout=out)
    assert "3 reports checked" in out.getvalue()
    assert not CitizenReport.objects.exists()


def test_an_xlsx_file_is_read_like_the_csv(tmp_path, branch_astana, almaty_branch):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for r in three_people():
        sheet.append([r[c] for c in COLUMNS])
    path = tmp_path / "register.xlsx"
    book.save(path)
    call_command("import_citizen_reports", str(path))
    assert CitizenReport.objects.count() == 3


def test_one_bad_iin_refuses_the_whole_file_naming_line_and_column_but_not_the_value(
    tmp_path, branch_astana, almaty_branch
):
    rows = three_people()
    good = rows[2]["iin"]
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    rows[2]["iin"] = bad
    report = refused(csv_file(tmp_path, rows))
    assert "line 4, iin: the IIN is not 12 digits with a valid check digit" in report
    assert bad not in report and bad[:8] not in report
    assert not CitizenReport.objects.exists()


def test_every_bad_row_is_listed_with_its_reason(tmp_path, branch_astana, almaty_branch):
    rows = [
        row(status="received", reward="money", amount_kzt="1000", awarded_on="2026-03-05"),  # not confirmed
        row(
            status="confirmed",
            decided_on="2026-03-10",
            decision_no="1",
            reward="money",
            amount_kzt="1000",
            awarded_on="2026-03-12",
            law_enforcement_staff="yes",
        ),
        row(received_on="2027-01-05"),  # in the future
        row(channel="fax", full_name="", phone="12"),
        row(agency="gpo", region="110000000"),  # the demo has no such branch here
        row(status="confirmed", decided_on="2026-03-10"),  # no decision number
    ]
    report = refused(csv_file(tmp_path, rows))
    assert "line 2, reward: only a confirmed report is rewarded" in report
    assert "line 3, reward: staff of law-enforcement bodies get no money reward" in report
    assert "line 4, received_on: the date is in the future" in report
    assert "line 5, channel: not one of phone, online, in_person, letter" in report
    assert "line 5, full_name: the full name is required" in report
    assert "line 5, phone: the phone number is not 10 to 15 digits" in report
    assert "line 6, region: no branch of the register has this agency code and this region code" in report
    assert "line 7, decision_no: a confirmed report needs the number of the procedural decision" in report
    assert PEOPLE[0][0] not in report and PEOPLE[0][1] not in report
    assert not CitizenReport.objects.exists()


def _every_text_in_the_database() -> str:
    """Every value of every column of every table, history tables included, as text."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema itself
            for values in cursor.fetchall():
                parts += [str(v) for v in values if v is not None]
    return "\n".join(parts)


def test_a_dump_of_the_database_after_an_import_holds_no_iin_name_or_phone(
    tmp_path, branch_astana, almaty_branch, secrets_of
):
    rows = three_people()
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))
    dump = _every_text_in_the_database()
    assert "Sentinel" not in dump
    leaked = [s for s in secrets_of(rows) if s in dump]
    assert leaked == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pg_dump_after_an_import_holds_no_iin_name_or_phone(
    reference_data, tmp_path, branch_astana, almaty_branch, secrets_of
):
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    rows = three_people()
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))  # committed: pg_dump sees it
    db = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "citizens_citizenreport" in result.stdout and "gAAAAA" in result.stdout
    assert [s for s in secrets_of(rows) if s in result.stdout] == []


def test_the_same_person_is_found_again_by_the_keyed_hash_only(tmp_path, branch_astana, almaty_branch):
    (same,) = iins(1, seed="repeat")
    rows = [row(iin=same), row(iin=same, received_on="2026-05-05"), row(iin=iins(1, seed="other")[0])]
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))
    assert CitizenReport.objects.filter(iin_hash=iin_hash(same)).count() == 2


def _shifted(cells: dict[str, str], columns: list[str], *, lost_after: str = "", stray_before: str = "") -> str:
    """A CSV line of `cells` in the order of `columns` whose delimiter after one column was
    lost (two cells run together) or which has a stray one before a column."""
    out: list[str] = []
    for name in columns:
        if name == stray_before:
            out.append("")
        out.append(cells[name])
        if name == lost_after:
            out[-1] += cells[columns[columns.index(name) + 1]]
    if lost_after:
        del out[columns.index(lost_after) + 1]
    return ",".join(out)


@pytest.mark.parametrize(
    ("columns", "lost_after", "stray_before", "empty"),
    [
        # the register's own order, one delimiter lost early on: the IIN lands in a yes/no column
        (list(COLUMNS), "channel", "", ""),
        # another order (columns are read by name), a stray delimiter: the phone lands in a date
        (
            [c for c in COLUMNS if c not in ("amount_kzt", "awarded_on")] + ["awarded_on", "amount_kzt"],
            "",
            "iin",
            "",
        ),
        # a stray delimiter before the IIN, the phone left empty (no cell beyond the header):
        # the IIN lands in the yes/no column after it
        (
            [c for c in COLUMNS if c not in ("iin", "law_enforcement_staff", "full_name", "phone")]
            + ["iin", "law_enforcement_staff", "full_name", "phone"],
            "",
            "iin",
            "phone",
        ),
    ],
)
def test_a_shifted_row_is_reported_by_line_and_column_never_by_a_personal_value(
    tmp_path, branch_astana, almaty_branch, columns, lost_after, stray_before, empty
):
    cells = row()
    if empty:
        cells[empty] = ""
    path = tmp_path / "shifted.csv"
    path.write_text(
        ",".join(columns) + "\n" + _shifted(cells, columns, lost_after=lost_after, stray_before=stray_before) + "\n"
    )
    report = refused(path)
    assert "line 2, " in report
    for secret in (cells["iin"], cells["iin"][:8], cells["iin"][-6:], cells["full_name"].split()[0], PEOPLE[0][1][-7:]):
        assert secret not in report
    assert not CitizenReport.objects.exists()


def test_a_date_before_the_register_began_is_refused_by_line_and_column(tmp_path, branch_astana, almaty_branch):
    rows = [row(received_on="1899-12-31"), row(received_on="1900-01-01"), row(received_on="2020-01-01")]
    report = refused(csv_file(tmp_path, rows))
    assert "line 2, received_on: the register has no dates before 1 January 2020" in report
    assert "line 3, received_on: the register has no dates before 1 January 2020" in report
    assert "line 4" not in report
    assert not CitizenReport.objects.exists()
