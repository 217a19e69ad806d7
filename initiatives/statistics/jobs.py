"""Statistics files pushed through the API: kept, then imported by a worker.

The batch row is the job. A worker takes it (waiting -> running), reads the kept file,
and the import marks it imported in the same transaction as the values, so a job run
twice (a worker killed mid-task and the message redelivered) lands once. A refused file
ends as refused with every bad row, for the caller to read back.

The admin's upload page checks a file first (a dry run), then confirms it: a second job
for the same kept file, which counts the file's values changed since the check began.
"""

import datetime
import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from projectoffice.job_locks import IMPORT_JOBS
from projectoffice.jobs import MAX_ATTEMPTS, Failure, JobFailed, job_end, job_run, jobs_orphaned, jobs_to_requeue
from projectoffice.queueing import queue_on_commit
from projectoffice.tabular import RowError, problems_register

from ..models import ImportBatch, ImportStatus
from .services import ImportAlreadyFinished, StatisticsImportError, statistics_import

logger = logging.getLogger(__name__)

problems_register(
    {
        "never_finished": gettext_lazy(
            "the import was started %(count)s times and never finished; nothing was written"
        ),
        "upload_missing": gettext_lazy("the uploaded file is missing"),
        "timed_out": gettext_lazy(
            "the import took longer than %(minutes)s minutes and was stopped; nothing was written. "
            "Send the file in parts."
        ),
        "unexpected_error": gettext_lazy("the import stopped on an unexpected error (%(kind)s); nothing was written"),
    }
)

FINISHED = (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
# A waiting job older than this was probably never queued (broker down): the sweep queues it.
REQUEUE_AFTER = datetime.timedelta(minutes=1)


def import_job_submit(
    *, upload: "UploadedFile[bytes]", user: User | None, agency: Agency | None, dry_run: bool, strict: bool = False
) -> ImportBatch:
    """Keep the file and record the job; the worker is asked to run it once this commits.
    `strict`: refuse the file if it has warnings."""
    with transaction.atomic():
        batch = ImportBatch(
            file_name=Path(upload.name or "upload").name[:255],
            uploaded_by=user,
            agency=agency,
            dry_run=dry_run,
            strict=strict,
        )
        batch.upload.save(batch.file_name, upload, save=False)
        batch.save()
        queue_on_commit("initiatives.tasks.run_statistics_import", batch.pk)
    return batch


def import_file_problem(*, name: str, size: int) -> str | None:
    """Why a file sent in is refused before it is kept (too large, not CSV or XLSX), in
    the reader's language; None when it may be kept. The API's and the admin's rule."""
    limit = settings.MAX_IMPORT_FILE_BYTES
    if size > limit:
        return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": size // 10**6,
            "limit": limit // 10**6,
        }
    if not name.lower().endswith((".csv", ".xlsx")):
        return _("Send a CSV (.csv) or Excel (.xlsx) file.")
    return None


class ImportNotConfirmable(Exception):
    """The check cannot be confirmed (refused, not finished, its file gone); says why."""


def import_check_unconfirmable(check: ImportBatch) -> str | None:
    """Why this check cannot be confirmed, in the reader's language; None when it can.
    (A check already confirmed can: confirming it again lands on the same import.)"""
    if not check.dry_run:
        return _("This is an import, not a check.")
    if check.status != ImportStatus.SUCCEEDED:
        if check.status == ImportStatus.FAILED:
            return _("The check found problems: correct the file and upload it again.")
        return _("The check has not finished yet.")
    if check.error_count:
        return _("The check found problems: correct the file and upload it again.")
    if not check.upload:
        return _("The file of this check is no longer kept: upload it again.")
    return None


def import_job_confirm(*, check: ImportBatch, user: User | None) -> ImportBatch:
    """Import the file a dry run checked: a new job for the kept file itself (the same
    stored name, nothing copied or sent again), as strict as the check was. The check's row
    is locked, so it is confirmed once: a second confirmation (twice clicked, two tabs)
    gets the import the first made. ImportNotConfirmable when the check cannot be."""
    with transaction.atomic():
        check = ImportBatch.objects.select_for_update().get(pk=check.pk)
        earlier = check.confirmations.order_by("pk").first()
        if earlier is not None:
            return earlier
        problem = import_check_unconfirmable(check)
        if problem is not None:
            raise ImportNotConfirmable(problem)
        batch = ImportBatch.objects.create(
            file_name=check.file_name,
            upload=check.upload.name,
            uploaded_by=user,
            agency=check.agency,
            dry_run=False,
            strict=check.strict,
            confirms=check,
        )
        queue_on_commit("initiatives.tasks.run_statistics_import", batch.pk)
    return batch


def import_job_run(*, batch_id: int) -> ImportBatch:
    """Run one job to its end: imported, checked (a dry run) or refused. Safe to call twice,
    at once too: a delivery that finds the job in a live worker's hands leaves it there
    (attempts, time limits and errors: `projectoffice.jobs.job_run`)."""
    job_run(
        ImportBatch,
        batch_id,
        _import,
        lock=IMPORT_JOBS,
        fail_fields=_failed_fields,
        max_attempts=MAX_ATTEMPTS,
        claim_fields={"stage": "checking", "progress_done": 0, "progress_total": 0},
    )
    return ImportBatch.objects.get(pk=batch_id)


