"""Exports of KPI values to CSV or XLSX: asked for through the API, built by a worker.

`export_request` checks the filters as `/api/v1/values/` reads them and records the job;
the build is queued once the record is committed. `export_build` runs the job through
`projectoffice.jobs.job_run` (so a task delivered twice builds one file), applies the requester's
rights as they are at that moment, streams the rows to a temporary file and stores it.
The sweep queues jobs that were never queued (the broker was down) or whose worker
died, and deletes files past their expiry.
"""

import datetime
import logging
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies.access import coordinator_regions, is_project_office, may_read
from agencies.models import TokenScope
from agencies.tokens import AgencyCaller, is_agency_caller
from projectoffice.cell_safety import safe_cell
from projectoffice.job_locks import EXPORT_JOBS
from projectoffice.jobs import (
    MAX_ATTEMPTS,
    PASSING_ERRORS,
    Failure,
    JobFailed,
    job_end,
    job_run,
    jobs_orphaned,
    jobs_to_requeue,
)
from projectoffice.queueing import queue_on_commit

from ..models import Export, ExportFormat, ExportStatus, Value

# The file is what the API would answer: its filters, its columns, its formatting.
from ..selectors.values import (
    FETCH_CHUNK,
    VALUE_COLUMNS,
    ValueFilterSet,
    ValueFormat,
    value_rows,
    values_csv,
    values_filtered,
    values_visible_to,
)

logger = logging.getLogger(__name__)

# How long a ready file can be downloaded before the sweep deletes it.
EXPORT_KEEP = datetime.timedelta(days=7)
# A waiting job this old was not queued (or its message was lost): the sweep queues it.
REQUEUE_AFTER = datetime.timedelta(minutes=1)
# Jobs the sweep handles per run; the next run takes the rest.
SWEEP_BATCH = 500

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8", ExportFormat.XLSX: XLSX_CONTENT_TYPE}

Caller = User | AgencyCaller


class ExportRefused(Exception):
    """The file cannot be built; the message tells the requester why."""


class TooManyExports(Exception):
    """The requester has MAX_UNFINISHED_EXPORTS exports waiting or being built already."""


# Sent with this priority, a big export waits behind the small ones of its queue.
BIG_EXPORT_PRIORITY = 9


def export_filters_clean(filters: Mapping[str, object]) -> dict[str, str]:
    """The filters as `/values/` would read them from its query string, or a
    ValidationError keyed by the name of each bad or unknown filter."""
    known = list(ValueFilterSet.base_filters)
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for name, value in filters.items():
        if name not in known:
            errors[name] = [
                _("unknown filter; the filters are those of /api/v1/values/: %(known)s") % {"known": ", ".join(known)}
            ]
        elif isinstance(value, bool) or not isinstance(value, str | int):
            errors[name] = [_("give one value, as text")]
        elif str(value) != "":
            clean[name] = str(value)
    if errors:
        raise ValidationError(errors)
    values_filtered(Value.objects.none(), clean)
    return clean


# --- asking for an export -----------------------------------------------------------


@transaction.atomic
def export_request(*, caller: Caller, file_format: str, filters: Mapping[str, object]) -> Export:
    """Record an export for `caller` and queue its build once the record is committed.
    Bad filters raise ValidationError (keyed by filter name) and nothing is written."""
    if not may_read(caller, TokenScope.KPI_READ):
        raise PermissionDenied(
            _("This needs the scope {scope}, which this caller lacks.").format(scope=TokenScope.KPI_READ)
        )
    if file_format not in ExportFormat.values:
        raise ValidationError({"format": [_("one of: %(formats)s") % {"formats": ", ".join(ExportFormat.values)}]})
    clean = export_filters_clean(filters)
    _check_unfinished(caller)
    if is_agency_caller(caller):
        export = Export.objects.create(token=caller.token, agency=caller.agency, format=file_format, filters=clean)
    else:
        export = Export.objects.create(requested_by=cast(User, caller), format=file_format, filters=clean)
    small = values_filtered(values_visible_to(caller), clean)[: settings.SMALL_EXPORT_ROWS + 1].count()
    big = small > settings.SMALL_EXPORT_ROWS
    queue_on_commit("initiatives.tasks.build_export", export.pk, priority=BIG_EXPORT_PRIORITY if big else None)
    return export


