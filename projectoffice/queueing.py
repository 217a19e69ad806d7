"""Queuing a background job whose work is already recorded in the database.

The row (a notice, an import, an export) is the job; the task only names it. So a broker
that is down when the task is sent loses nothing: the row waits, and the periodic sweep
queues it again. The sweep must not pile copies behind a merely slow queue, so each job
sent is remembered in the cache for as long as Redis may hold its message; the sweep
queues only what it does not know to be queued.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _mark(task: Any, job_id: int) -> str:
    return f"queued:{task.name}:{job_id}"


def queue(task: Any, job_id: int) -> bool:
    """Send `task(job_id)`; False, and a line in the log, when the broker cannot be reached."""
    try:
        task.delay(job_id)
    except Exception:
        logger.warning("could not queue %s(%s); the periodic sweep will", task.name, job_id, exc_info=True)
        return False
    cache.set(_mark(task, job_id), True, timeout=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    return True


def queue_on_commit(task: Any, job_id: int) -> None:
    """Send `task(job_id)` once the caller's transaction has committed the job's row."""
    transaction.on_commit(lambda: queue(task, job_id))


def requeue_unknown(task: Any, job_ids: list[int]) -> int:
    """The sweep: send the jobs not known to be queued; returns how many were sent."""
    known = cache.get_many([_mark(task, job_id) for job_id in job_ids])
    return sum(queue(task, job_id) for job_id in job_ids if _mark(task, job_id) not in known)
