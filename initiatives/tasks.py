"""Background work. Tasks take ids, are safe to run twice, and retry with backoff."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from projectoffice.jobs import JOB_TASK_RETRY
from projectoffice.queueing import requeue_orphans, requeue_unknown

from .alerts.jobs import (
    detection_after_import,
    detection_job_run,
    detection_runs_orphaned,
    detection_runs_to_requeue,
)
from .forecasts.jobs import (
    forecast_job_run,
    forecast_kpis,
    forecast_runs_orphaned,
    forecast_runs_request,
    forecast_runs_to_requeue,
)
from .forecasts.models import ForecastKind, ForecastTrigger
from .services.checkpoints import checkpoint_if_due, checkpoint_take, checkpoints_sweep
from .services.figures import rollups_check, rollups_refresh
from .services.outbox import outbox_deliver, outbox_unsent_ids
from .statistics.jobs import (
    import_job_run,
    import_jobs_orphaned,
    import_jobs_to_requeue,
    import_uploads_delete_old,
)

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=3600, max_retries=10)
def deliver_notice(message_id: int) -> bool:
    return outbox_deliver(message_id=message_id)


@shared_task
def deliver_pending_notices() -> int:
    """The sweep: anything not sent yet and not known to be queued (the broker was down
    when it was written, or its retries ran out)."""
    return requeue_unknown(deliver_notice, outbox_unsent_ids())


@shared_task(**JOB_TASK_RETRY)
def run_statistics_import(batch_id: int) -> str:
    """One uploaded statistics file; returns how it ended (imported, refused)."""
    return str(import_job_run(batch_id=batch_id).status)


@shared_task
def resume_import_jobs() -> dict[str, int]:
    """The sweep: uploads never queued (broker down); and the kept files of imports that
    ended a month ago are deleted."""
    queued = requeue_unknown(run_statistics_import, import_jobs_to_requeue())
    return {"queued": queued, "files_deleted": import_uploads_delete_old()}


@shared_task
def send_reminders() -> int:
    """Daily (beat, 09:00 Almaty): reminders before reports' due dates, escalations after.
    Running it twice a day writes nothing new."""
    from django.utils import timezone

    from .services.reminders import reminders_send

    return reminders_send(today=timezone.localdate())


@shared_task(**JOB_TASK_RETRY)
def build_export(export_id: int) -> bool:
    """One export of KPI values; a second delivery of the same job builds nothing."""
    from .services.exports import export_build

    return export_build(export_id=export_id)


@shared_task
def delete_expired_exports() -> dict[str, int]:
    """The exports' sweep: deletes files past their expiry, and queues exports that were
    never queued (broker down)."""
    from .services.exports import export_files_delete_expired, exports_to_queue_ids

    deleted = export_files_delete_expired()
    return {"deleted": deleted, "queued": requeue_unknown(build_export, exports_to_queue_ids())}


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=30, max_retries=5)
def refresh_rollups(indicator_ids: list[int]) -> int:
    """Recompute the summaries over KPIs whose approved values changed."""
    return rollups_refresh(indicator_ids)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=60, max_retries=3)
def check_rollups() -> int:
    """The nightly comparison of the rollups with the values; returns the differences."""
    check, _found = rollups_check()
    if check.differences:
        logger.error("the rollups differ from the values in %s row(s); run rebuild_rollups", check.differences)
    return check.differences


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=30, max_retries=5)
def take_rollup_checkpoint(reason: str, import_batch_id: int | None = None) -> int | None:
    """A rollup checkpoint (after an import); its id, None if writers held the values."""
    checkpoint = checkpoint_take(reason=reason, import_batch_id=import_batch_id)
    return checkpoint.pk if checkpoint is not None else None


@shared_task
def checkpoint_rollups_if_due() -> int | None:
    """Every minute (beat): a rollup checkpoint once ROLLUP_CHECKPOINT_CHANGES changes have
    accumulated since the last; its id, or None."""
    checkpoint = checkpoint_if_due()
    return checkpoint.pk if checkpoint is not None else None


@shared_task
def sweep_rollup_checkpoints() -> int:
    """Nightly (beat): the checkpoints older than ROLLUP_CHECKPOINT_DAYS deleted, but those
    of releases; how many."""
    return checkpoints_sweep()


@shared_task
def take_over_jobs() -> dict[str, int]:
    """Every JOBS_TAKEOVER_SECONDS (beat): imports and exports whose worker died (their
    lock is free) are queued again for a live worker; how many of each."""
    from .services.exports import exports_orphaned

    return {
        "imports": requeue_orphans(run_statistics_import, import_jobs_orphaned()),
        "exports": requeue_orphans(build_export, exports_orphaned()),
        "forecasts": requeue_orphans(run_forecast, forecast_runs_orphaned())
        + requeue_unknown(run_forecast, forecast_runs_to_requeue())
        + requeue_orphans(run_detection, detection_runs_orphaned())
        + requeue_unknown(run_detection, detection_runs_to_requeue()),
    }


@shared_task(**JOB_TASK_RETRY)
def run_forecast(run_id: int) -> str:
    """One KPI's forecast or backtest (one process: the model libraries run single-threaded
    in a worker); returns how it ended."""
    return str(forecast_job_run(run_id=run_id).status)


@shared_task
def forecast_after_import(batch_id: int, indicator_ids: list[int]) -> int:
    """After an import that changed values: a forecast run per KPI it changed, one task
    each (a KPI whose run still waits gets no second one); how many were queued."""
    from .models import ImportBatch

    batch = ImportBatch.objects.filter(pk=batch_id).first()
    kpis = [k for k in forecast_kpis() if k.pk in set(indicator_ids)]
    return len(forecast_runs_request(indicators=kpis, trigger=ForecastTrigger.IMPORT, import_batch=batch))


@shared_task
def forecast_month() -> int:
    """The 16th of each month (beat): every forecast KPI refit at its latest complete month."""
    return len(forecast_runs_request(indicators=forecast_kpis(), trigger=ForecastTrigger.SCHEDULE))


@shared_task
def backtest_week() -> int:
    """Weekly (beat): every forecast KPI backtested at its latest complete month, so the
    track record and the ranges follow the newest data."""
    return len(
        forecast_runs_request(indicators=forecast_kpis(), trigger=ForecastTrigger.SCHEDULE, kind=ForecastKind.BACKTEST)
    )


@shared_task(**JOB_TASK_RETRY)
def run_detection(run_id: int) -> str:
    """One month's early-warning detection (docs/early-warning.md); returns how it ended."""
    return str(detection_job_run(run_id=run_id).status)


@shared_task
def detect_after_import(batch_id: int) -> int:
    """After an import that wrote values: a detection run per month it wrote (queued
    behind the import's forecast runs, on the same queue); how many."""
    return len(detection_after_import(batch_id=batch_id))


@shared_task
def refresh_campaign_impacts() -> int:
    """The alcohol-free villages forecast at their decisions again (after a forecast run of
    the outcome KPI); how many villages have one."""
    from .forecasts.impact import campaign_impacts_refresh

    return campaign_impacts_refresh(trigger=ForecastTrigger.FORECAST)