def _check_unfinished(caller: Caller) -> None:
    """TooManyExports when `caller` has the most unfinished exports one may have. The
    requester's row is locked first, so two requests at once cannot both slip under."""
    mine = Export.objects.filter(status__in=[ExportStatus.WAITING, ExportStatus.RUNNING])
    if is_agency_caller(caller):
        type(caller.token)._default_manager.select_for_update().filter(pk=caller.token.pk).first()
        mine = mine.filter(token=caller.token)
    else:
        person = cast(User, caller)
        User.objects.select_for_update().filter(pk=person.pk).first()
        mine = mine.filter(requested_by=person)
    limit: int = settings.MAX_UNFINISHED_EXPORTS
    unfinished = mine.count()
    if unfinished >= limit:
        raise TooManyExports(
            _(
                "You have %(count)s exports waiting or being built, the most one may have at once; "
                "ask again when one of them is ready."
            )
            % {"count": unfinished}
        )


# --- building the file --------------------------------------------------------------


def export_build(*, export_id: int) -> bool:
    """Build the file of one export unless it is built, failed, or being built by a live
    worker. True when this call finished the job (ready, or failed for a stated reason).

    Attempts, time limits and errors: `projectoffice.jobs.job_run`. Passing trouble (the
    database, the storage failing) is raised, so the task retries; a bug fails the job.
    """
    run = job_run(
        Export,
        export_id,
        _build,
        lock=EXPORT_JOBS,
        fail_fields=_failed_fields,
        max_attempts=MAX_ATTEMPTS,
        passing=(*PASSING_ERRORS, OSError),
        passing_fields=_passing_fields,
    )
    return run.failed or bool(run.result)


def _build(claimed: Export) -> bool:
    export = Export.objects.select_related("requested_by", "token__agency").get(pk=claimed.pk)
    try:
        caller = _requester_now(export)
        try:
            values = values_filtered(values_visible_to(caller), export.filters)
        except ValidationError as exc:  # e.g. a region in the filters no longer exists
            raise ExportRefused(_("The filters no longer apply: %(errors)s") % {"errors": _messages(exc)}) from None
        return _write_and_store(export, values, scope=_scope_of(caller))
    except ExportRefused as exc:
        raise JobFailed(error=str(exc)[:2000]) from None


def _passing_fields(export: Export, error: BaseException) -> dict[str, Any]:
    # Said to the requester: what kind of trouble, not its details (paths, hosts, SQL).
    return {"error": _("a passing error (%(kind)s); it is tried again") % {"kind": type(error).__name__}}


