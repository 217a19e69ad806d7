"""The legal-statistics import: a whole file lands, or nothing does.

Imported figures are official: they are approved the moment they land. Importing the
same key again replaces the value and keeps the old one in history.

The work happens in the database, set-based (docs/performance.md): the file is streamed
into a staging table and checked there (`file.py`), then new values are inserted,
changed ones updated and history written, each by one statement, and nothing at all is
written for rows that did not change.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import User
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agencies.models import Agency
from projectoffice.tabular import RowError, TableError, problems_register, read_cells

from ..alerts.jobs import alerts_after_import_later
from ..engine.rollup_tables import rollups_add_new
from ..forecasts.jobs import forecasts_after_import_later
from ..models import ApprovalState, ImportBatch, ImportStatus, Value, ValueSource
from ..services.checkpoints import checkpoint_after_import_later
from ..services.figures import rollups_refresh_later
from .file import check_staged
from .staging import (
    CHECKED,
    COLUMNS,
    TEMPLATE_COLUMNS,
    stage_file,
    stage_rows,
    stage_skip_unfilled,
    staging_drop,
)
from .warnings import check_warnings

logger = logging.getLogger(__name__)

# Problems reported at most (the count says how many there were).
MAX_REPORTED = 1000


def _strict_words(params: Any) -> str:
    """A strict import refused for its warnings, in the reader's language and number."""
    count = int(params.get("count", 0))
    return ngettext(
        "%(count)s warning, and the import was asked to refuse a file with any; nothing was written",
        "%(count)s warnings, and the import was asked to refuse a file with any; nothing was written",
        count,
    ) % {"count": count}


problems_register(
    {
        "database_refused": gettext_lazy("the database refused the import (%(kind)s); nothing was written"),
        "no_rows": gettext_lazy("the file has a header but no rows"),
        "nothing_filled": gettext_lazy("none of the template's %(skipped)s rows has a value; nothing to import"),
        "changed_meanwhile": gettext_lazy("values changed while the file was imported; nothing was written"),
        "replaces_office_value": gettext_lazy(
            "replaces a value entered by the project office or a report; ask the office"
        ),
        "warnings_strict": _strict_words,
    }
)


class StatisticsImportError(Exception):
    """The file was refused and nothing was written; `errors` says why, row by row, and
    `warnings` what looked wrong besides (a strict import refused for them)."""

    def __init__(
        self,
        errors: list[RowError],
        error_count: int | None = None,
        *,
        warnings: list[RowError] | None = None,
        warning_count: int = 0,
    ) -> None:
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        self.warnings = warnings or []
        self.warning_count = warning_count
        super().__init__(_("%(count)s problem(s) in the file; nothing was imported") % {"count": self.error_count})


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of a pre-filled template left without a value, skipped.
    skipped: int = 0
    # Of the file's values, those stored since `changed_since` (written by someone else since the check).
    changed_since_check: int = 0
    dry_run: bool = False
    batch: ImportBatch | None = None
    # What looks wrong without refusing the file (warnings.py): the first ones, and how many.
    warnings: list[RowError] = field(default_factory=list)
    warnings_count: int = 0


class _DryRun(Exception):
    pass


class ImportAlreadyFinished(Exception):
    """Another run of the same job finished it first (a redelivered task); nothing was written."""


Progress = Callable[[str, int, int], None]


