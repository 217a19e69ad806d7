"""Claiming, ending and sweeping background jobs, the same way for every kind of job.

The row is the job (`model_mixins.Job`). A worker that holds the job's lock
(`job_locks.py`) claims it with one conditional UPDATE: a waiting job, or a running one
(holding the lock, a running job is one whose worker died), becomes running with one
more attempt. It ends the job with another conditional UPDATE that names its own attempt,
so a worker that was presumed dead and came back cannot overwrite the job of the worker
that took it over. The sweep lists the jobs never queued; the takeover lists the running
jobs whose worker died (their lock is free), both for the queue. `job_run` puts these
together with one policy for attempts, time limits and errors, for every kind of job.
"""

import datetime
import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .job_locks import job_lock, jobs_held
from .model_mixins import Job

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)


def job_claim(model: type[J], job_id: int, **fields: Any) -> J | None:
    """Take the job up; None when it is finished (or unknown). `fields`: more to set as it starts."""
    now = timezone.now()
    statuses = model.statuses
    claimed = model._default_manager.filter(pk=job_id, status__in=[statuses.waiting, statuses.running]).update(
        status=statuses.running, started_at=now, attempts=F("attempts") + 1, updated_at=now, **fields
    )
    return model._default_manager.get(pk=job_id) if claimed == 1 else None


def job_end(job: Job, *, failed: bool = False, **fields: Any) -> bool:
    """End this claim of the job, done or failed, with `fields`; False when the job is no
    longer this claim's (ended already, or taken over by another worker)."""
    now = timezone.now()
    statuses = job.statuses
    mine = type(job)._default_manager.filter(pk=job.pk, status=statuses.running, attempts=job.attempts)
    status = statuses.failed if failed else statuses.done
    return mine.update(status=status, finished_at=now, updated_at=now, **fields) == 1


def jobs_to_requeue(
    jobs: QuerySet[J], *, waiting_longer_than: datetime.timedelta, limit: int, now: datetime.datetime | None = None
) -> list[int]:
    """The ids of `jobs` waiting for longer than `waiting_longer_than`, oldest first: never
    queued (the broker was down), or their message was lost. (Running jobs whose worker
    died are `jobs_orphaned`'s.)"""
    now = now or timezone.now()
    stale = jobs.filter(status=jobs.model.statuses.waiting, created_at__lt=now - waiting_longer_than)
    return list(stale.order_by("created_at").values_list("pk", flat=True)[:limit])


def jobs_orphaned(
    jobs: QuerySet[J], *, kind: int, limit: int, now: datetime.datetime | None = None
) -> list[tuple[int, int]]:
    """(id, attempts) of the running `jobs` nobody runs any more, longest running first.

    On PostgreSQL: those whose lock no process holds. A runner takes the lock before it
    claims the job and lets it go after it has ended it, so a running job with a free
    lock is one whose worker died, however recently; a slow one keeps its lock. (A job
    that ends between the two reads is listed too, harmlessly: its task finds it done.)
    Elsewhere (SQLite, tasks in the web process, no locks): running longer than any task may.
    """
    now = now or timezone.now()
    running = jobs.filter(status=jobs.model.statuses.running)
    if connection.vendor != "postgresql":
        running = running.filter(started_at__lt=now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT))
    # Running jobs are few (one per worker process, and the dead ones): read them all.
    found = list(running.order_by("started_at", "pk").values_list("pk", "attempts")[: 10 * limit])
    held = jobs_held(kind, [pk for pk, _attempts in found])
    return [(pk, attempts) for pk, attempts in found if pk not in held][:limit]


