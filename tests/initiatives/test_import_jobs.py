"""An uploaded statistics file as a worker runs it: every way a run can end, and never
twice. (The real worker, killed mid-run, is in tests/jobs.)"""

import datetime
import time
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.utils import timezone

from agencies.models import Agency
from initiatives.models import ImportBatch, Value
from initiatives.statistics import jobs
from initiatives.statistics.jobs import (
    MAX_ATTEMPTS,
    import_job_run,
    import_job_submit,
    import_jobs_orphaned,
    import_jobs_to_requeue,
    import_uploads_delete_old,
)
from projectoffice.job_locks import IMPORT_JOBS

pytestmark = pytest.mark.django_db

GOOD = b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n"


def submitted(content: bytes = GOOD) -> ImportBatch:
    return import_job_submit(
        upload=SimpleUploadedFile("stats.csv", content),
        user=None,
        agency=Agency.objects.get(code="kpssu"),
        dry_run=False,
    )


def test_a_job_runs_to_its_end_once() -> None:
    batch = submitted()
    assert import_job_run(batch_id=batch.pk).status == "succeeded"
    assert import_job_run(batch_id=batch.pk).status == "succeeded"
    batch.refresh_from_db()
    assert (batch.attempts, batch.created, batch.progress_done, batch.progress_total) == (1, 1, 1, 1)
    assert Value.objects.get().value == 1300


def test_a_run_that_hits_the_time_limit_ends_refused_and_writes_nothing() -> None:
    batch = submitted()
    with mock.patch.object(jobs, "statistics_import", side_effect=SoftTimeLimitExceeded()):
        ended = import_job_run(batch_id=batch.pk)
    assert ended.status == "failed"
    assert jobs.import_job_errors(ended)[0].message.startswith("the import took longer than 25 minutes and was stopped")
    assert not Value.objects.exists()


def test_an_unexpected_error_ends_the_job_refused_rather_than_running_forever() -> None:
    batch = submitted()
    with mock.patch.object(jobs, "statistics_import", side_effect=KeyError("bug")):
        ended = import_job_run(batch_id=batch.pk)
    assert (ended.status, jobs.import_job_errors(ended)[0].message) == (
        "failed",
        "the import stopped on an unexpected error (KeyError); nothing was written",
    )


def test_passing_database_trouble_is_left_to_the_tasks_retry() -> None:
    batch = submitted()
    with (
        mock.patch.object(jobs, "statistics_import", side_effect=OperationalError("lock timeout")),
        pytest.raises(OperationalError),
    ):
        import_job_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("running", 1)
    assert import_job_run(batch_id=batch.pk).status == "succeeded"  # the retry


def test_a_job_its_workers_keep_dying_on_is_given_up() -> None:
    batch = submitted()
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", attempts=MAX_ATTEMPTS)
    ended = import_job_run(batch_id=batch.pk)
    assert ended.status == "failed"
    assert (
        jobs.import_job_errors(ended)[0].message
        == "the import was started 5 times and never finished; nothing was written"
    )
    assert not Value.objects.exists()


def test_a_lost_file_ends_the_job_refused() -> None:
    batch = submitted()
    batch.upload.delete(save=False)
    assert jobs.import_job_errors(import_job_run(batch_id=batch.pk))[0].message == "the uploaded file is missing"


@pytest.mark.postgres
def test_a_second_delivery_leaves_a_running_job_to_its_runner() -> None:
    """The runner holds the job's session lock (another connection here); the second
    delivery neither runs the file again nor counts an attempt."""
    import psycopg

    batch = submitted()
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", attempts=1)
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as runner:
        runner.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_JOBS, batch.pk])
        with mock.patch.object(jobs, "statistics_import") as imported:
            assert import_job_run(batch_id=batch.pk).status == "running"
        imported.assert_not_called()
    batch.refresh_from_db()
    assert batch.attempts == 1
    # The server lets go of a closed session's locks when its backend exits, a moment after
    # the client hung up (on a loaded machine, long enough for the next line to race it).
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
                [IMPORT_JOBS, batch.pk],
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    assert import_job_run(batch_id=batch.pk).status == "succeeded"  # its runner is gone: taken over


@pytest.mark.postgres
def test_the_takeover_gives_out_a_job_whose_worker_died_at_once_and_leaves_a_live_ones(in_process_tasks) -> None:
    import psycopg

    from initiatives import tasks

    batch = submitted()
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", started_at=timezone.now(), attempts=1)
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as runner:
        runner.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_JOBS, batch.pk])
        assert import_jobs_orphaned() == []  # a live worker, however slow, keeps its job
        assert tasks.take_over_jobs() == {"imports": 0, "exports": 0, "forecasts": 0}
    # Its connection is gone (the process died): taken over a moment later, not hours.
    assert import_jobs_orphaned() == [(batch.pk, 1)]
    assert tasks.take_over_jobs() == {"imports": 1, "exports": 0, "forecasts": 0}
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.created) == ("succeeded", 2, 1)
    assert Value.objects.count() == 1
    assert tasks.take_over_jobs() == {"imports": 0, "exports": 0, "forecasts": 0}


def test_without_locks_a_job_running_longer_than_any_task_may_is_taken_over(settings) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL tells a dead worker by its lock (the test above)")
    batch = submitted()
    started = datetime.datetime(2025, 10, 1, 9, tzinfo=datetime.UTC)
    ImportBatch.objects.filter(pk=batch.pk).update(status="running", started_at=started, attempts=1)
    limit = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    assert import_jobs_orphaned(now=started + limit - datetime.timedelta(seconds=1)) == []
    assert import_jobs_orphaned(now=started + limit + datetime.timedelta(seconds=1)) == [(batch.pk, 1)]
    assert import_jobs_to_requeue(now=started + limit + datetime.timedelta(seconds=1)) == []  # the sweep's are waiting


def test_kept_files_are_deleted_a_month_after_their_import_ended() -> None:
    batch = submitted()
    import_job_run(batch_id=batch.pk)
    batch.refresh_from_db()
    path = batch.upload.path
    assert import_uploads_delete_old(now=batch.finished_at + datetime.timedelta(days=29)) == 0
    assert import_uploads_delete_old(now=batch.finished_at + datetime.timedelta(days=31)) == 1
    batch.refresh_from_db()
    assert batch.upload == "" and not __import__("os").path.exists(path)
    assert batch.status == "succeeded"  # the record stays


def test_a_dry_run_job_writes_nothing() -> None:
    batch = import_job_submit(upload=SimpleUploadedFile("c.csv", GOOD), user=None, agency=None, dry_run=True)
    ended = import_job_run(batch_id=batch.pk)
    assert (ended.status, ended.dry_run, ended.created) == ("succeeded", True, 1)
    assert not Value.objects.exists()


def test_a_dry_run_job_reports_the_rows_it_checked_not_0_of_0() -> None:
    two_rows = GOOD + b"710000000,2025-08,crime.registered,1200\n"
    batch = import_job_submit(upload=SimpleUploadedFile("c.csv", two_rows), user=None, agency=None, dry_run=True)
    ended = import_job_run(batch_id=batch.pk)
    assert (ended.rows, ended.progress_done, ended.progress_total) == (2, 2, 2)
    assert jobs.import_job_progress(ended) == {"stage": "", "done": 2, "total": 2}
