"""Rollup checkpoints (`initiatives/models/checkpoints.py`): taken, taken when due, swept.

A checkpoint's moment must agree with the rollups it copies: everything the history says
was committed by the moment is in the copy, nothing after. So on PostgreSQL the copy first
takes the values' table in SHARE mode, which waits for every transaction that has written
values to commit and holds off new writers until the copy commits (a second or so at a
million values, far less at today's sizes); the moment is read after that, so a writer
held off stamps its history rows later. (A history row is stamped after its value's write,
and an import's rows count from its `committed_at`, set just before its commit.) SQLite
has one writer at a time: the checkpoint's first write takes the database's write lock.
While a SHARE lock request waits, every new writer of values queues behind it, so the
waits are short: beat's and an import's checkpoints first look whether another session
holds a writer's lock on the values (`pg_locks`) and, if so, give up at once; otherwise
they wait at most `LOCK_WAIT_MS` (100 ms) for the lock. A release waits up to
`RELEASE_LOCK_WAIT_MS` (it must have its checkpoint). Either way the checkpoint commits in
its own transaction: `checkpoint_take` refuses to run inside another's (on PostgreSQL),
which would hold the lock, and every writer with it, until that one commits. A checkpoint
given up on is taken later: the import's own is retried by beat, which looks every minute.

How changes are counted: the history rows written since the last checkpoint's
`history_mark` (the last history row's id then), counted on the primary key's index and
never past `ROLLUP_CHECKPOINT_CHANGES`, so looking costs a few milliseconds, each minute.
Values an import creates have no history row; each import that changed values takes its
own checkpoint after it commits (and beat takes one if that was lost).
"""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from projectoffice.queueing import send

from ..engine.asof import copy_rollups, history_mark, history_rows_since, regions_version
from ..models import CheckpointReason, ImportBatch, Release, RollupCheckpoint, RollupCheckpointCell, Value

logger = logging.getLogger(__name__)

# How long a checkpoint waits for the writers of values before giving up (PostgreSQL):
# beat's and an import's, and a release's.
LOCK_WAIT_MS = 100
RELEASE_LOCK_WAIT_MS = 10_000


class CheckpointInTransaction(RuntimeError):
    """`checkpoint_take` called inside a transaction (PostgreSQL): its SHARE lock would be
    held, and every writer of values kept waiting, until that transaction commits."""


def checkpoint_in_outer_transaction() -> bool:
    """Inside an atomic block other than a test case's own wrapping (Django marks those)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _writers_in_flight(cursor: Any) -> bool:
    """Another session holds a writer's lock on the values (a transaction that wrote them
    and has not committed): a SHARE lock request would wait, and queue new writers."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = %s::regclass AND mode = 'RowExclusiveLock' "
        "AND granted AND pid <> pg_backend_pid())",
        [Value._meta.db_table],
    )
    return bool(cursor.fetchone()[0])


def checkpoint_take(
    *, reason: str = CheckpointReason.MANUAL, import_batch_id: int | None = None
) -> RollupCheckpoint | None:
    """A checkpoint of the rollups as they stand, at a moment consistent with them,
    committed at once; None when writers of values were in flight (or held the table
    longer than the wait allowed: `LOCK_WAIT_MS`, `RELEASE_LOCK_WAIT_MS` for a release).
    CheckpointInTransaction inside another transaction, on PostgreSQL."""
    postgres = connection.vendor == "postgresql"
    if postgres and checkpoint_in_outer_transaction():
        raise CheckpointInTransaction(reason)
    release = reason == CheckpointReason.RELEASE
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                if not release and _writers_in_flight(cursor):
                    logger.info("no rollup checkpoint (%s) now: values are being written", reason)
                    return None
                cursor.execute("SELECT current_setting('lock_timeout')")
                (was,) = cursor.fetchone()
                wait = RELEASE_LOCK_WAIT_MS if release else LOCK_WAIT_MS
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{wait}ms"])
                cursor.execute("LOCK TABLE initiatives_value IN SHARE MODE")
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [was])
            checkpoint = RollupCheckpoint.objects.create(
                moment=timezone.now(), reason=reason, import_batch_id=import_batch_id
            )
            # Read once no writer of values is left in flight (see the module's docstring).
            checkpoint.moment = timezone.now()
            checkpoint.regions_version = regions_version()
            checkpoint.history_mark = history_mark()
            checkpoint.cells = copy_rollups(checkpoint.pk)
            checkpoint.save(update_fields=["moment", "regions_version", "history_mark", "cells"])
    except OperationalError:
        if connection.vendor != "postgresql":
            raise
        logger.warning("no rollup checkpoint (%s): writers of values held the table", reason, exc_info=True)
        return None
    return checkpoint


def checkpoint_keep(checkpoint: RollupCheckpoint, *, release: Release) -> None:
    """A release's checkpoint: kept whatever its age."""
    RollupCheckpoint.objects.filter(pk=checkpoint.pk).update(release=release, kept=True)


def checkpoint_due() -> bool:
    """`ROLLUP_CHECKPOINT_CHANGES` history rows written since the last checkpoint, or an
    import that changed values committed since (its own checkpoint was lost)."""
    last = RollupCheckpoint.objects.order_by("-moment").first()
    needed = int(settings.ROLLUP_CHECKPOINT_CHANGES)
    if history_rows_since(last.history_mark if last is not None else 0, cap=needed) >= needed:
        return True
    imports = ImportBatch.objects.filter(Q(created__gt=0) | Q(updated__gt=0), committed_at__isnull=False)
    if last is not None:
        imports = imports.filter(committed_at__gt=last.moment)
    return imports.exists()


def checkpoint_if_due() -> RollupCheckpoint | None:
    """What beat asks every minute (and the bench after each batch of corrections)."""
    return checkpoint_take(reason=CheckpointReason.CHANGES) if checkpoint_due() else None


def checkpoint_after_import_later(*, batch: ImportBatch, changed: object) -> None:
    """After an import that changed values commits, have the worker of the rollups queue
    take a checkpoint (in the process, without a broker)."""
    if not changed:
        return
    batch_id = batch.pk
    transaction.on_commit(
        lambda: send("initiatives.tasks.take_rollup_checkpoint", CheckpointReason.IMPORT.value, batch_id)
    )


def checkpoints_sweep(*, now: datetime.datetime | None = None) -> int:
    """Delete the checkpoints older than `ROLLUP_CHECKPOINT_DAYS` days, but those of
    releases; how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=int(settings.ROLLUP_CHECKPOINT_DAYS))
    old = list(RollupCheckpoint.objects.filter(moment__lt=cutoff, kept=False).values_list("pk", flat=True))
    if not old:
        return 0
    with transaction.atomic():
        RollupCheckpointCell.objects.filter(checkpoint_id__in=old).delete()
        RollupCheckpoint.objects.filter(pk__in=old).delete()
    return len(old)
