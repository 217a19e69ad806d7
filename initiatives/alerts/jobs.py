"""A detection run's job, and asking for runs.

A run is a row (`DetectionRun`) and its task (`initiatives.tasks.run_detection`, on the
`forecasts` queue); `job_run` claims it, counts attempts and ends it
(`projectoffice/jobs.py`). The command `detect_rises` runs the same job in its own process.

A run (docs/early-warning.md):
1. reads every monthly count KPI's tree of series up to the month, as committed now
   (`forecasts/series.py`, the figures the summary reports);
2. counts N, the series a national run tests that month (a series is tested when it has
   the month's figure, 36 months before it and a mean of at least 0.5 over the last 24),
   and the two tails of the budget (`detection.tails`);
3. tests each region's and district's month of the KPIs asked for: against the
   one-step-ahead forecast where a forecast run was made from the month before, else
   against the GLM of its own past; and the month before at the persistence tail;
4. writes the alerts in one transaction with the job's end: raised or updated in place,
   and withdrawn where the move is gone (a review stays as it was);
5. after an import (or with `--notify`), once every run of it has ended, the digest.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from projectoffice.job_locks import DETECTION_JOBS, DETECTION_MONTHS
from projectoffice.jobs import (
    JobFailed,
    failure_in_words,
    job_end,
    job_progress,
    job_run,
    jobs_abandoned_end,
    jobs_orphaned,
    jobs_to_requeue,
)
from projectoffice.numbers import rounded
from projectoffice.queueing import queue_on_commit, send

from ..forecasts.models import ForecastKind, ForecastPoint, ForecastRun, ForecastStatus
from ..forecasts.series import TreeSeries, tree_series
from ..models import Direction, ImportBatch, Indicator, Value
from ..periods import Month
from ..selectors.kpi_roles import headline_first
from .digest import alerts_digest_send
from .models import Adverse, Alert, AlertKind, DetectionRun, DetectionStatus, DetectionTrigger

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# An import's changed months tested at most this far back (the month it happened, and a
# correction of the last year's figures withdrawing or raising an alert).
IMPORT_MONTHS_BACK = 13
# The months of the series an alert's chart shows, ending at its month.
CHART_MONTHS = 24


def _detection() -> Any:
    from . import detection

    return detection


# --- Asking for runs


def detection_kpis(codes: Iterable[str] | None = None) -> list[Indicator]:
    """The KPIs tested: every active monthly count KPI summed over time (not a formula),
    or those of `codes` among them; an unknown or untested code is refused by name."""
    kpis = headline_first(list(Indicator.objects.monthly_counts()))
    wanted = list(codes or [])
    if not wanted:
        return kpis
    by_code = {k.code: k for k in kpis}
    unknown = [c for c in wanted if c not in by_code]
    if unknown:
        raise ValueError(
            _("Not tested (unknown, or not a monthly count summed over time): %(codes)s")
            % {"codes": ", ".join(unknown)}
        )
    return [by_code[c] for c in wanted]


def detection_request(
    *,
    period: Month,
    trigger: str,
    kpis: list[str] | None = None,
    user: Any = None,
    import_batch: ImportBatch | None = None,
    notify: bool = False,
    queue: bool = True,
) -> DetectionRun:
    """A waiting run for the month, queued for a worker after commit unless `queue` is
    False (the command runs it itself)."""
    with transaction.atomic():
        run = DetectionRun.objects.create(
            period=period.first_day,
            kpis=list(kpis or []),
            trigger=trigger,
            requested_by=user if getattr(user, "pk", None) else None,
            import_batch=import_batch,
            notify=notify,
        )
        if queue:
            queue_on_commit("initiatives.tasks.run_detection", run.pk)
    return run


def import_months(batch: ImportBatch, today: datetime.date | None = None) -> list[Month]:
    """The months an import's run tests: each month whose monthly value it wrote, and the
    month after (its persistence test reads this one), that is over and at most
    IMPORT_MONTHS_BACK months back."""
    today = today or timezone.localdate()
    last = Month.from_date(today).plus(-1)
    first = last.plus(-(IMPORT_MONTHS_BACK - 1))
    written = (
        Value.objects.filter(import_batch=batch, period_start=F("period_end"), period_start__gte=first.first_day)
        .values_list("period_start", flat=True)
        .distinct()
    )
    months = {Month.from_date(day) for day in written}
    months |= {m.plus(1) for m in months}
    return sorted((m for m in months if first <= m <= last), key=lambda m: m.index)


def alerts_after_import_later(*, batch: ImportBatch) -> None:
    """After the import's transaction commits, have the worker test the months it wrote
    (when `ALERTS_AFTER_IMPORT`: a worker is there to do it). Sent after the import's
    forecast request, on the same queue, so the detection is queued behind it; the worker
    finds the months (`import_months`), so the import itself pays nothing for it."""
    if not settings.ALERTS_AFTER_IMPORT:
        return
    batch_id = batch.pk
    transaction.on_commit(lambda: send("initiatives.tasks.detect_after_import", batch_id))


def detection_after_import(*, batch_id: int) -> list[DetectionRun]:
    """A run per month an import wrote, each sending the digest once all have ended (the
    task's work)."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return []
    # In one transaction: no run ends (and judges the digest's time come) before its
    # siblings exist.
    with transaction.atomic():
        return [
            detection_request(
                period=month,
                trigger=DetectionTrigger.IMPORT,
                import_batch=batch,
                user=batch.uploaded_by,
                notify=True,
            )
            for month in import_months(batch)
        ]


def detection_runs_orphaned(limit: int = 50) -> list[tuple[int, int]]:
    return jobs_orphaned(DetectionRun.objects.all(), kind=DETECTION_JOBS, limit=limit)


def detection_runs_to_requeue(limit: int = 50) -> list[int]:
    waiting = DetectionRun.objects.exclude(trigger=DetectionTrigger.COMMAND)
    return jobs_to_requeue(waiting, waiting_longer_than=datetime.timedelta(minutes=5), limit=limit)


def detection_runs_abandoned_end() -> int:
    """Runs a command asked for and never finished (the command was stopped: a command's
    runs wait for it, not for a worker), unless a live process holds one: ended failed,
    so no page says they are under way; how many."""
    unfinished = DetectionRun.objects.filter(
        trigger=DetectionTrigger.COMMAND, status__in=[DetectionStatus.WAITING, DetectionStatus.RUNNING]
    )
    return jobs_abandoned_end(unfinished, kind=DETECTION_JOBS)


# --- The job


def detection_job_run(*, run_id: int) -> DetectionRun:
    """Run one detection to its end; safe to call twice, at once too."""
    job_run(
        DetectionRun,
        run_id,
        _run,
        lock=DETECTION_JOBS,
        fail_fields=failure_in_words,
        max_attempts=MAX_ATTEMPTS,
        claim_fields={"stage": "reading", "progress_done": 0, "progress_total": 0, "reason": ""},
    )
    run = DetectionRun.objects.get(pk=run_id)
    if run.status in (DetectionStatus.DONE, DetectionStatus.FAILED) and run.notify:
        _digest_when_all_ended(run)
    return run


class _Series:
    """One KPI's tree of series as the tests read it: each region's and district's
    counts by month index, to the month tested."""

    def __init__(self, indicator: Indicator, data: TreeSeries) -> None:
        import numpy as np

        self.indicator = indicator
        self.months = np.array([m.index for m in data.months], dtype=float)
        self.rows = {
            region_id: np.array([np.nan if v is None else v for v in values], dtype=float)
            for region_id, level, values in zip(data.region_ids, data.level, data.values, strict=True)
            if region_id is not None and level in (1, 2)
        }


def _one_step(indicator: Indicator, month: Month) -> tuple[ForecastRun | None, dict[int, tuple[float, float]]]:
    """The latest forecast run of the KPI made from the month before `month`, and its
    one-step-ahead forecast by region: (point, upper end of the 95% range)."""
    run = (
        ForecastRun.objects.filter(
            indicator=indicator,
            kind=ForecastKind.FORECAST,
            status=ForecastStatus.DONE,
            replay=False,
            origin=month.plus(-1).first_day,
        )
        .order_by("-as_of", "-pk")
        .first()
    )
    if run is None:
        return None, {}
    points = ForecastPoint.objects.filter(run=run, horizon=1, region__isnull=False).values_list(
        "region_id", "value", "upper_95"
    )
    return run, {region_id: (float(value), float(upper)) for region_id, value, upper in points}


class _Test:
    """What the run found for one series at the month."""

    def __init__(self, region_id: int, observed: float) -> None:
        self.region_id = region_id
        self.observed = observed
        self.single: Any = None  # detection.Verdict at the single tail
        self.now_persistent: Any = None  # the month at the persistence tail
        self.before_persistent: Any = None  # the month before at the persistence tail
        self.model = "glm"
        self.baseline: Any = None  # the GLM, when fitted


def _run(run: DetectionRun) -> None:
    detection = _detection()
    month = Month.from_date(run.period)
    asked = detection_kpis(run.kpis or None)
    every = detection_kpis()
    now = timezone.now()
    job_progress(run, "reading", 0, len(every))
    series: dict[int, _Series] = {}
    eligible_total, skipped = 0, 0
    skipped_by: dict[str, int] = defaultdict(int)
    for k, indicator in enumerate(every):
        data = tree_series(indicator, month, now)
        if data is None or data.origin != month:
            continue
        found = _Series(indicator, data)
        for row in found.rows.values():
            # N counts a series by its past, whether or not this month's figure is in yet:
            # a month loaded region by region keeps the thresholds of the whole country.
            reason = detection.skip_reason(row[:-1])
            if reason is None:
                eligible_total += 1
            elif indicator in asked and row[-1] == row[-1]:  # skipped (not merely waiting for its figure)
                skipped += 1
                skipped_by[reason] += 1
        if indicator in asked:
            series[indicator.pk] = found
        job_progress(run, "reading", k + 1, len(every))
    if not eligible_total:
        raise JobFailed(
            stage="",
            reason=_("No series has a figure for %(month)s and 36 months before it: nothing to test.")
            % {"month": str(month)},
        )
    budget = float(settings.ALERTS_MONTHLY_FALSE_ALARMS)
    single_tail, persistent_tail = detection.tails(budget, eligible_total)
    tests: dict[int, list[_Test]] = {}
    forecast_runs: dict[int, ForecastRun | None] = {}
    models: dict[str, int] = defaultdict(int)
    tested = 0
    for k, indicator in enumerate(asked):
        found_series = series.get(indicator.pk)
        if found_series is None:
            continue
        rise = indicator.direction == Direction.LOWER_IS_BETTER
        forecast_runs[indicator.pk], points_now = _one_step(indicator, month)
        _forecast_before, points_before = _one_step(indicator, month.plus(-1))
        done: list[_Test] = []
        for region_id, row in found_series.rows.items():
            observed = row[-1]
            if observed != observed or detection.skip_reason(row[:-1]) is not None:
                continue
            test = _Test(region_id, float(observed))
            if region_id in points_now:
                predictive = detection.from_forecast(*points_now[region_id])
                test.model = "forecast"
            else:
                test.baseline = detection.fit_baseline(row[:-1], found_series.months[:-1], month.index)
                predictive = test.baseline.predictive
                test.model = test.baseline.model
            test.single = detection.judge(predictive, test.observed, single_tail, rise)
            test.now_persistent = detection.judge(predictive, test.observed, persistent_tail, rise)
            before = row[-2] if len(row) > 1 else float("nan")
            if test.now_persistent.crossed and before == before and detection.skip_reason(row[:-2]) is None:
                if region_id in points_before:
                    earlier = detection.from_forecast(*points_before[region_id])
                else:
                    earlier = detection.fit_baseline(row[:-2], found_series.months[:-2], month.index - 1).predictive
                test.before_persistent = detection.judge(earlier, float(before), persistent_tail, rise)
            models[test.model] += 1
            tested += 1
            done.append(test)
        tests[indicator.pk] = done
        job_progress(run, "testing", k + 1, len(asked))
    by_pk = {indicator.pk: indicator for indicator in asked}
    with transaction.atomic():
        job_progress(run, "storing", 0, 1)
        raised, kept, withdrawn = _store(
            run, month, by_pk, tests, series, forecast_runs, single_tail, persistent_tail, now
        )
        job_end(
            run,
            stage="",
            budget_series=eligible_total,
            tested=tested,
            skipped=skipped,
            single_level=single_tail,
            persistent_level=persistent_tail,
            raised=len(raised) + kept,
            withdrawn=withdrawn,
            detail={
                "skipped": dict(skipped_by),
                "models": dict(models),
                "budget": budget,
                "raised_ids": raised,
                "kpis": sorted(indicator.code for indicator in asked),
            },
        )


def _figure(number: float) -> Decimal:
    return rounded(Decimal(repr(float(number))), 2)


def _chart_number(number: float) -> float:
    """A chart's coordinate: two places are more than a drawing shows."""
    return float(f"{number:.2f}")


def _chart(test: _Test, verdict: Any, found: _Series, month: Month, tail: float) -> dict[str, Any]:
    """The alert's small chart: the last CHART_MONTHS months of the series, the GLM's
    expected counts and band at the alert's tail, ending at the month tested (whose
    expected and band are the alert's own)."""
    detection = _detection()
    if test.baseline is None:
        row = found.rows[test.region_id]
        test.baseline = detection.fit_baseline(row[:-1], found.months[:-1], month.index)
    baseline = test.baseline
    ranges = detection.band(baseline.fitted, baseline.dispersion, tail)
    first = month.index - CHART_MONTHS + 1
    row = found.rows[test.region_id]
    by_index = {int(m): v for m, v in zip(found.months, row, strict=True)}
    months: list[str] = []
    observed: list[float | None] = []
    expected: list[float | None] = []
    lower: list[float | None] = []
    upper: list[float | None] = []
    for index in range(first, month.index + 1):
        value = by_index.get(index)
        months.append(str(Month.from_index(index)))
        observed.append(None if value is None or value != value else float(value))
        if index == month.index:
            expected.append(_chart_number(verdict.expected))
            lower.append(verdict.lower)
            upper.append(verdict.upper)
        elif index in baseline.fitted:
            expected.append(_chart_number(baseline.fitted[index]))
            lower.append(ranges[index][0])
            upper.append(ranges[index][1])
        else:
            expected.append(None)
            lower.append(None)
            upper.append(None)
    return {"months": months, "observed": observed, "expected": expected, "lower": lower, "upper": upper}


def _store(
    run: DetectionRun,
    month: Month,
    kpis: dict[int, Indicator],
    tests: dict[int, list[_Test]],
    series: dict[int, _Series],
    forecast_runs: dict[int, ForecastRun | None],
    single_tail: float,
    persistent_tail: float,
    now: datetime.datetime,
) -> tuple[list[int], int, int]:
    """Raise, update or withdraw the month's alerts of the KPIs tested; returns the ids
    newly raised (or raised again after a withdrawal), how many others stand, and how many
    were withdrawn. Two runs of the same month store one after the other (a lock per
    month): the second finds the first's alerts and updates them."""
    month_lock(month)
    existing = {
        (a.indicator_id, a.region_id, a.kind): a
        for a in Alert.objects.select_for_update().filter(period=month.first_day, indicator_id__in=list(kpis))
    }
    seen: set[tuple[int, int, str]] = set()
    raised: list[int] = []
    kept = 0
    for indicator_id, found in tests.items():
        indicator = kpis[indicator_id]
        adverse = Adverse.RISE if indicator.direction == Direction.LOWER_IS_BETTER else Adverse.FALL
        for test in found:
            persists = bool(
                test.before_persistent is not None and test.before_persistent.crossed and test.now_persistent.crossed
            )
            moves = []
            if test.single.crossed:
                moves.append((AlertKind.SINGLE, test.single, single_tail))
            if persists:
                moves.append((AlertKind.PERSISTENT, test.now_persistent, persistent_tail))
            for kind, verdict, tail in moves:
                key = (indicator_id, test.region_id, str(kind))
                seen.add(key)
                figures = {
                    "adverse": adverse,
                    "observed": _figure(verdict.observed),
                    "expected": _figure(verdict.expected),
                    "lower": _figure(verdict.lower),
                    "upper": _figure(verdict.upper),
                    "p_value": float(verdict.p_value),
                    "persists": persists,
                    "model": test.model,
                    "forecast_run": forecast_runs.get(indicator_id) if test.model == "forecast" else None,
                }
                alert = existing.get(key)
                if alert is None:
                    alert = Alert(
                        indicator=indicator,
                        region_id=test.region_id,
                        period=month.first_day,
                        kind=kind,
                        raised_at=now,
                        run=run,
                        chart=_chart(test, verdict, series[indicator_id], month, tail),
                        **figures,
                    )
                    alert._change_reason = f"raised by detection run {run.pk}"  # type: ignore[attr-defined]
                    alert.save()
                    raised.append(alert.pk)
                    continue
                again = alert.withdrawn
                run_now = forecast_runs.get(indicator_id) if test.model == "forecast" else None
                changed = again or any(
                    (alert.forecast_run_id != (run_now.pk if run_now else None))
                    if name == "forecast_run"
                    else getattr(alert, name) != value
                    for name, value in figures.items()
                )
                if changed:
                    for name, value in figures.items():
                        setattr(alert, name, value)
                    alert.withdrawn, alert.withdrawn_at, alert.run = False, None, run
                    alert.chart = _chart(test, verdict, series[indicator_id], month, tail)
                    reason = "raised again" if again else "updated"
                    alert._change_reason = f"{reason} by detection run {run.pk}"  # type: ignore[attr-defined]
                    alert.save()
                if again:
                    raised.append(alert.pk)
                else:
                    kept += 1
    withdrawn = 0
    for key, alert in existing.items():
        if key in seen or alert.withdrawn:
            continue
        alert.withdrawn, alert.withdrawn_at, alert.run = True, now, run
        alert._change_reason = f"withdrawn by detection run {run.pk}: the move is gone"  # type: ignore[attr-defined]
        alert.save()
        withdrawn += 1
    return raised, kept, withdrawn


def month_lock(month: Month) -> None:
    """Hold the month's lock to the end of the transaction (PostgreSQL; SQLite has one
    writer at a time already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DETECTION_MONTHS, month.index])


def _digest_when_all_ended(run: DetectionRun) -> None:
    """The digest of an import once every run it asked for has ended (the last to end
    sends it; the outbox key makes it once per import and person), or of a command's run."""
    if run.import_batch_id is None:
        ids = list(run.detail.get("raised_ids", [])) if run.status == DetectionStatus.DONE else []
        alerts_digest_send(alert_ids=ids, key=f"alerts:run:{run.pk}", runs=[run])
        return
    with transaction.atomic():
        ImportBatch.objects.select_for_update().filter(pk=run.import_batch_id).first()
        runs = list(DetectionRun.objects.filter(import_batch_id=run.import_batch_id, notify=True))
        if any(r.status not in (DetectionStatus.DONE, DetectionStatus.FAILED) for r in runs):
            return
        ids = [pk for r in runs if r.status == DetectionStatus.DONE for pk in r.detail.get("raised_ids", [])]
        alerts_digest_send(alert_ids=ids, key=f"alerts:import:{run.import_batch_id}", runs=runs)