def _failed_fields(export: Export, failure: Failure, error: BaseException | None) -> dict[str, Any]:
    if failure is Failure.GAVE_UP:
        reason = _("Gave up after %(count)s attempts. Last error: %(error)s") % {
            "count": MAX_ATTEMPTS,
            "error": export.error or "-",
        }
    elif failure is Failure.TIMED_OUT:
        reason = _(
            "The export took longer than %(minutes)s minutes; narrow the filters (kpi, region, period) and ask again."
        ) % {"minutes": settings.CELERY_TASK_SOFT_TIME_LIMIT // 60}
    else:
        # Said to the requester: what kind of trouble, not its details (paths, hosts, SQL).
        reason = _("the export stopped on an unexpected error (%(kind)s)") % {"kind": type(error).__name__}
    return {"error": reason[:2000]}


def _requester_now(export: Export) -> Caller:
    """Who asked, with the rights they hold now; ExportRefused when they hold none."""
    caller: Caller
    if export.token_id is not None or export.agency_id is not None:
        token = export.token
        if token is None:
            raise ExportRefused(_("The token that asked for this export was deleted; nothing was exported."))
        if token.revoked:
            raise ExportRefused(_("The token that asked for this export was revoked; nothing was exported."))
        if token.has_expired and token.expiry_date is not None:
            raise ExportRefused(
                _("The token that asked for this export expired on %(date)s; nothing was exported.")
                % {"date": date_format(token.expiry_date, "Y-m-d")}
            )
        if not token.agency.is_active:
            raise ExportRefused(_("The token's agency is no longer active; nothing was exported."))
        caller = AgencyCaller(token.agency, token)
    else:
        user = export.requested_by
        if user is None or not user.is_active:
            raise ExportRefused(_("The account that asked for this export is gone or disabled; nothing was exported."))
        caller = user
    if not may_read(caller, TokenScope.KPI_READ):
        raise ExportRefused(_("Whoever asked for this export may no longer read KPI values; nothing was exported."))
    return caller


def _scope_of(caller: Caller) -> dict[str, Any]:
    """What a person may read, as it is now; a token's rights are its own, checked on every request."""
    if is_agency_caller(caller):
        return {}
    return {"office": is_project_office(caller), "regions": sorted(r.kato for r in coordinator_regions(caller))}


def export_download_allowed(export: Export, caller: Caller) -> bool:
    """The file may go to its requester only while they hold the rights it was built under."""
    if not export.scope:
        return True
    now = _scope_of(caller)
    if now.get("office"):
        return True
    if export.scope.get("office"):
        return False
    return set(export.scope.get("regions", [])) <= set(now.get("regions", []))


def _write_and_store(export: Export, values: QuerySet[Value], *, scope: dict[str, Any]) -> bool:
    cap: int = settings.MAX_EXPORT_ROWS
    total = values.count()
    if total > cap:
        raise ExportRefused(
            _(
                "%(count)s values match these filters; an export holds at most %(cap)s. "
                "Narrow the filters (kpi, region, period_from/period_to) and ask again."
            )
            % {"count": total, "cap": cap}
        )
    with tempfile.TemporaryDirectory(prefix="export-") as workdir:
        path = Path(workdir) / f"values.{export.format}"
        write = _write_xlsx if export.format == ExportFormat.XLSX else _write_csv
        rows = write(path, values, cap)
        with path.open("rb") as handle:
            export.file.save(path.name, File(handle), save=False)
    stored = str(export.file.name)
    try:
        done = job_end(export, file=stored, scope=scope, rows=rows, error="", expires_at=timezone.now() + EXPORT_KEEP)
    except Exception:
        export.file.storage.delete(stored)
        raise
    if not done:  # another worker took the job over meanwhile: its file is the one
        export.file.storage.delete(stored)
        return False
    return True


def _write_csv(path: Path, values: QuerySet[Value], cap: int) -> int:
    """The bytes `/values/?format=csv` streams for the same rows, straight from the
    database's cursor to the file, a chunk at a time."""
    written = -1  # the header is a line too
    with path.open("wb") as out:
        for chunk in values_csv(values, limit=cap + 1):
            written += chunk.count(b"\n")  # no cell holds a line break
            if written > cap:  # rows arrived after they were counted
                raise ExportRefused(
                    _("More than %(cap)s values match these filters; narrow them and ask again.") % {"cap": cap}
                )
            out.write(chunk)
    return written


def _write_xlsx(path: Path, values: QuerySet[Value], cap: int) -> int:
    """The same columns as the CSV in one sheet; values are numbers, codes stay text."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows go to disk as they are appended
    sheet = workbook.create_sheet(title="values")
    sheet.append(list(VALUE_COLUMNS))
    fmt = ValueFormat()
    value_at = VALUE_COLUMNS.index("value")
    written = 0
    for row in value_rows(values).order_by("id")[: cap + 1].iterator(chunk_size=FETCH_CHUNK):
        written += 1
        if written > cap:  # rows arrived after they were counted
            raise ExportRefused(
                _("More than %(cap)s values match these filters; narrow them and ask again.") % {"cap": cap}
            )
        cells = [safe_cell(cell) for cell in fmt.cells(row)]
        cells[value_at] = Decimal(cells[value_at])
        sheet.append(cells)
    workbook.save(path)
    return written


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


# --- the sweep ----------------------------------------------------------------------


def exports_to_queue_ids(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Jobs waiting for more than a minute (never queued, or their message was lost)."""
    return jobs_to_requeue(Export.objects.all(), waiting_longer_than=REQUEUE_AFTER, limit=limit)


def exports_orphaned(*, limit: int = SWEEP_BATCH) -> list[tuple[int, int]]:
    """(id, attempts) of running jobs whose worker died, for the takeover."""
    return jobs_orphaned(Export.objects.all(), kind=EXPORT_JOBS, limit=limit)


def export_files_delete_expired(*, limit: int = SWEEP_BATCH) -> int:
    """Delete the files of exports past their expiry; the job records stay. Safe to run
    twice: the file goes first, then the record forgets it."""
    now = timezone.now()
    storage = Export._meta.get_field("file").storage
    expired = list(
        Export.objects.filter(expires_at__lte=now)
        .exclude(file="")
        .order_by("expires_at")
        .values_list("pk", "file")[:limit]
    )
    for export_id, name in expired:
        storage.delete(name)
        Export.objects.filter(pk=export_id, file=name).update(file="", updated_at=now)
    return len(expired)