def statistics_import(
    *,
    source: Path | IO[bytes],
    filename: str = "",
    user: User | None = None,
    agency: Agency | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch: ImportBatch | None = None,
    warnings: bool = True,
    strict: bool = False,
    changed_since: datetime | None = None,
) -> ImportResult:
    """Check every row of the file, then write them all in one transaction.

    `warnings`: look for figures that seem wrong (an unusual value, parts above their
    whole) among the rows that change a value; reported, never refused for, unless
    `strict`, which refuses a file with any (`warnings_strict`, nothing written).

    `progress(stage, done, total)` is called now and then, for a terminal or a task.
    `batch`: the job record of an upload (a worker's run); it is locked while the values
    are written and marked imported in the same transaction, so a second run of the same
    job waits, then finds it finished (ImportAlreadyFinished) and writes nothing.
    `changed_since`: when the check this import confirms began; the file's values stored
    since then are counted (`changed_since_check`), and replaced all the same.

    A file imported before, when no value was written since (`_import_recognised`), is not
    checked again: every row is unchanged, as the full check would find.
    """
    name = filename or getattr(source, "name", "") or "upload"
    result = ImportResult(dry_run=dry_run)
    try:
        digest = _file_digest(source)
        if digest is not None and _import_recognised(
            digest, source, str(name), user, agency, result, batch=batch, strict=strict, changed_since=changed_since
        ):
            return result
        # Read outside the write transaction, as before: the progress of a long file
        # reaches the job's row, and nothing is locked while it streams in.
        result.skipped = _stage(source, str(name), progress)
        with transaction.atomic():
            _take_turns()
            # What the file will be known by, read before the check sees the catalogue.
            key = _file_key(digest, agency) if digest is not None else ""
            settled = bool(key) and not dry_run and _writers_settled(wait=True)
            check_began = timezone.now()
            _check(agency, result, warnings=warnings or strict, strict=strict)
            if changed_since is not None:
                result.changed_since_check = _count_changed_since(changed_since)
            batch = _batch_for(batch, name, user, agency, result, strict=strict)
            now = timezone.now()
            changed = _write(batch, user, result, progress, now=now, protect_hand_entered=agency is not None)
            settled = settled and _writers_settled(wait=False)
            batch.finished_at = batch.committed_at = timezone.now()
            if settled and _only_this_import_wrote(since=check_began - RECOGNISE_MARGIN, stamp=now):
                batch.file_hash = key
            _finish(batch, result, changed, dry_run=dry_run)
    except _DryRun:
        result.batch = None
    except (OperationalError, InterfaceError):
        raise  # passing trouble (a lost connection, a lock timeout), not the file's fault: try again
    except DatabaseError as exc:
        # What the checks could not foresee: a region or KPI removed meanwhile, or a
        # constraint. Rolled back whole, and said in words rather than as a traceback.
        logger.exception("statistics import refused by the database")
        raise StatisticsImportError([RowError.of(0, "", "database_refused", kind=type(exc).__name__)]) from exc
    finally:
        _forget_staging()
    return result


def _batch_for(
    batch: ImportBatch | None,
    name: str,
    user: User | None,
    agency: Agency | None,
    result: ImportResult,
    *,
    strict: bool,
) -> ImportBatch:
    """The import's record: a new one, or the job's, locked (ImportAlreadyFinished if
    another run of the job finished it first)."""
    if batch is None:
        return ImportBatch.objects.create(
            file_name=Path(str(name)).name[:255],
            uploaded_by=user,
            agency=agency,
            status=ImportStatus.RUNNING,
            rows=result.rows,
            skipped=result.skipped,
            strict=strict,
        )
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        raise ImportAlreadyFinished
    batch.rows, batch.skipped = result.rows, result.skipped
    return batch


def _finish(batch: ImportBatch, result: ImportResult, changed: set[int], *, dry_run: bool) -> None:
    """The record says what the import did (its `committed_at` set by the caller), and
    what follows a write is queued for after the commit."""
    batch.status = ImportStatus.SUCCEEDED
    batch.created, batch.updated, batch.unchanged = result.created, result.updated, result.unchanged
    batch.changed_since_check = result.changed_since_check
    batch.stage, batch.progress_done, batch.progress_total = "", result.rows, result.rows
    batch.warnings = [w.stored() for w in result.warnings]
    batch.warnings_count = result.warnings_count
    batch.save()
    result.batch = batch
    if dry_run:
        raise _DryRun
    rollups_refresh_later(changed)
    checkpoint_after_import_later(batch=batch, changed=changed)
    forecasts_after_import_later(batch=batch, changed=changed)
    if changed:
        alerts_after_import_later(batch=batch)
    if _worth_analyzing(result.created + result.updated):
        transaction.on_commit(_analyze)


