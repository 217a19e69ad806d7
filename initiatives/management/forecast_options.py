"""The options and the report the forecasting commands share."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from initiatives.forecasts.jobs import forecast_job_run, forecast_runs_abandoned_end, forecast_runs_request
from initiatives.forecasts.models import ForecastStatus, ForecastTrigger
from initiatives.models import Indicator
from initiatives.periods import Month, PeriodError, period_over


def month_option(text: str, flag: str = "--origin") -> Month:
    """A month that is over (YYYY-MM), as `--origin` (or `flag`) takes it."""
    try:
        period = period_over(text)
    except PeriodError as exc:
        raise CommandError(f"{flag} {text!r}: {exc}") from None
    if period.months != 1:
        raise CommandError(f"{flag} {text!r}: not a month (YYYY-MM)")
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


def run_and_say(command: BaseCommand, kpis: list[Indicator], **request: Any) -> None:
    """Ask for each KPI's run just before running it here (so a run of this command never
    waits where a worker could take it), one after another, and say how each ended. Runs
    an earlier command left unfinished (it was stopped) are ended first, as failed."""
    abandoned = forecast_runs_abandoned_end()
    if abandoned:
        command.stderr.write(f"{abandoned} run(s) left unfinished by a stopped command marked failed.")
    asked = failed = 0
    for indicator in kpis:
        for run in forecast_runs_request(
            indicators=[indicator], trigger=ForecastTrigger.COMMAND, queue=False, **request
        ):
            asked += 1
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
                command.stderr.write(
                    f"{done.get_kind_display()} {done.pk} of {done.indicator.code} failed: {done.reason}"
                )
    if not asked:
        command.stdout.write("Nothing to do: no KPI has a complete national month yet.")
    if failed:
        raise CommandError(f"{failed} of {asked} run(s) failed")
