"""The options and the report the forecasting commands share."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from initiatives.forecasts.jobs import forecast_job_run
from initiatives.forecasts.models import ForecastRun, ForecastStatus
from initiatives.periods import Month, PeriodError, period_over


def month_option(text: str) -> Month:
    """A month that is over (YYYY-MM), as `--origin` takes it."""
    try:
        period = period_over(text)
    except PeriodError as exc:
        raise CommandError(f"--origin {text!r}: {exc}") from None
    if period.months != 1:
        raise CommandError(f"--origin {text!r}: not a month (YYYY-MM)")
    return period.start


def moment_option(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r}: not an ISO moment (e.g. 2026-11-16T09:00:00+05:00)") from None
    moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    if moment > timezone.now():
        raise CommandError(f"--as-of {text!r}: a moment to come (what is committed then is not known yet)")
    return moment


def run_and_say(command: BaseCommand, runs: list[ForecastRun]) -> None:
    """Run each job here, one after another, and say how each ended."""
    failed = 0
    for run in runs:
        done = forecast_job_run(run_id=run.pk)
        if done.status == ForecastStatus.DONE:
            command.stdout.write(
                f"{done.get_kind_display()} {done.pk} of {done.indicator.code} at {done.origin:%Y-%m} "
                f"(data as of {done.as_of:%Y-%m-%dT%H:%M:%S%z}): {done.series} series"
                + (f", reconciled by {done.method}" if done.method else "")
                + "."
            )
        else:
            failed += 1
            command.stderr.write(f"{done.get_kind_display()} {done.pk} of {done.indicator.code} failed: {done.reason}")
    if failed:
        raise CommandError(f"{failed} of {len(runs)} run(s) failed")