# Recognising a file imported before. Its hash is kept only when the import can vouch that
# nothing but itself wrote a value from RECOGNISE_MARGIN before its check began to its
# commit (writers in flight when it began waited for, none in flight when it ends); a
# later import of the same file takes it as checked when no value has been written or
# removed since that commit (`updated_at`, which every write of a value sets, and the
# history's dates).
# The margin covers a writer's clock (its stamp is taken in Python, on its own server)
# and the moments between taking the stamp and writing it.
RECOGNISE_MARGIN = timedelta(minutes=1)
# How long an import waits for writes of values in flight to end before it gives up
# vouching for its file (it is imported all the same, only not recognised later). Short:
# while its SHARE lock request waits, every new writer of values queues behind it.
SETTLE_TIMEOUT_MS = 100
_HASH_CHUNK = 1 << 20


def _file_digest(source: Path | IO[bytes]) -> str | None:
    """The SHA-256 of the file's bytes, read once more (about 0.1 s for 40 MB); None when
    an upload cannot be read twice."""
    digest = hashlib.sha256()
    if isinstance(source, Path):
        with source.open("rb") as stream:
            while chunk := stream.read(_HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    try:
        if not source.seekable():
            return None
        start = source.tell()
        while chunk := source.read(_HASH_CHUNK):
            digest.update(chunk)
        source.seek(start)
    except (OSError, AttributeError, ValueError):
        return None
    return digest.hexdigest()


def _file_key(digest: str, agency: Agency | None) -> str:
    """What a file is recognised by: its bytes, who imports it (an agency may import only
    its own KPIs) and the versions of the regions and the KPIs (the checks read both;
    bumped by every write to either table, migration 0014)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, n FROM initiatives_figureversion WHERE key IN ('regions', 'indicators') ORDER BY key"
        )
        versions = ",".join(f"{key}={n}" for key, n in cursor.fetchall())
    who = agency.code if agency is not None else ""
    return hashlib.sha256(f"{digest}\n{who}\n{versions}".encode()).hexdigest()


def _writers_settled(*, wait: bool) -> bool:
    """No other transaction is writing values now: a share lock on them taken and given
    back at once. `wait`: wait for those in flight to end (new writers wait the moment it
    takes), False after SETTLE_TIMEOUT_MS; only before the check, when the import holds
    no row a writer could be waiting for. Else (after its writes) it does not wait, which
    could deadlock with a writer waiting for one of its rows: False if any is in flight.
    SQLite has one writer at a time: nothing to wait for."""
    if connection.vendor != "postgresql":
        return True
    table = connection.ops.quote_name(Value._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = %s::regclass "
                "AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid())",
                [Value._meta.db_table],
            )
            if cursor.fetchone()[0]:
                return False  # a writer in flight: not worth queueing every other writer behind
            cursor.execute(f"SET LOCAL lock_timeout = {SETTLE_TIMEOUT_MS}")
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE{'' if wait else ' NOWAIT'}")
            raise _GiveBack
    except _GiveBack:
        return True  # the savepoint rolled back: the lock and the timeout with it
    except OperationalError:
        return False


class _GiveBack(Exception):
    pass


def _only_this_import_wrote(*, since: datetime, stamp: datetime) -> bool:
    """No value written or removed since `since` but by this import (whose rows all carry
    `stamp`): two ranges of each date index, around the import's own stamp."""
    value_table = connection.ops.quote_name(Value._meta.db_table)
    history_table = connection.ops.quote_name(str(Value.history.model._meta.db_table))
    since_db, stamp_db = (connection.ops.adapt_datetimefield_value(t) for t in (since, stamp))
    with connection.cursor() as cursor:
        for table, column in ((value_table, "updated_at"), (history_table, "history_date")):
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} >= %s AND {column} < %s) "  # noqa: S608
                f"OR EXISTS (SELECT 1 FROM {table} WHERE {column} > %s)",
                [since_db, stamp_db, stamp_db],
            )
            if cursor.fetchone()[0]:
                return False
    return True


