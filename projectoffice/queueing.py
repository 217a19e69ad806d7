"""Queuing a background job whose work is already recorded in the database.

The row (a notice, an import, an export) is the job; the task only names it. So a broker
that is down when the task is sent loses nothing: the row waits, and the periodic sweep
queues it again. The sweep must not pile copies behind a merely slow queue, so each job
sent is remembered in the cache for as long as Redis may hold its message; the sweep
queues only what it does not know to be queued.

Callers name the task (`"initiatives.tasks.deliver_notice"`) rather than import it: the
tasks module imports the services, so a service importing a task would close a circle.
"""

import logging
from typing import Any, Protocol

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


class Named(Protocol):
    name: str


def task_named(name: str) -> Any:
    """The registered task of this name. Looked up in the app's registry, not sent with
    `send_task`, so that `CELERY_TASK_ALWAYS_EAGER` (no REDIS_URL) still runs it in the
    process. A name that is no task is a programming error, and raises KeyError."""
    app = current_app._get_current_object()
    if name not in app.tasks:
        app.loader.import_default_modules()  # the tasks modules are discovered lazily
    return app.tasks[name]


def _name(task: "str | Named") -> str:
    return task if isinstance(task, str) else task.name


def send(task: "str | Named", *args: Any, priority: int | None = None) -> bool:
    """Send a task now; False, and a line in the log, when the broker cannot be reached.
    `priority`: 0 (the default) goes first, 9 after, within the task's queue."""
    name = _name(task)
    found = task_named(name)
    try:
        if priority is None:
            found.delay(*args)
        else:
            found.apply_async(args, priority=priority)
    except Exception:
        logger.warning("could not queue %s%s; the periodic sweep will", name, args, exc_info=True)
        return False
    return True


def _mark(task: str, job_id: int) -> str:
    return f"queued:{task}:{job_id}"


def queue(task: "str | Named", job_id: int, *, priority: int | None = None) -> bool:
    """Send `task(job_id)` and remember it was sent; False when the broker cannot be reached."""
    if not send(task, job_id, priority=priority):
        return False
    cache.set(_mark(_name(task), job_id), True, timeout=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    return True


def queue_on_commit(task: "str | Named", job_id: int, *, priority: int | None = None) -> None:
    """Send `task(job_id)` once the caller's transaction has committed the job's row."""
    name = _name(task)
    task_named(name)  # a misspelt name fails in the caller, not later in a callback
    transaction.on_commit(lambda: queue(name, job_id, priority=priority))


def requeue_unknown(task: "str | Named", job_ids: list[int]) -> int:
    """The sweep: send the jobs not known to be queued; returns how many were sent."""
    name = _name(task)
    known = cache.get_many([_mark(name, job_id) for job_id in job_ids])
    return sum(queue(name, job_id) for job_id in job_ids if _mark(name, job_id) not in known)


def requeue_orphans(task: "str | Named", jobs: list[tuple[int, int]]) -> int:
    """The takeover: send the (job id, attempt) pairs whose worker died; returns how many
    were sent. Their first message is still held by Redis for the dead worker (its
    `queued` mark stands), so the mark here names the attempt: each dead attempt is sent
    once, and if the worker that takes it over dies too, its own attempt is sent again."""
    name = _name(task)
    sent = 0
    for job_id, attempt in jobs:
        mark = f"takeover:{name}:{job_id}:{attempt}"
        if not cache.add(mark, True, timeout=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]):
            continue  # sent already (or the cache is down, and with it, most likely, the broker)
        if queue(name, job_id):
            sent += 1
        else:
            cache.delete(mark)
    return sent