# A job taken up this many times without finishing (workers dying on it) is given up.
MAX_ATTEMPTS = 5
# Trouble that passes (the database restarting, a lock timeout): the task tries again.
PASSING_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
# How the task of a job is tried again after such trouble, the same for every kind of job
# (`@shared_task(**JOB_TASK_RETRY)`): only what a kind's `job_run` may pass on (the
# database; storage too, for a job that writes files: exports), as it raises no other;
# backoff from 30 s to 10 min, then the takeover sweep has it (its lock is free).
JOB_TASK_RETRY: dict[str, Any] = {
    "autoretry_for": (*PASSING_ERRORS, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}

R = TypeVar("R")


class JobFailed(Exception):
    """Raised by a job's work: the job cannot be done (a refused file, a revoked token);
    it ends failed with `fields`, for whoever asked to read."""

    def __init__(self, **fields: Any) -> None:
        super().__init__(fields)
        self.fields = fields


class Failure(enum.Enum):
    """Why `job_run` ended a job failed; the job says it in its own words (`fail_fields`)."""

    GAVE_UP = "gave_up"  # taken up `max_attempts` times, never finished
    TIMED_OUT = "timed_out"  # the soft time limit (CELERY_TASK_SOFT_TIME_LIMIT)
    BROKE = "broke"  # an unexpected error: a bug, not a reason to try again


@dataclass(frozen=True)
class JobRun(Generic[R]):
    """How one call of `job_run` went."""

    claimed: bool  # this call took the job up (else it is finished, or a live worker runs it)
    result: R | None = None  # what the work returned
    failed: bool = False  # this call ended the job failed


def job_run(
    model: type[J],
    job_id: int,
    work: Callable[[J], R],
    *,
    lock: int,
    fail_fields: Callable[[J, Failure, BaseException | None], dict[str, Any]],
    max_attempts: int = MAX_ATTEMPTS,
    passing: tuple[type[BaseException], ...] = PASSING_ERRORS,
    claim_fields: Mapping[str, Any] | None = None,
    passing_fields: Callable[[J, BaseException], dict[str, Any]] | None = None,
) -> JobRun[R]:
    """Run one job, the same way for every kind: take its lock (`lock`: the kind's key in
    job_locks.py) and claim it; give it up once claimed more than `max_attempts` times;
    then `work(job)`, which ends the job itself when it is done (`job_end`, in the same
    transaction as what it writes when it can).

    One policy for the ways it can go wrong:
    - `JobFailed` from the work: the job ends failed with its fields;
    - the soft time limit: ends failed (`Failure.TIMED_OUT`), a longer run would hit it again;
    - `passing` errors (the database): raised, the job left running for the task's retry,
      which claims it again (one more attempt), or, when the retries run out, for the
      takeover (its lock is free); `passing_fields` notes the error on the job meanwhile;
    - any other error: ends failed (`Failure.BROKE`) and logged, rather than tried again
      until the attempts run out.
    Safe to call twice, at once too: a second delivery leaves the job to a live runner.
    """
    with job_lock(lock, job_id) as owner:
        if not owner:  # a live worker runs it
            return JobRun(claimed=False)
        job = job_claim(model, job_id, **(claim_fields or {}))
        if job is None:  # finished already, or unknown
            return JobRun(claimed=False)
        if job.attempts > max_attempts:
            return _failed(job, fail_fields(job, Failure.GAVE_UP, None))
        try:
            return JobRun(claimed=True, result=work(job))
        except JobFailed as exc:
            return _failed(job, exc.fields)
        except SoftTimeLimitExceeded as exc:
            return _failed(job, fail_fields(job, Failure.TIMED_OUT, exc))
        except passing as exc:
            if passing_fields is not None:  # while the job is still this claim's
                mine = model._default_manager.filter(pk=job.pk, status=job.statuses.running, attempts=job.attempts)
                mine.update(updated_at=timezone.now(), **passing_fields(job, exc))
            raise
        except Exception as exc:
            logger.exception("%s %s stopped on an unexpected error", model._meta.model_name, job_id)
            return _failed(job, fail_fields(job, Failure.BROKE, exc))


def _failed(job: J, fields: dict[str, Any]) -> JobRun[Any]:
    return JobRun(claimed=True, failed=job_end(job, failed=True, **fields))


# --- For jobs whose row keeps a stage, its progress and a reason in words (the forecast and
# detection runs): one way to say how far they got, why one failed, and to end those a
# stopped command left.


def job_progress(job: Job, stage: str, done: int = 0, total: int = 0) -> None:
    """Write how far the job got, for the admin (outside any transaction of its own)."""
    progress: dict[str, Any] = {"stage": stage, "progress_done": done, "progress_total": total}
    type(job)._default_manager.filter(pk=job.pk).update(updated_at=timezone.now(), **progress)


def failure_in_words(job: Job, failure: "Failure", error: BaseException | None) -> dict[str, Any]:
    """`job_run`'s `fail_fields` for such a job: why it failed, in words for the office."""
    reasons = {
        Failure.GAVE_UP: _("Taken up %(n)s times without finishing (its worker stopped each time).")
        % {"n": job.attempts - 1},
        Failure.TIMED_OUT: _("Stopped at the time limit of a task."),
        Failure.BROKE: _("Stopped on an unexpected error (%(error)s); the office's log has the details.")
        % {"error": type(error).__name__},
    }
    return {"stage": "", "reason": reasons[failure]}


def jobs_abandoned_end(unfinished: QuerySet[J], *, kind: int) -> int:
    """End as failed the jobs of `unfinished` (a stopped command's: they wait for it, not for
    a worker) that no live process holds; how many."""
    held = jobs_held(kind, list(unfinished.values_list("pk", flat=True)))
    now = timezone.now()
    return unfinished.exclude(pk__in=held).update(
        status=unfinished.model.statuses.failed,
        stage="",
        reason=_("The command that asked for it was stopped before it finished."),
        finished_at=now,
        updated_at=now,
    )