def _written_since(previous: ImportBatch) -> bool:
    """A value written or removed by anyone but `previous` after RECOGNISE_MARGIN before
    it committed: a writer that took its stamp before that commit but committed after it
    (a clock behind, or a wait for a lock) is seen too. The import's own rows, which all
    carry its stamp, are left out by reading the date indexes on either side of that stamp
    (so they are not read past, however many); the stamp is read from one of its values,
    checked to be its own (that value's latest history row, if any, is the import's).
    Another writer stamping at the very microsecond of the import's stamp is not seen."""
    assert previous.committed_at is not None
    value_table = connection.ops.quote_name(Value._meta.db_table)
    history_table = connection.ops.quote_name(str(Value.history.model._meta.db_table))
    since_db = connection.ops.adapt_datetimefield_value(previous.committed_at - RECOGNISE_MARGIN)
    with connection.cursor() as cursor:
        stamp = None
        if previous.created or previous.updated:
            cursor.execute(
                f"SELECT id, updated_at FROM {value_table} WHERE import_batch_id = %s LIMIT 1",  # noqa: S608
                [previous.pk],
            )
            found = cursor.fetchone()
            if found is None:
                return True  # every value it wrote was replaced or removed since
            cursor.execute(
                f"SELECT history_change_reason, history_type FROM {history_table} "  # noqa: S608
                "WHERE id = %s ORDER BY history_id DESC LIMIT 1",
                [found[0]],
            )
            latest = cursor.fetchone()
            if latest is not None and tuple(latest) != (f"import {previous.pk}", "~"):
                return True  # written since, keeping the import's mark
            stamp = found[1]
        for table, column in ((value_table, "updated_at"), (history_table, "history_date")):
            if stamp is None:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} > %s)", [since_db])  # noqa: S608
            else:
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} > %s AND {column} < %s) "  # noqa: S608
                    f"OR EXISTS (SELECT 1 FROM {table} WHERE {column} > %s)",
                    [since_db, stamp, stamp],
                )
            if cursor.fetchone()[0]:
                return True
    return False


def _import_recognised(
    digest: str,
    source: Path | IO[bytes],
    name: str,
    user: User | None,
    agency: Agency | None,
    result: ImportResult,
    *,
    batch: ImportBatch | None,
    strict: bool,
    changed_since: datetime | None,
) -> bool:
    """The same file, from the same side, against the same regions and KPIs, imported
    before, and no value written or removed since that import committed: every row holds
    its value already and the checks would pass as they did, so the import is recorded
    with every row unchanged (and no warnings: they are looked for among changed rows),
    as the full check would record it. False: import it the full way."""
    with transaction.atomic():
        _take_turns()
        key = _file_key(digest, agency)
        previous = (
            ImportBatch.objects.filter(
                file_hash=key, status=ImportStatus.SUCCEEDED, dry_run=False, committed_at__isnull=False
            )
            .order_by("-committed_at")
            .first()
        )
        if previous is None or previous.committed_at is None:
            return False
        if changed_since is not None and changed_since < previous.committed_at:
            return False  # the check this confirms came before that import: count the full way
        if _written_since(previous):
            return False
        result.rows = result.unchanged = previous.rows
        result.skipped = previous.skipped
        batch = _batch_for(batch, name, user, agency, result, strict=strict)
        batch.finished_at = batch.committed_at = timezone.now()
        _finish(batch, result, set(), dry_run=result.dry_run)
    return True


def _stage(source: Path | IO[bytes], name: str, progress: Progress | None) -> int:
    """The file into the staging table; StatisticsImportError when it cannot be read at all.
    Returns the rows of a pre-filled template left without a value, dropped from the
    staging table at once (a file with only the import's four columns goes by COPY and has
    none: its empty value is a problem to report)."""
    header: list[str] = []
    try:
        copied = stage_file(source, name)
        if copied is not None:
            if progress:
                progress("checking", copied, 0)
            return 0
        stage_rows(
            read_cells(source, columns=COLUMNS, optional=TEMPLATE_COLUMNS, filename=name, on_header=header.extend),
            progress=(lambda n: progress("checking", n, 0)) if progress else None,
        )
    except TableError as exc:
        raise StatisticsImportError(exc.errors) from exc
    if not set(header) & set(TEMPLATE_COLUMNS):
        return 0
    return stage_skip_unfilled()


