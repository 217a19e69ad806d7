"""Personal data are erased after the retention period, in every place they were; the
reports, and so the counts, stay. Keys rotate without losing a report."""

import datetime

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from citizens.demo import seed_citizen_register
from citizens.identity import iin_hash, iin_is_valid
from citizens.models import CitizenReport, PersonalDataRequest
from citizens.services import personal_data_erase_expired
from citizens.tasks import erase_expired_personal_data
from initiatives.models import Value

from .conftest import csv_file, iins, row

pytestmark = pytest.mark.django_db


def _import(tmp_path) -> list[dict[str, str]]:
    old, recent, undecided_old = iins(3, seed="retention")
    rows = [
        # Decided on 2021-06-30: five years are over on 2026-06-30.
        row(iin=old, received_on="2021-06-01", status="not_confirmed", decided_on="2021-06-30"),
        row(iin=recent, received_on="2024-03-01", status="not_confirmed", decided_on="2024-03-15"),
        # Never decided: counted from its receipt.
        row(iin=undecided_old, received_on="2021-05-01"),
    ]
    call_command("import_citizen_reports", str(csv_file(tmp_path, rows)))
    return rows


def _texts() -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema itself
            parts += [str(v) for values in cursor.fetchall() for v in values if v is not None]
    return "\n".join(parts)


def test_the_retention_job_erases_personal_data_and_keeps_the_counts(tmp_path, branch_astana):
    with time_machine.travel("2026-07-01 09:00 +0000", tick=True):
        rows = _import(tmp_path)
        old = CitizenReport.objects.get(received_on="2021-06-01")
        PersonalDataRequest.objects.create(
            report=old, kind="access", received_on=datetime.date(2021, 7, 1), request_text="Sentinel asks"
        )
        counts = dict(Value.objects.filter(indicator__code__startswith="citizen_reports").values_list("pk", "value"))
        hashes = [iin_hash(r["iin"]) for r in rows]

        assert erase_expired_personal_data.apply().get() == 2  # the task itself, run here
        assert personal_data_erase_expired() == 0  # a second run finds nothing

        erased = CitizenReport.objects.filter(personal_data_erased_at__isnull=False)
        assert set(erased.values_list("received_on", flat=True)) == {
            datetime.date(2021, 6, 1),
            datetime.date(2021, 5, 1),
        }
        for report in erased:
            assert (report.iin, report.full_name, report.phone, report.iin_hash) == (None, None, None, "")
        kept = CitizenReport.objects.get(received_on="2024-03-01")
        assert kept.iin == rows[1]["iin"]
        assert CitizenReport.objects.count() == 3
        after = dict(Value.objects.filter(indicator__code__startswith="citizen_reports").values_list("pk", "value"))
        assert after == counts
        dump = _texts()
        assert rows[0]["iin"] not in dump and hashes[0] not in dump and hashes[2] not in dump
        assert "Sentinel asks" not in dump
        assert hashes[1] in dump  # the recent one is still findable
        history = old.history.first()
        assert history.history_change_reason == "retention period over"


def test_the_retention_period_is_a_setting(tmp_path, branch_astana, settings):
    settings.CITIZENS_RETENTION_YEARS = 2
    with time_machine.travel("2026-07-01 09:00 +0000", tick=True):
        _import(tmp_path)
        call_command("erase_citizen_personal_data")
        assert CitizenReport.objects.filter(personal_data_erased_at__isnull=True).count() == 0


def test_a_rotated_key_still_reads_old_data_and_the_rotation_rewrites_them(tmp_path, branch_astana, settings):
    with time_machine.travel("2026-07-01 09:00 +0000", tick=True):
        rows = _import(tmp_path)
    old_key = settings.CITIZENS_DATA_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CITIZENS_DATA_KEYS = [new_key, old_key]
    assert CitizenReport.objects.get(received_on="2024-03-01").iin == rows[1]["iin"]
    call_command("rotate_citizen_data_key")
    settings.CITIZENS_DATA_KEYS = [new_key]  # the old key is gone
    assert CitizenReport.objects.get(received_on="2024-03-01").iin == rows[1]["iin"]


def test_seed_demo_fills_the_register_with_synthetic_people_whose_iins_are_valid(db):
    from agencies.demo import seed_reference_and_people

    with time_machine.travel("2026-12-02 09:00 +0000", tick=True):
        seed_reference_and_people(password="demo")
        seed_citizen_register()
        reports = list(CitizenReport.objects.all())
        assert len(reports) > 500
        assert all(iin_is_valid(r.iin) and r.iin[7:11] == "9999" for r in reports)
        assert all(r.full_name.startswith("DEMO ") and r.phone.startswith("+7700000") for r in reports)
        assert {r.status for r in reports} == {"received", "confirmed", "not_confirmed"}
        assert {r.reward for r in reports} == {"none", "thanks", "certificate", "money"}
        assert not any(r.reward == "money" and r.law_enforcement_staff for r in reports)
        assert Value.objects.filter(indicator__code="citizen_reports.rewarded").exists()
        before = CitizenReport.objects.count()
        seed_citizen_register()
        assert CitizenReport.objects.count() == before


def test_the_erasure_is_scheduled_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["erase-citizen-personal-data"]
    assert entry["task"] == erase_expired_personal_data.name == "citizens.tasks.erase_expired_personal_data"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {15}
