"""One claim, end and sweep for every kind of job (imports and exports alike)."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone

from initiatives.models import Export, ExportFormat, ImportBatch
from projectoffice.job_locks import EXPORT_JOBS, IMPORT_JOBS, job_lock, jobs_held
from projectoffice.jobs import (
    MAX_ATTEMPTS,
    Failure,
    JobFailed,
    JobRun,
    job_claim,
    job_end,
    job_run,
    jobs_orphaned,
    jobs_to_requeue,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [ImportBatch, Export])
def test_a_claim_counts_an_attempt_and_a_finished_job_is_not_claimed(model) -> None:
    job = model.objects.create(format=ExportFormat.CSV) if model is Export else model.objects.create(file_name="a.csv")
    claimed = job_claim(model, job.pk)
    assert (claimed.status, claimed.attempts) == (model.statuses.running, 1)
    ready = {"expires_at": timezone.now()} if model is Export else {}  # a ready file says when it goes
    assert job_end(claimed, rows=3, **ready) is True
    job.refresh_from_db()
    assert (job.status, job.rows, job.finished_at is not None) == (model.statuses.done, 3, True)
    assert job_claim(model, job.pk) is None


def test_a_worker_presumed_dead_cannot_end_the_job_another_took_over() -> None:
    job = ImportBatch.objects.create(file_name="a.csv")
    first = job_claim(ImportBatch, job.pk)
    second = job_claim(ImportBatch, job.pk)  # the first worker's lock went with its connection
    assert second.attempts == 2
    assert job_end(first, failed=True) is False
    assert job_end(second) is True
    job.refresh_from_db()
    assert job.status == ImportBatch.statuses.done


def test_the_sweep_lists_jobs_never_queued_and_leaves_running_ones_to_the_takeover(settings) -> None:
    now = timezone.now()
    fresh = Export.objects.create(format=ExportFormat.CSV)
    forgotten = Export.objects.create(format=ExportFormat.CSV)
    dead = Export.objects.create(format=ExportFormat.CSV)
    Export.objects.filter(pk=forgotten.pk).update(created_at=now - datetime.timedelta(minutes=5))
    longest = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    Export.objects.filter(pk=dead.pk).update(
        status=Export.statuses.running, created_at=now - 2 * longest, started_at=now - longest - datetime.timedelta(1)
    )
    found = jobs_to_requeue(Export.objects.all(), waiting_longer_than=datetime.timedelta(minutes=1), limit=10, now=now)
    assert found == [forgotten.pk]
    assert fresh.pk not in found
    assert jobs_orphaned(Export.objects.all(), kind=EXPORT_JOBS, limit=10, now=now) == [(dead.pk, 0)]


@pytest.mark.postgres
def test_a_running_job_whose_lock_is_held_is_not_orphaned_and_one_whose_lock_is_free_is() -> None:
    running = [Export.objects.create(format=ExportFormat.CSV, status=Export.statuses.running) for _ in range(3)]
    with job_lock(EXPORT_JOBS, running[1].pk) as held:
        assert held
        found = jobs_orphaned(Export.objects.all(), kind=EXPORT_JOBS, limit=10)
        assert sorted(found) == [(running[0].pk, 0), (running[2].pk, 0)]
        # The lock of another kind of job with the same id is another lock.
        assert jobs_held(IMPORT_JOBS, [running[1].pk]) == set()


def _said(job: Export, failure: Failure, error: BaseException | None) -> dict[str, Any]:
    """A job's own words for each failure, as a job kind gives them to job_run."""
    return {"error": f"{failure.value}:{type(error).__name__ if error else '-'}"}


def _run(job: Export, work: Callable[[Export], object], **options: Any) -> JobRun[object]:
    return job_run(Export, job.pk, work, lock=EXPORT_JOBS, fail_fields=_said, **options)


def _ends_done(job: Export) -> str:
    assert job_end(job, rows=7, expires_at=timezone.now())
    return "built"


def test_job_run_claims_works_and_a_second_run_finds_the_job_finished() -> None:
    job = Export.objects.create(format=ExportFormat.CSV)
    run = _run(job, _ends_done)
    assert (run.claimed, run.result, run.failed) == (True, "built", False)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows) == (Export.statuses.done, 1, 7)
    assert _run(job, _ends_done).claimed is False


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (JobFailed(error="refused: no rights"), "refused: no rights"),
        (SoftTimeLimitExceeded(), "timed_out:SoftTimeLimitExceeded"),
        (KeyError("bug"), "broke:KeyError"),
    ],
)
def test_job_run_ends_a_refused_timed_out_or_broken_job_failed_in_its_own_words(error: Exception, said: str) -> None:
    job = Export.objects.create(format=ExportFormat.CSV)

    def work(_job: Export) -> None:
        raise error

    run = _run(job, work)
    assert (run.claimed, run.failed) == (True, True)
    job.refresh_from_db()
    assert (job.status, job.error) == (Export.statuses.failed, said)


def test_job_run_raises_passing_trouble_and_leaves_the_job_to_the_retry() -> None:
    job = Export.objects.create(format=ExportFormat.CSV)

    def database_down(_job: Export) -> None:
        raise OperationalError("lock timeout")

    def storage_down(_job: Export) -> None:
        raise OSError("storage down")

    with pytest.raises(OperationalError):
        _run(job, database_down)
    with pytest.raises(OSError):
        _run(job, storage_down, passing=(OSError,), passing_fields=lambda _job, exc: {"error": str(exc)})
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (Export.statuses.running, 2, "storage down")
    assert _run(job, _ends_done).result == "built"  # the retry takes it over


def test_job_run_gives_up_a_job_claimed_more_than_max_attempts_without_working() -> None:
    job = Export.objects.create(format=ExportFormat.CSV, status=Export.statuses.running, attempts=MAX_ATTEMPTS)
    worked: list[Export] = []
    run = _run(job, worked.append)
    assert (run.claimed, run.failed, worked) == (True, True, [])
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (Export.statuses.failed, MAX_ATTEMPTS + 1, "gave_up:-")


@pytest.mark.postgres
def test_job_run_leaves_a_job_whose_lock_a_live_worker_holds() -> None:
    import psycopg
    from django.db import connection

    job = Export.objects.create(format=ExportFormat.CSV, status=Export.statuses.running, attempts=1)
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as worker:
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [EXPORT_JOBS, job.pk])
        assert _run(job, _ends_done).claimed is False
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Export.statuses.running, 1)