def _check(agency: Agency | None, result: ImportResult, *, warnings: bool, strict: bool) -> None:
    """Check the staged rows (the caller holds the import lock: the checks match rows
    with the stored values and must see what an import that ran meanwhile wrote);
    StatisticsImportError on any problem (and on any warning, when `strict`)."""
    checked = check_staged(agency_code=agency.code if agency is not None else None)
    if checked.error_count:
        raise StatisticsImportError(checked.errors, checked.error_count)
    if not checked.total:
        if result.skipped:
            raise StatisticsImportError([RowError.of(0, "", "nothing_filled", skipped=result.skipped)])
        raise StatisticsImportError([RowError.of(0, "", "no_rows")])
    result.rows = checked.total
    if not warnings:
        return
    found = check_warnings()
    result.warnings, result.warnings_count = found.warnings, found.count
    if strict and found.count:
        raise StatisticsImportError(
            [RowError.of(0, "", "warnings_strict", count=found.count)],
            warnings=found.warnings,
            warning_count=found.count,
        )


def _count_changed_since(moment: datetime) -> int:
    """The checked rows whose stored value was written after `moment`: by another import
    or a person, between a check and the import that confirms it."""
    table = connection.ops.quote_name(Value._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {CHECKED} m JOIN {table} v ON v.id = m.value_id WHERE v.updated_at > %s",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(moment)],
        )
        return int(cursor.fetchone()[0])


def _forget_staging() -> None:
    """The staging table outlives a transaction (it is filled before the write one); drop it."""
    try:
        staging_drop()
    except DatabaseError:  # the connection is gone, and the session's tables with it
        logger.warning("could not drop the statistics import's staging tables", exc_info=True)


# Said for the import's own transaction only (SET LOCAL): its INSERTs leave the rollups to
# it (migration 0043), and it adds the new values to them itself when they are all in.
ROLLUPS_DEFERRED = "projectoffice.rollups_deferred"
# False: the trigger adds the new values statement by statement, as before (the bench's
# comparison, `bench/import_statistics.py --rollups-by-trigger`).
DEFER_ROLLUPS = True

# Imports take turns: two files writing the same new keys at once would collide.
IMPORT_LOCK_KEY = 7_200_409


def _take_turns() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
    # SQLite allows one writer at a time already.


def _write(
    batch: ImportBatch,
    user: User | None,
    result: ImportResult,
    progress: Progress | None,
    *,
    now: datetime,
    protect_hand_entered: bool = False,
) -> set[int]:
    """Insert the new values, update the changed ones and write their history, one
    statement each; nothing for the unchanged ones. Returns the KPIs whose values changed.

    On PostgreSQL the new values reach the rollups in one statement after the last
    INSERT (`rollups_add_new`), the trigger standing aside meanwhile; the UPDATE of
    changed values keeps its trigger (one statement already, old and new side by side)."""
    postgres = connection.vendor == "postgresql"
    user_id = user.pk if user else None
    reason = f"import {batch.pk}"
    if progress:
        progress("writing", 0, result.rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(sum(unchanged), 0), count(*) - count(value_id) FROM {CHECKED}"  # noqa: S608
        )
        unchanged, new = (int(n) for n in cursor.fetchone())
        result.unchanged, changed = unchanged, result.rows - unchanged - new
        if postgres and changed:
            cursor.execute(f"ANALYZE {CHECKED}")  # rows to update: plan their join with the values
        if protect_hand_entered:
            _refuse_hand_entered(cursor)
        if postgres:
            # New values a part at a time, so a long write shows how far it got. Changed
            # ones at once: each part would join with the whole table of values again.
            deferred = bool(new) and DEFER_ROLLUPS
            if deferred:
                cursor.execute("SELECT set_config(%s, 'on', true)", [ROLLUPS_DEFERRED])
            for blocks in _block_ranges(cursor, result.rows) if new else []:
                result.created += _insert_returning_history(
                    cursor, now=now, user_id=user_id, batch=batch, reason=reason, blocks=blocks
                )
                if progress:
                    progress("writing", result.unchanged + result.created, result.rows)
            if deferred:
                cursor.execute("SELECT set_config(%s, 'off', true)", [ROLLUPS_DEFERRED])
                if not changed:  # the planner must know the rows are many: it hashes the regions, not them
                    cursor.execute(f"ANALYZE {CHECKED}")
                rollups_add_new(cursor, CHECKED, "value_id IS NULL")
            if changed:
                result.updated = _update_returning_history(
                    cursor,
                    now=now,
                    user_id=user_id,
                    batch=batch,
                    reason=reason,
                    imported_only=protect_hand_entered,
                )
                if result.updated != changed:  # changed since the check: refused, all rolled back
                    _refuse_hand_entered(cursor, as_stored=True)
                    raise StatisticsImportError([RowError.of(0, "", "changed_meanwhile")])
        else:
            result.created, result.updated = _insert_update_then_history(
                cursor, now=now, user_id=user_id, batch=batch, reason=reason
            )
        if progress:
            progress("writing", result.rows, result.rows)
        if not (result.created or result.updated):
            return set()
        cursor.execute(f"SELECT DISTINCT indicator_id FROM {CHECKED} WHERE unchanged = 0")  # noqa: S608
        return {pk for (pk,) in cursor.fetchall()}


