from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from initiatives.alerts.jobs import detection_job_run, detection_kpis, detection_request, detection_runs_abandoned_end
from initiatives.alerts.models import Alert, DetectionStatus, DetectionTrigger
from initiatives.management.forecast_options import month_option
from initiatives.periods import Month


class Command(BaseCommand):
    help = (
        "Test a month of every monthly count KPI (or those named), by region and district, for unexpected "
        "adverse moves against each series' own past, within the false-alarm budget "
        "(ALERTS_MONTHLY_FALSE_ALARMS); store the alerts and say what it found. --notify sends the e-mail digest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", metavar="YYYY-MM", help="the month to test (default: the last month over)")
        parser.add_argument("--kpi", metavar="CODE", nargs="+", help="only these KPIs (their codes)")
        parser.add_argument("--notify", action="store_true", help="e-mail the digest of the alerts raised")

    def handle(self, *args: Any, period: str | None, kpi: list[str] | None, notify: bool, **options: Any) -> None:
        month = month_option(period, "--period") if period else Month.from_date(timezone.localdate()).plus(-1)
        try:
            kpis = detection_kpis(kpi)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        abandoned = detection_runs_abandoned_end()
        if abandoned:
            self.stderr.write(f"{abandoned} run(s) left unfinished by a stopped command marked failed.")
        run = detection_request(
            period=month,
            trigger=DetectionTrigger.COMMAND,
            kpis=[k.code for k in kpis] if kpi else [],
            notify=notify,
            queue=False,
        )
        run = detection_job_run(run_id=run.pk)
        if run.status != DetectionStatus.DONE:
            raise CommandError(f"Detection run {run.pk} for {month} failed: {run.reason}")
        self.stdout.write(
            f"Detection run {run.pk} for {month}: {run.tested} series tested, {run.skipped} skipped "
            f"({_reasons(run.detail.get('skipped', {}))}); budget {run.detail.get('budget')} false alarms a month "
            f"over N = {run.budget_series} series: a month alone flagged beyond the 1 - {run.single_level:.2e} "
            f"quantile, two months running beyond the 1 - {run.persistent_level:.4f} quantile."
        )
        alerts = (
            Alert.objects.filter(period=month.first_day, run=run, withdrawn=False)
            .select_related("indicator", "region")
            .order_by("indicator__code", "region__kato", "kind")
        )
        for alert in alerts:
            bound = alert.upper if alert.adverse == "rise" else alert.lower
            self.stdout.write(
                f"  {alert.indicator.code} {alert.region.kato} {alert.region.name}: {alert.observed:.0f} against "
                f"{alert.expected:.1f} expected (threshold {bound:.0f}, p = {alert.p_value:.2e}), "
                f"{alert.adverse}, {alert.kind} [{alert.model}]"
            )
        self.stdout.write(f"{run.raised} alert(s) standing, {run.withdrawn} withdrawn.")


def _reasons(skipped: dict[str, int]) -> str:
    words = {"short": "fewer than 36 months", "sparse": "below 0.5 a month over 24 months"}
    return ", ".join(f"{n} {words.get(reason, reason)}" for reason, n in sorted(skipped.items())) or "none"
