"""Claiming, ending and sweeping background jobs, the same way for every kind of job.

The row is the job (`model_mixins.Job`). A worker that holds the job's lock
(`job_locks.py`) claims it with one conditional UPDATE: a waiting job, or a running one
(holding the lock, a running job is one whose worker died), becomes running with one
more attempt. It ends the job with another conditional UPDATE that names its own attempt,
so a worker that was presumed dead and came back cannot overwrite the job of the worker
that took it over. The sweep lists the jobs never queued; the takeover lists the running
jobs whose worker died (their lock is free), both for the queue.
"""

import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from .job_locks import jobs_held
from .model_mixins import Job

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