def _refuse_hand_entered(cursor: Any, *, as_stored: bool = False) -> None:
    """An agency's system does not overwrite what the office entered or approved from a report.
    `as_stored`: judge by the values as they are now, not as the check found them."""
    table = connection.ops.quote_name(Value._meta.db_table)
    where = (
        f"FROM {CHECKED} m JOIN {table} v ON v.id = m.value_id WHERE m.unchanged = 0 AND v.source <> %s"
        if as_stored
        else f"FROM {CHECKED} m WHERE m.value_id IS NOT NULL AND m.unchanged = 0 AND m.stored_source <> %s"
    )
    cursor.execute(f"SELECT count(*) {where}", [ValueSource.IMPORT])
    (count,) = cursor.fetchone()
    if not count:
        return
    cursor.execute(f"SELECT m.line {where} ORDER BY m.line LIMIT {MAX_REPORTED}", [ValueSource.IMPORT])
    raise StatisticsImportError(
        [RowError.of(line, "value", "replaces_office_value") for (line,) in cursor.fetchall()], count
    )


def _columns() -> tuple[str, str]:
    """The value's columns (as copied to history), quoted, and the history table."""
    copied = ", ".join(connection.ops.quote_name(str(f.column)) for f in Value._meta.concrete_fields)
    return copied, connection.ops.quote_name(str(Value.history.model._meta.db_table))


_HISTORY_EXTRA = "history_date, history_change_reason, history_type, history_user_id"
# A part of the checked rows by where they lie (a TID range scan: no index, no re-reading).
_IN_BLOCKS = "ctid >= %(first_block)s::tid AND ctid < %(end_block)s::tid"
# New rows written per statement: short statements (as the 5,000-row rounds before), so a
# worker killed mid-write has its database session end within moments and its job can be
# taken over at once (`jobs.py` checks the dead worker's session lock); a hundredth of
# a large file, so a million rows cost a hundred statements (measured: as fast as one).
WRITE_CHUNK_ROWS = 5_000


