"""One claim, end and sweep for every kind of job (imports and exports alike)."""

import datetime

import pytest
from django.utils import timezone

from initiatives.models import Export, ExportFormat, ImportBatch
from projectoffice.job_locks import EXPORT_JOBS, IMPORT_JOBS, job_lock, jobs_held
from projectoffice.jobs import job_claim, job_end, jobs_orphaned, jobs_to_requeue

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