def _import(batch: ImportBatch) -> None:
    try:
        with batch.upload.open("rb") as source:
            result = statistics_import(
                source=source,
                filename=batch.file_name,
                user=batch.uploaded_by,
                agency=batch.agency,
                dry_run=batch.dry_run,
                progress=_ProgressWriter(batch.pk),
                batch=batch,
                strict=batch.strict,
                changed_since=batch.confirms.started_at if batch.confirms is not None else None,
            )
    except ImportAlreadyFinished:
        return
    except StatisticsImportError as exc:
        raise JobFailed(
            stage="",
            errors=[e.stored() for e in exc.errors],
            error_count=max(exc.error_count, 1),
            warnings=[w.stored() for w in exc.warnings],
            warnings_count=exc.warning_count,
        ) from None
    except (FileNotFoundError, ValueError) as exc:  # the kept file is gone (ValueError: no file at all)
        logger.error("import %s: the uploaded file cannot be opened: %s", batch.pk, exc)
        raise JobFailed(stage="", errors=[_problem("upload_missing")], error_count=1) from None
    finally:
        _ProgressWriter(batch.pk).forget()
    if result.dry_run:  # checked and rolled back: record what it would have done and what it checked
        job_end(
            batch,
            stage="",
            rows=result.rows,
            progress_done=result.rows,
            progress_total=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            skipped=result.skipped,
            warnings=[w.stored() for w in result.warnings],
            warnings_count=result.warnings_count,
        )


def _failed_fields(batch: ImportBatch, failure: Failure, error: BaseException | None) -> dict[str, Any]:
    """A refused job counts at least one problem."""
    if failure is Failure.GAVE_UP:
        problem = _problem("never_finished", count=batch.attempts - 1)
    elif failure is Failure.TIMED_OUT:
        problem = _problem("timed_out", minutes=settings.CELERY_TASK_SOFT_TIME_LIMIT // 60)
    else:
        problem = _problem("unexpected_error", kind=type(error).__name__)
    return {"stage": "", "errors": [problem], "error_count": 1}


def _problem(code: str, **params: Any) -> dict[str, Any]:
    return RowError.of(0, "", code, **params).stored()


def import_job_errors(batch: ImportBatch) -> list[RowError]:
    """The job's problems in the active language: they are stored as codes and params, so
    each reader reads them in their own; rows stored before codes read as written."""
    return [RowError.read(stored) for stored in batch.errors or []]


def import_job_warnings(batch: ImportBatch) -> list[RowError]:
    """The job's warnings (figures that look wrong, not refused for), read as its problems are."""
    return [RowError.read(stored) for stored in batch.warnings or []]


def import_jobs_to_requeue(now: datetime.datetime | None = None) -> list[int]:
    """Jobs waiting a while (never queued: the broker was down). The sweep queues those not
    known to be queued already (projectoffice/queueing.py)."""
    return jobs_to_requeue(
        ImportBatch.objects.exclude(upload=""), waiting_longer_than=REQUEUE_AFTER, limit=100, now=now
    )


def import_jobs_orphaned(now: datetime.datetime | None = None) -> list[tuple[int, int]]:
    """(id, attempts) of running jobs whose worker died, for the takeover."""
    return jobs_orphaned(ImportBatch.objects.exclude(upload=""), kind=IMPORT_JOBS, limit=100, now=now)


# Files sent in are kept this long after their import ended, then deleted (the record stays).
UPLOAD_KEEP = datetime.timedelta(days=30)


def import_uploads_delete_old(now: datetime.datetime | None = None) -> int:
    """Delete the kept files of imports that ended more than UPLOAD_KEEP ago; returns how many."""
    now = now or timezone.now()
    old = (
        ImportBatch.objects.filter(status__in=FINISHED, finished_at__lt=now - UPLOAD_KEEP)
        .exclude(upload="")
        # A confirmed check's file is its import's too: kept until that import has ended.
        .exclude(upload__in=ImportBatch.objects.exclude(status__in=FINISHED).exclude(upload="").values("upload"))
    )
    deleted = 0
    for batch in old[:500]:
        batch.upload.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(upload="")
        deleted += 1
    return deleted


def import_job_progress(batch: ImportBatch) -> dict[str, Any]:
    """How far a job got: the worker's latest word while it runs, else what the row says."""
    if batch.status == ImportStatus.RUNNING:
        live = cache.get(_ProgressWriter.key(batch.pk))  # None when Redis is down: the row's figures will do
        if live:
            return dict(live)
    return {"stage": batch.stage, "done": batch.progress_done, "total": batch.progress_total}


class _ProgressWriter:
    """Progress for pollers. Inside the write transaction the row cannot show it (nobody
    sees uncommitted rows), so it also goes to the cache; written at most once a second."""

    EVERY_SECONDS = 1.0

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.last = 0.0
        self.stage = ""

    @staticmethod
    def key(batch_id: int) -> str:
        return f"import-progress:{batch_id}"

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.EVERY_SECONDS and done != total and stage == self.stage:
            return
        self.last, self.stage = now, stage
        cache.set(self.key(self.batch_id), {"stage": stage, "done": done, "total": total}, timeout=3600)
        if not connection.in_atomic_block:
            ImportBatch.objects.filter(pk=self.batch_id, status=ImportStatus.RUNNING).update(
                stage=stage, progress_done=done, progress_total=total
            )

    def forget(self) -> None:
        cache.delete(self.key(self.batch_id))