def _block_ranges(cursor: Any, rows: int) -> list[tuple[int, int]]:
    """The checked rows' table cut into ranges of pages of about WRITE_CHUNK_ROWS rows."""
    cursor.execute(f"SELECT pg_relation_size('{CHECKED}') / current_setting('block_size')::int")
    pages = max(int(cursor.fetchone()[0]), 1)
    step = max(1, pages * max(WRITE_CHUNK_ROWS, rows // 100) // max(rows, 1))
    return [(first, min(first + step, pages + 1)) for first in range(0, pages + 1, step)]


def _insert_returning_history(
    cursor: Any, *, now: datetime, user_id: int | None, batch: ImportBatch, reason: str, blocks: tuple[int, int]
) -> int:
    """New values, one statement, and no history row: a value the import creates has its
    batch as its first version (its `uploaded_by`, its `committed_at`); the row saying so
    is written when the value is first replaced or deleted (services/value_history.py)."""
    cursor.execute(
        f"""
        INSERT INTO {connection.ops.quote_name(Value._meta.db_table)}
          (indicator_id, region_id, period_start, period_end, value, source, approval_state, approved_at,
           approved_by_id, comment, import_batch_id, created_at, updated_at)
        SELECT indicator_id, region_id, period_start, period_end, value, %(source)s, %(approved)s, %(now)s,
               %(user)s, '', %(batch)s, %(now)s, %(now)s
        FROM {CHECKED} WHERE value_id IS NULL AND {_IN_BLOCKS}
        """,  # noqa: S608 - names from model metadata
        {
            **_written_as(now=now, user_id=user_id, batch=batch, reason=reason),
            "first_block": f"({blocks[0]},0)",
            "end_block": f"({blocks[1]},0)",
        },
    )
    return int(cursor.rowcount)


def _update_returning_history(
    cursor: Any, *, now: datetime, user_id: int | None, batch: ImportBatch, reason: str, imported_only: bool
) -> int:
    """Changed values and their history in one statement; unchanged rows are not touched.
    A changed value an import created and nothing changed since gets two rows: its first
    version (its batch's, read as the statement found it), then the '~' of this import.
    `imported_only`: a stored value that is not an import's is left alone, judged on the row
    as it stands when the UPDATE locks it (the office may have edited it since the check)."""
    copied, history = _columns()
    table = connection.ops.quote_name(Value._meta.db_table)
    returned = ", ".join(f"v.{c.strip()}" for c in copied.split(","))
    # The values that may need a first version, locked first: the statement below reads
    # "no history row yet" from its snapshot, so a writer that wrote one meanwhile (and
    # holds the row) must have committed before that snapshot is taken, or the value would
    # get two. Rows with a history row keep it: only these can change under us.
    cursor.execute(
        f"SELECT v.id FROM {table} v JOIN {CHECKED} m ON v.id = m.value_id AND m.unchanged = 0 "  # noqa: S608
        f"WHERE v.import_batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {history} h WHERE h.id = v.id) "
        "ORDER BY v.id FOR UPDATE OF v"
    )
    # The first versions come first in the INSERT (UNION ALL keeps its parts' order), so
    # each has the lower history_id as well as the earlier date.
    cursor.execute(
        f"""
        WITH first_version AS (
          {_first_versions(f"{table} v JOIN {CHECKED} m ON v.id = m.value_id AND m.unchanged = 0")}
        ), landed AS (
          UPDATE {table} v SET value = m.value, source = %(source)s, approval_state = %(approved)s,
                 approved_at = %(now)s, approved_by_id = %(user)s, import_batch_id = %(batch)s, updated_at = %(now)s
          FROM {CHECKED} m WHERE v.id = m.value_id AND m.unchanged = 0
            AND (NOT %(imported_only)s OR v.source = %(source)s)
          RETURNING {returned}
        ), written AS (
          INSERT INTO {history} ({copied}, {_HISTORY_EXTRA})
          SELECT {copied}, {_HISTORY_EXTRA} FROM first_version WHERE id IN (SELECT id FROM landed)
          UNION ALL
          SELECT {copied}, %(now)s, %(reason)s, '~', %(user)s FROM landed
        )
        SELECT count(*) FROM landed
        """,  # noqa: S608 - names from model metadata
        {**_written_as(now=now, user_id=user_id, batch=batch, reason=reason), "imported_only": imported_only},
    )
    return int(cursor.fetchone()[0])


def _written_as(*, now: datetime, user_id: int | None, batch: ImportBatch, reason: str) -> dict[str, Any]:
    """What every imported value and its history row say of themselves."""
    return {
        "source": ValueSource.IMPORT,
        "approved": ApprovalState.APPROVED,
        "now": now,
        "user": user_id,
        "batch": batch.pk,
        "reason": reason,
    }


def _insert_update_then_history(
    cursor: Any, *, now: datetime, user_id: int | None, batch: ImportBatch, reason: str
) -> tuple[int, int]:
    """The same on SQLite, which cannot feed an INSERT from another's RETURNING, in the
    same transaction: the new values (no history row, as on PostgreSQL); the first
    versions of the values about to change that an import created and nothing changed
    since; the changes; then their '~' rows, copied from the rows this batch updated."""
    copied, history = _columns()
    table = connection.ops.quote_name(Value._meta.db_table)
    # As the ORM stores a time: raw SQL on SQLite must write its text form, or the ORM's
    # later comparisons go wrong.
    stamp = connection.ops.adapt_datetimefield_value(now)
    cursor.execute(
        f"""
        INSERT INTO {table} (indicator_id, region_id, period_start, period_end, value, source, approval_state,
                             approved_at, approved_by_id, comment, import_batch_id, created_at, updated_at)
        SELECT indicator_id, region_id, period_start, period_end, value, %s, %s, %s, %s, '', %s, %s, %s
        FROM {CHECKED} WHERE value_id IS NULL
        """,  # noqa: S608 - names from model metadata
        [ValueSource.IMPORT, ApprovalState.APPROVED, stamp, user_id, batch.pk, stamp, stamp],
    )
    created = int(cursor.rowcount)
    changing = f"SELECT value_id FROM {CHECKED} WHERE value_id IS NOT NULL AND unchanged = 0"  # noqa: S608
    cursor.execute(
        f"INSERT INTO {history} ({copied}, {_HISTORY_EXTRA}) "
        + _first_versions(f"{table} v")
        + f" AND v.id IN ({changing}) ORDER BY v.id"
    )
    cursor.execute(
        f"""
        UPDATE {table} SET value = m.value, source = %s, approval_state = %s, approved_at = %s,
               approved_by_id = %s, import_batch_id = %s, updated_at = %s
        FROM {CHECKED} m WHERE {table}.id = m.value_id AND m.unchanged = 0
        """,  # noqa: S608 - names from model metadata
        [ValueSource.IMPORT, ApprovalState.APPROVED, stamp, user_id, batch.pk, stamp],
    )
    updated = int(cursor.rowcount)
    cursor.execute(
        f"INSERT INTO {history} ({copied}, {_HISTORY_EXTRA}) "  # noqa: S608 - names from model metadata
        f"SELECT {copied}, %s, %s, '~', %s FROM {table} WHERE import_batch_id = %s AND id IN ({changing})",
        [stamp, reason, user_id, batch.pk],
    )
    return created, updated


def _first_versions(values: str) -> str:
    """SQL selecting the history rows of the first versions of the values in `values`
    (a FROM item naming value rows `v`) that an import created and nothing changed since."""
    from ..services.value_history import first_versions_select

    return first_versions_select(values)


# A write that changes this share of the table's rows (autovacuum's own default for
# ANALYZE) is followed by ANALYZE at once: the planner must not keep planning for the
# table as it was (a KPI page over a table it believes empty reads every row), and
# autovacuum is off on some servers or comes minutes later. Below the floor, ANALYZE
# (a sample of 30,000 rows, well under a second) would cost more than it changes.
ANALYZE_SHARE = 0.1
ANALYZE_FLOOR = 10_000


def _worth_analyzing(changed: int) -> bool:
    if connection.vendor != "postgresql" or changed < ANALYZE_FLOOR:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Value._meta.db_table])
        (known,) = cursor.fetchone()
    return changed >= ANALYZE_SHARE * max(float(known), 0.0)


def _analyze() -> None:
    """After the commit, so the statistics describe what landed and no lock is held meanwhile."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Value._meta.db_table)}")
            cursor.execute(f"ANALYZE {connection.ops.quote_name(str(Value.history.model._meta.db_table))}")
    except DatabaseError:
        logger.exception("ANALYZE after a statistics import failed; autovacuum will do it later")
