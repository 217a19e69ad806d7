"""Which process runs a background job: the one holding its lock.

On PostgreSQL a job's runner holds a session-level advisory lock keyed by the kind of job
and its id. The database releases it when the runner's connection ends, so a process
that died (killed, out of memory, the machine gone) leaves its job free at once, while a
live runner keeps it: a second delivery of the same job (the sweep, a redelivery) does
nothing while the first runs, and takes the job over as soon as it has died. A
connection pooler in transaction mode would break session locks: use session mode.

SQLite runs tasks in the web process, one writer at a time: there is nothing to arbitrate.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

# The first half of the lock key, one per kind of job (the second half is the job's id).
IMPORT_JOBS = 7201
EXPORT_JOBS = 7202
FORECAST_JOBS = 7203
# One lock for the whole refresh of the campaign impacts (it replaces every row).
CAMPAIGN_IMPACTS = 7204
# A month's early-warning detection (initiatives/alerts/jobs.py).
DETECTION_JOBS = 7205


def _key_of(job_id: int) -> int:
    return job_id & 0x7FFFFFFF


@contextmanager
def job_lock(kind: int, job_id: int) -> Iterator[bool]:
    """True inside the block when this process holds the job; False when another live one does."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = [kind, _key_of(job_id)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def jobs_held(kind: int, job_ids: Sequence[int]) -> set[int]:
    """The ids among `job_ids` whose lock a live process holds (PostgreSQL; elsewhere none)."""
    if connection.vendor != "postgresql" or not job_ids:
        return set()
    with connection.cursor() as cursor:
        # A lock taken with two int4 keys shows the first as classid, the second as objid.
        cursor.execute(
            """
            SELECT objid::bigint FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = %s
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND objid::bigint = ANY(%s)
            """,
            [kind, [_key_of(job_id) for job_id in job_ids]],
        )
        held = {int(row[0]) for row in cursor.fetchall()}
    return {job_id for job_id in job_ids if _key_of(job_id) in held}
