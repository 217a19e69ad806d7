"""The legal-statistics import: a whole file lands, or nothing does.

Imported figures are official: they are approved the moment they land. Importing the
same key again replaces the value and keeps the old one in history.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import User
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from projectoffice.tabular import RowError, TableError, read_table

from ..engine.rollups import rollups_refresh_later
from ..models import ApprovalState, ImportBatch, ImportStatus, Value, ValueSource
from ..statistics_file import COLUMNS, CheckedRow, check_rows

logger = logging.getLogger(__name__)

# Rows per round: the existing values they may replace are fetched, then written at once.
WRITE_BATCH = 5000
# Problems reported at most (the count says how many there were).
MAX_REPORTED = 1000
# Regions per look-up of existing values (keeps the IN list short).
REGIONS_PER_LOOKUP = 500


class StatisticsImportError(Exception):
    """The file was refused and nothing was written; `errors` says why, row by row."""

    def __init__(self, errors: list[RowError], error_count: int | None = None) -> None:
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        super().__init__(_("%(count)s problem(s) in the file; nothing was imported") % {"count": self.error_count})


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    batch: ImportBatch | None = None


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
) -> ImportResult:
    """Check every row of the file, then write them all in one transaction.

    `progress(stage, done, total)` is called now and then, for a terminal or a task.
    `batch`: the job record of an upload (a worker's run); it is locked while the values
    are written and marked imported in the same transaction, so a second run of the same
    job waits, then finds it finished (ImportAlreadyFinished) and writes nothing.
    """
    name = filename or getattr(source, "name", "") or "upload"
    try:
        checked = check_rows(
            read_table(source, required=COLUMNS, filename=str(name)),
            progress=(lambda n: progress("checking", n, 0)) if progress else None,
            agency_code=agency.code if agency is not None else None,
        )
    except TableError as exc:
        raise StatisticsImportError(exc.errors) from exc
    if checked.error_count:
        raise StatisticsImportError(checked.errors, checked.error_count)
    if not checked.rows:
        raise StatisticsImportError([RowError(0, "", _("the file has a header but no rows"))])

    result = ImportResult(rows=len(checked.rows), dry_run=dry_run)
    try:
        with transaction.atomic():
            _take_turns()
            if batch is None:
                batch = ImportBatch.objects.create(
                    file_name=Path(str(name)).name[:255],
                    uploaded_by=user,
                    agency=agency,
                    status=ImportStatus.RUNNING,
                    rows=len(checked.rows),
                )
            else:
                batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
                if batch.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
                    raise ImportAlreadyFinished
                batch.rows = len(checked.rows)
            _write(checked.rows, batch, user, result, progress, protect_hand_entered=agency is not None)
            batch.status = ImportStatus.SUCCEEDED
            batch.created, batch.updated, batch.unchanged = result.created, result.updated, result.unchanged
            batch.stage, batch.progress_done, batch.progress_total = "", len(checked.rows), len(checked.rows)
            batch.finished_at = timezone.now()
            batch.save()
            result.batch = batch
            if dry_run:
                raise _DryRun
            rollups_refresh_later({row.indicator_id for row in checked.rows})
    except _DryRun:
        result.batch = None
    except (OperationalError, InterfaceError):
        raise  # passing trouble (a lost connection, a lock timeout), not the file's fault: try again
    except DatabaseError as exc:
        # What the checks could not foresee: a region or KPI removed meanwhile, or a
        # constraint. Rolled back whole, and said in words rather than as a traceback.
        logger.exception("statistics import refused by the database")
        raise StatisticsImportError(
            [
                RowError(
                    0,
                    "",
                    _("the database refused the import (%(kind)s); nothing was written") % {"kind": type(exc).__name__},
                )
            ]
        ) from exc
    return result


# Imports take turns: two files writing the same new keys at once would collide.
IMPORT_LOCK_KEY = 7_200_409


def _take_turns() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
    # SQLite allows one writer at a time already.


def _write(
    rows: list[CheckedRow],
    batch: ImportBatch,
    user: User | None,
    result: ImportResult,
    progress: Progress | None,
    *,
    protect_hand_entered: bool = False,
) -> None:
    """Insert the new values and replace the changed ones, set-based, then record one
    history row for each in a single statement. At a million rows the ORM's per-object
    bulk_create and bulk_update were the bottleneck (docs/performance.md)."""
    now = timezone.now()
    user_id = user.pk if user else None
    ordered = sorted(rows, key=lambda r: (r.indicator_id, r.region_id, r.period_start, r.period_end))
    done = 0
    refused: list[RowError] = []
    for indicator_id, group in groupby(ordered, key=lambda r: r.indicator_id):
        indicator_rows = list(group)
        for chunk_start in range(0, len(indicator_rows), WRITE_BATCH):
            chunk = indicator_rows[chunk_start : chunk_start + WRITE_BATCH]
            existing = _existing(indicator_id, chunk)
            to_insert: list[tuple[object, ...]] = []
            to_update: list[tuple[int, Decimal]] = []
            for row in chunk:
                current = existing.get((row.region_id, row.period_start, row.period_end))
                if current is None:
                    to_insert.append(
                        (
                            indicator_id,
                            row.region_id,
                            row.period_start,
                            row.period_end,
                            row.value,
                            ValueSource.IMPORT,
                            ApprovalState.APPROVED,
                            now,
                            user_id,
                            "",
                            batch.pk,
                            now,
                            now,
                        )
                    )
                elif current[1:] == (row.value, ApprovalState.APPROVED, ValueSource.IMPORT):
                    result.unchanged += 1
                elif protect_hand_entered and current[3] != ValueSource.IMPORT:
                    # An agency's system does not overwrite what the office entered or approved from a report.
                    refused.append(
                        RowError(
                            row.line,
                            "value",
                            _("replaces a value entered by the project office or a report; ask the office"),
                        )
                    )
                else:
                    to_update.append((current[0], row.value))
            _insert(to_insert)
            _update(to_update, batch=batch, user_id=user_id, now=now)
            result.created += len(to_insert)
            result.updated += len(to_update)
            done += len(chunk)
            if progress:
                progress("writing", done, len(rows))
    if refused:
        raise StatisticsImportError(sorted(refused, key=lambda e: e.line)[:MAX_REPORTED], len(refused))
    _record_history(batch=batch, user_id=user_id, now=now)


def _adapt(value: Any) -> Any:
    """A parameter as the ORM would store it: raw SQL on SQLite must write dates, times
    and decimals in the ORM's text forms, or later comparisons by the ORM go wrong."""
    ops = connection.ops
    if isinstance(value, datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return ops.adapt_datefield_value(value)
    if isinstance(value, Decimal):
        return ops.adapt_decimalfield_value(value, max_digits=20, decimal_places=4)
    return value


_INSERT_COLUMNS = (
    "indicator_id",
    "region_id",
    "period_start",
    "period_end",
    "value",
    "source",
    "approval_state",
    "approved_at",
    "approved_by_id",
    "comment",
    "import_batch_id",
    "created_at",
    "updated_at",
)


def _insert(rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(Value._meta.db_table)
    columns = ", ".join(_INSERT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY goes to psycopg directly; wrap it so its errors become Django's.
            with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from model metadata
            cursor.executemany(sql, [tuple(map(_adapt, r)) for r in rows])


def _update(rows: list[tuple[int, Decimal]], *, batch: ImportBatch, user_id: int | None, now: datetime) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(Value._meta.db_table)
    constant = (
        "source = %s, approval_state = %s, approved_at = %s, approved_by_id = %s, import_batch_id = %s, updated_at = %s"
    )
    params: list[Any] = [_adapt(p) for p in (ValueSource.IMPORT, ApprovalState.APPROVED, now, user_id, batch.pk, now)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS import_update (id bigint, value numeric) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE import_update")
            with connection.wrap_database_errors, cursor.copy("COPY import_update (id, value) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} SET value = t.value, {constant} FROM import_update t WHERE {table}.id = t.id",  # noqa: S608
                params,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET value = %s, {constant} WHERE id = %s",  # noqa: S608 - names from model metadata
                [(_adapt(value), *params, pk) for pk, value in rows],
            )


def _record_history(*, batch: ImportBatch, user_id: int | None, now: datetime) -> None:
    """One history row for every value this batch created (+) or replaced (~), written
    from the values themselves, so history holds exactly what landed."""
    history_table = str(Value.history.model._meta.db_table)
    copied = [str(f.column) for f in Value._meta.concrete_fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(history_table)} "  # noqa: S608 - names from model metadata
            f"({quoted}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {quoted}, %s, %s, CASE WHEN created_at = %s THEN '+' ELSE '~' END, %s "
            f"FROM {connection.ops.quote_name(Value._meta.db_table)} WHERE import_batch_id = %s",
            [_adapt(now), f"import {batch.pk}", _adapt(now), user_id, batch.pk],
        )


def _existing(
    indicator_id: int, chunk: list[CheckedRow]
) -> dict[tuple[int, object, object], tuple[int, Decimal, str, str]]:
    """The stored values of this KPI that the chunk's rows may replace:
    key -> (id, value, approval state, source), locked until the import commits."""
    out: dict[tuple[int, object, object], tuple[int, Decimal, str, str]] = {}
    region_ids = sorted({r.region_id for r in chunk})
    first = min(r.period_start for r in chunk)
    last = max(r.period_end for r in chunk)
    for i in range(0, len(region_ids), REGIONS_PER_LOOKUP):
        found = (
            Value.objects.select_for_update()
            .filter(
                indicator_id=indicator_id,
                region_id__in=region_ids[i : i + REGIONS_PER_LOOKUP],
                period_start__gte=first,
                period_end__lte=last,
            )
            .values_list("id", "region_id", "period_start", "period_end", "value", "approval_state", "source")
        )
        for pk, region_id, start, end, value, state, source in found:
            out[(region_id, start, end)] = (pk, value, state, source)
    return out
