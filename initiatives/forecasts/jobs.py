"""A forecast run's job, and asking for runs.

A run is a row (`ForecastRun`) and its task (`initiatives.tasks.run_forecast`), one per KPI,
so the workers of the `forecasts` queue share a month's refit; `job_run` claims it, counts
attempts and ends it (`projectoffice/jobs.py`). The command runs the same job in its own
process, so the command and the task store the same run.

A forecast (docs/forecasting.md):
1. reads the tree and each node's monthly series as committed at `as_of` (`series.py`);
2. adds a hidden "rest of region" series where a region's own figure is not the sum of
   its districts', so the tree adds up exactly;
3. takes the errors of a backtest made on data no newer than its own (one of this origin
   or the three before, as of no later than `as_of`), or makes one first: then every
   number of the run depends only on what was committed at `as_of`;
4. fits every node, reconciles the tree three ways and keeps the way whose backtest
   errors were smallest (nation and regions, horizons 1-12);
5. gives each node's month its 80% and 95% ranges: its forecast plus or minus the
   conformal quantile of the backtest's absolute errors pooled by level and horizon
   (each error divided by its series' seasonal-naive scale, and multiplied back by this
   node's), lower bounds below 0 made 0; and the year-end the same way from the errors
   of the rest-of-year total;
6. stores it all with the job's end, in one transaction: a run that fails stores nothing
   and the previous one stays what readers read.

The model libraries are imported inside the functions that fit, never when this module
is imported: tasks are looked up by a web process that queues one.
"""

import datetime
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from types import ModuleType
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models import Value as Constant
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from projectoffice.job_locks import FORECAST_JOBS, job_lock
from projectoffice.jobs import JobFailed, failure_in_words, job_end, job_progress, job_run, jobs_abandoned_end
from projectoffice.numbers import rounded
from projectoffice.queueing import queue_on_commit, send

from ..models import ImportBatch, Indicator, KpiRole
from ..periods import Month
from ..selectors.kpi_roles import headline_first
from .conformal import halfwidths, pooled
from .models import (
    BacktestErrors,
    BacktestScore,
    ForecastKind,
    ForecastPoint,
    ForecastRun,
    ForecastStatus,
    ForecastTrigger,
    ForecastYearEnd,
)
from .series import TreeSeries, latest_complete_month, tree_series

logger = logging.getLogger(__name__)

HORIZON = 12
# Rolling origins a backtest refits at (the command's default too).
BACKTEST_ORIGINS = 12
# A backtest older than this many months is not reused: a new one is made first.
BACKTEST_FRESH_MONTHS = 3
# A backtest origin needs this many months before it to fit a seasonal model on.
SHORTEST_FIT = 24
# The year-end's error distribution kept for the probability (enough for two decimals).
KEPT_ERRORS = 2000
MAX_ATTEMPTS = 3


def _fitting() -> ModuleType:
    from . import fitting

    return fitting


# --- Asking for runs


def forecast_kpis(codes: Iterable[str] | None = None) -> list[Indicator]:
    """The KPIs forecast (`Indicator.objects.forecast()`), or those of `codes` among them;
    an unknown or unforecast code is refused by name."""
    kpis = list(Indicator.objects.forecast())
    if not codes:
        # The KPIs pages open on first (the headline, then the cards), so a first run of
        # them all shows its most read forecasts soonest.
        return headline_first(kpis)
    by_code = {k.code: k for k in kpis}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise ValueError(_("Not forecast (unknown, or not a monthly count): %(codes)s") % {"codes": ", ".join(unknown)})
    return [by_code[c] for c in codes]


def forecast_runs_request(
    *,
    indicators: list[Indicator],
    trigger: str,
    kind: str = ForecastKind.FORECAST,
    origin: Month | None = None,
    as_of: datetime.datetime | None = None,
    origins: int = BACKTEST_ORIGINS,
    user: Any = None,
    import_batch: ImportBatch | None = None,
    queue: bool = True,
) -> list[ForecastRun]:
    """One waiting run per KPI (`origin`: default the latest month whose national figure
    is complete as of `as_of`, or now), each queued for a worker after commit unless
    `queue` is False (the command runs them itself). After an import (debounced): a KPI
    with a run still waiting for a worker gets no second one, its waiting run reads the
    newest values when it starts."""
    today = timezone.localdate()
    runs = []
    with transaction.atomic():
        for indicator in indicators:
            if trigger == ForecastTrigger.IMPORT:
                waiting = ForecastRun.objects.filter(
                    indicator=indicator, kind=kind, trigger=trigger, status=ForecastStatus.WAITING
                ).first()
                if waiting is not None:
                    start = latest_complete_month(indicator, timezone.now(), today)
                    # Only while it still waits: a run a worker has taken keeps its origin.
                    still = ForecastRun.objects.filter(pk=waiting.pk, status=ForecastStatus.WAITING).update(
                        origin=(start or Month.from_date(waiting.origin)).first_day,
                        import_batch=import_batch,
                        updated_at=timezone.now(),
                    )
                    if still:
                        continue
            start = origin or latest_complete_month(indicator, as_of or timezone.now(), today)
            if start is None:
                continue  # no complete national month yet: nothing to forecast from
            run = ForecastRun.objects.create(
                indicator=indicator,
                kind=kind,
                origin=start.first_day,
                as_of=as_of,
                replay=as_of is not None,
                origins=origins if kind == ForecastKind.BACKTEST else 0,
                trigger=trigger,
                requested_by=user if getattr(user, "pk", None) else None,
                import_batch=import_batch,
            )
            if queue:
                queue_on_commit("initiatives.tasks.run_forecast", run.pk)
            runs.append(run)
    return runs


def forecasts_after_import_later(*, batch: ImportBatch, changed: Iterable[int]) -> None:
    """After the import's transaction commits, have the worker refit the forecast KPIs it
    changed (when `FORECASTS_AFTER_IMPORT`: a worker is there to do it)."""
    if not settings.FORECASTS_AFTER_IMPORT:
        return
    ids = set(changed) & set(Indicator.objects.forecast().values_list("pk", flat=True))
    if ids:
        batch_id = batch.pk
        transaction.on_commit(lambda: send("initiatives.tasks.forecast_after_import", batch_id, sorted(ids)))


def forecast_runs_orphaned(limit: int = 50) -> list[tuple[int, int]]:
    from projectoffice.jobs import jobs_orphaned

    return jobs_orphaned(ForecastRun.objects.all(), kind=FORECAST_JOBS, limit=limit)


def forecast_runs_to_requeue(limit: int = 50) -> list[int]:
    from projectoffice.jobs import jobs_to_requeue

    # The command runs its own runs one after another: they wait for it, not for a worker.
    waiting = ForecastRun.objects.exclude(trigger=ForecastTrigger.COMMAND)
    return jobs_to_requeue(waiting, waiting_longer_than=datetime.timedelta(minutes=5), limit=limit)


def forecast_runs_abandoned_end() -> int:
    """Runs a command asked for and never finished (the command was stopped: a command's
    runs wait for it, not for a worker), unless a live process holds one: ended failed,
    so no page says they are under way; how many."""
    unfinished = ForecastRun.objects.filter(
        trigger=ForecastTrigger.COMMAND, status__in=[ForecastStatus.WAITING, ForecastStatus.RUNNING]
    )
    return jobs_abandoned_end(unfinished, kind=FORECAST_JOBS)


# --- The job


def forecast_job_run(*, run_id: int) -> ForecastRun:
    """Run one forecast or backtest to its end; safe to call twice, at once too."""
    job_run(
        ForecastRun,
        run_id,
        _run,
        lock=FORECAST_JOBS,
        fail_fields=failure_in_words,
        max_attempts=MAX_ATTEMPTS,
        claim_fields={
            "stage": "reading",
            "progress_done": 0,
            "progress_total": 0,
            "reason": "",
            # Without a moment asked for, the run reads what is committed when it starts.
            "as_of": Coalesce(F("as_of"), Constant(timezone.now())),
        },
    )
    return ForecastRun.objects.get(pk=run_id)


def _run(run: ForecastRun) -> None:
    assert run.as_of is not None  # set when claimed
    data = tree_series(run.indicator, Month.from_date(run.origin), run.as_of)
    if data is None:
        raise JobFailed(stage="", reason=_("No approved value of this KPI up to the origin."))
    if run.kind == ForecastKind.BACKTEST:
        made = _backtest(run, data, lambda done, total: job_progress(run, "backtest", done, total))
        with transaction.atomic():
            made.store()
            job_end(run, stage="", series=len(data.keys), detail=made.detail)
        return
    _forecast(run, data)


class _Tree:
    """The fitting core's tree and matrix of a run, with the hidden rest series added."""

    def __init__(self, data: TreeSeries) -> None:
        fitting = _fitting()
        import numpy as np

        y = np.array([[math.nan if v is None else v for v in row] for row in data.values], dtype=float)
        tree = fitting.Tree(keys=data.keys, parent=data.parent, level=data.level, hidden=[False] * len(data.keys))
        self.tree, self.y = fitting.with_rest_series(tree, y)
        self.shown = [i for i, hidden in enumerate(self.tree.hidden) if not hidden]


# --- Pools of errors, the same rule for the forecast and the backtest's coverage


Pool = dict[tuple[str, int, int, bool], list[float]]  # conformal.Pool, built here


def _choose(pool: Pool) -> str:
    """The reconciliation whose backtest errors were smallest at the nation and regions."""
    fitting = _fitting()
    means: dict[str, float] = {}
    for method in fitting.METHODS:
        levels = []
        for level in (0, 1):
            found = [abs(e) for h in range(1, HORIZON + 1) for e in pool.get((method, level, h, False), [])]
            if found:
                levels.append(sum(found) / len(found))
        if levels:
            means[method] = sum(levels) / len(levels)
    return str(fitting.choose_method(means)) if means else str(fitting.METHODS[0])


def _pool_of(calibration: ForecastRun) -> Pool:
    pool: Pool = defaultdict(list)
    for method, level, horizon, cumulative, errors in (
        BacktestErrors.objects.filter(run=calibration)
        .order_by("origin", "level", "horizon", "method", "cumulative")
        .values_list("method", "level", "horizon", "cumulative", "errors")
    ):
        pool[(method, level, horizon, cumulative)].extend(errors)
    return pool


# --- The backtest


def _months_left(month_after_origin: Month) -> int:
    """Months from the one after the origin to December of its year."""
    return 12 - month_after_origin.month + 1


def _backtest(run: ForecastRun, data: TreeSeries, progress: Callable[[int, int], None]) -> "_Backtest":
    """Refit at each of `run.origins` months before the origin, store the errors and the
    scores, and return what the run's detail keeps (year-end errors by way)."""
    import numpy as np

    fitting = _fitting()
    built = _Tree(data)
    tree, y = built.tree, built.y
    last = len(data.months) - 1
    origins = [last - k for k in range(run.origins, 0, -1) if last - k >= SHORTEST_FIT - 1]
    if not origins:
        raise JobFailed(
            stage="",
            reason=_("Too short to backtest: %(n)s months, at least %(least)s are needed before the first origin.")
            % {"n": len(data.months), "least": SHORTEST_FIT},
        )
    progress(0, len(origins))
    results = fitting.backtest_tree(
        y, tree, origins=origins, last=last, horizon=HORIZON, progress=lambda k: progress(k, len(origins))
    )
    methods = [*fitting.METHODS, fitting.BENCHMARK]
    levels = sorted({tree.level[i] for i in built.shown})
    by_level = {level: [i for i in built.shown if tree.level[i] == level] for level in levels}
    pool: Pool = defaultdict(list)
    # Errors known by each origin, for the coverage of later origins: (actual index, key, errors)
    known: list[tuple[int, tuple[str, int, int, bool], list[float]]] = []
    errors_rows, scores = [], []
    year_end: dict[int, dict[str, list[float]]] = {level: defaultdict(list) for level in levels}
    for result in results:
        b = result.origin
        month = data.months[b]
        # Errors whose actual is known by this origin give this origin's ranges.
        pool = defaultdict(list)
        for actual, key, found in known:
            if actual <= b:
                pool[key].extend(found)
        for level, nodes in by_level.items():
            idx = np.array(nodes, dtype=int)
            scale = result.scale[idx]
            bench = result.errors[fitting.BENCHMARK][idx]
            for method in methods:
                errors = result.errors[method][idx]
                cumulative = result.cumulative[method][idx]
                for h in range(1, HORIZON + 1):
                    e, seen = errors[:, h - 1], ~np.isnan(errors[:, h - 1])
                    if b + h > last or not seen.any():
                        continue
                    scaled = (e[seen] / scale[seen]).tolist()
                    width = halfwidths(pool, method, level, h, False)
                    inside_80 = inside_95 = ranged = 0
                    if width is not None:
                        ranged = len(scaled)
                        inside_80 = sum(1 for s in scaled if abs(s) <= width[0])
                        inside_95 = sum(1 for s in scaled if abs(s) <= width[1])
                    scores.append(
                        BacktestScore(
                            run=run,
                            indicator=run.indicator,
                            origin=month.first_day,
                            level=level,
                            horizon=h,
                            method=method,
                            count=len(scaled),
                            abs_error_sum=float(np.abs(e[seen]).sum()),
                            benchmark_abs_error_sum=float(np.abs(np.nan_to_num(bench[:, h - 1][seen])).sum()),
                            scaled_abs_error_sum=float(np.abs(np.array(scaled)).sum()),
                            error_sum=float(e[seen].sum()),
                            ranged=ranged,
                            inside_80=inside_80,
                            inside_95=inside_95,
                        )
                    )
                    rows = [(False, scaled)]
                    c = cumulative[:, h - 1]
                    c_seen = ~np.isnan(c)
                    if c_seen.any():
                        rows.append((True, (c[c_seen] / scale[c_seen]).tolist()))
                    for is_cumulative, found in rows:
                        errors_rows.append(
                            BacktestErrors(
                                run=run,
                                origin=month.first_day,
                                actual=month.plus(h).first_day,
                                level=level,
                                horizon=h,
                                method=method,
                                cumulative=is_cumulative,
                                errors=found,
                            )
                        )
                        known.append((b + h, (method, level, h, is_cumulative), found))
            _year_end_errors(year_end[level], result, nodes, y, data.months, last, methods)
    detail = {
        "origins": [data.months[o].first_day.isoformat() for o in origins],
        "method_version": fitting.METHOD_VERSION,
        "year_end": {
            str(level): {
                **{way: (sum(found) / len(found) if found else None) for way, found in ways.items()},
                "count": len(ways.get("estimate", [])),
            }
            for level, ways in year_end.items()
        },
    }
    return _Backtest(errors_rows, scores, detail)


class _Backtest:
    """What a backtest made, stored in one short transaction after the fitting."""

    def __init__(self, errors: list[BacktestErrors], scores: list[BacktestScore], detail: dict[str, Any]) -> None:
        self.errors, self.scores, self.detail = errors, scores, detail

    def store(self) -> None:
        BacktestErrors.objects.bulk_create(self.errors, batch_size=2000)
        BacktestScore.objects.bulk_create(self.scores, batch_size=2000)


def _year_end_errors(
    into: dict[str, list[float]],
    result: Any,
    nodes: list[int],
    y: Any,
    months: list[Month],
    last: int,
    methods: list[str],
) -> None:
    """How each way of telling the rest of the year did at this backtest origin, on the
    months of that rest known by the last month read (all of them once the year is over):
    each forecast's sum of those months, and the summary's estimate rule's (this year's
    months so far scaled by last year's share of them, so each coming month is last
    year's same month times that ratio; linearly where last year is not usable), both
    against the actual sum. Compared on the same node-origins only: an origin in December
    has no months of its year so far, so neither way is scored there."""
    import numpy as np

    b = result.origin
    after = months[b].plus(1)
    so_far = after.month - 1  # months of the year up to the origin
    known = min(_months_left(after), last - b)
    january = b - so_far + 1
    if not so_far or known < 1 or january - 12 < 0:
        return
    for i in nodes:
        row = y[i]
        coming = row[b + 1 : b + 1 + known]
        this_year, last_year = row[january : b + 1], row[january - 12 : january - 12 + so_far + known]
        if np.isnan(coming).any() or np.isnan(this_year).any():
            continue
        actual, ytd = float(coming.sum()), float(this_year.sum())
        same = float(last_year[:so_far].sum())
        if not np.isnan(last_year).any() and same > 0:
            estimate = ytd / same * float(last_year[so_far:].sum())
        else:
            estimate = ytd / so_far * known
        into["estimate"].append(abs(actual - estimate))
        for method in methods:
            into[method].append(abs(actual - float(result.points[method][i, :known].sum())))


# --- The forecast


def _calibration(run: ForecastRun, data: TreeSeries) -> ForecastRun:
    """A finished backtest of this KPI no newer than the run's data and at most
    BACKTEST_FRESH_MONTHS older than its origin; else one made now, on the run's data."""
    assert run.as_of is not None
    origin = Month.from_date(run.origin)
    found = (
        ForecastRun.objects.filter(
            indicator=run.indicator,
            kind=ForecastKind.BACKTEST,
            status=ForecastStatus.DONE,
            origin__lte=origin.first_day,
            origin__gt=origin.plus(-BACKTEST_FRESH_MONTHS).first_day,
            as_of__lte=run.as_of,
            # Made by the methods of today: after a method changes, a new backtest first.
            detail__method_version=_fitting().METHOD_VERSION,
        )
        .order_by("-origin", "-as_of", "-pk")
        .first()
    )
    if found is not None:
        return found
    now = timezone.now()
    backtest = ForecastRun.objects.create(
        indicator=run.indicator,
        kind=ForecastKind.BACKTEST,
        status=ForecastStatus.RUNNING,
        origin=run.origin,
        as_of=run.as_of,
        origins=BACKTEST_ORIGINS,
        trigger=ForecastTrigger.FORECAST,
        requested_by=run.requested_by,
        started_at=now,
        attempts=1,
    )
    try:
        # Its own lock, held while it runs: the takeover never hands it to another worker.
        with job_lock(FORECAST_JOBS, backtest.pk):
            made = _backtest(backtest, data, lambda done, total: job_progress(run, "backtest", done, total))
            with transaction.atomic():
                made.store()
                job_end(backtest, stage="", series=len(data.keys), detail=made.detail)
    except JobFailed as exc:
        job_end(backtest, failed=True, **exc.fields)
        raise
    except Exception:
        job_end(backtest, failed=True, stage="", reason=_("Stopped with the forecast it was made for."))
        raise
    backtest.refresh_from_db()
    return backtest


def _two(number: float) -> Decimal:
    return rounded(Decimal(repr(float(number))), 2)


def _forecast(run: ForecastRun, data: TreeSeries) -> None:
    import numpy as np

    fitting = _fitting()
    built = _Tree(data)
    calibration = _calibration(run, data)
    job_progress(run, "fitting", 0, 1)
    made = fitting.forecast_tree(built.y, built.tree, horizon=HORIZON)
    pool = _pool_of(calibration)
    method = _choose(pool)
    tree, point = built.tree, made.points[method]
    n = len(tree.keys)
    width_80, width_95 = np.zeros((n, HORIZON)), np.zeros((n, HORIZON))
    for level in sorted(set(tree.level)):
        for h in range(1, HORIZON + 1):
            widths = halfwidths(pool, method, level, h, False)
            if widths is None:
                raise JobFailed(
                    stage="", reason=_("Too few backtest errors for a 95% range; load a longer history first.")
                )
            for i in range(n):
                if tree.level[i] == level:
                    width_80[i, h - 1], width_95[i, h - 1] = widths
    ranges = fitting.ranges_from(point, made.scale, width_80, width_95)
    origin = Month.from_date(run.origin)
    after = origin.plus(1)
    left = _months_left(after)
    points, ends = [], []
    for i in built.shown:
        region_id = data.region_ids[i]
        level = tree.level[i]
        for h in range(1, HORIZON + 1):
            points.append(
                ForecastPoint(
                    run=run,
                    region_id=region_id,
                    level=level,
                    period=origin.plus(h).first_day,
                    horizon=h,
                    # An aggregate below 0 can only come of a negative hidden rest: shown as 0.
                    value=_two(max(0.0, point[i, h - 1])),
                    lower_80=_two(ranges.lower_80[i, h - 1]),
                    upper_80=_two(ranges.upper_80[i, h - 1]),
                    lower_95=_two(ranges.lower_95[i, h - 1]),
                    upper_95=_two(ranges.upper_95[i, h - 1]),
                    benchmark=_two(made.points[fitting.BENCHMARK][i, h - 1]),
                )
            )
        end = _year_end(pool, method, level, i, built.y, made, point, data.months, left)
        if end is not None:
            ends.append(ForecastYearEnd(run=run, region_id=region_id, level=level, year=after.year, **end))
    with transaction.atomic():
        job_progress(run, "storing", 0, 1)
        ForecastPoint.objects.bulk_create(points, batch_size=2000)
        ForecastYearEnd.objects.bulk_create(ends, batch_size=500)
        job_end(
            run,
            stage="",
            calibration=calibration,
            method=method,
            series=len(built.shown),
            detail={
                "models": dict(sorted(_count(made.model[i] for i in built.shown).items())),
                "hidden_series": len(tree.keys) - len(built.shown),
            },
        )
        if run.indicator.has_role(KpiRole.OUTCOME):
            # The villages' impacts are forecasts of the same offences at their decisions.
            transaction.on_commit(lambda: send("initiatives.tasks.refresh_campaign_impacts"))


def _kept(errors: list[float]) -> list[float]:
    """The year-end's error distribution as kept for the probability: all of it, or
    KEPT_ERRORS of its quantiles (sorted, evenly spaced), the same on every run."""
    ordered = sorted(errors)
    if len(ordered) <= KEPT_ERRORS:
        return ordered
    step = (len(ordered) - 1) / (KEPT_ERRORS - 1)
    return [ordered[int(k * step + 0.5)] for k in range(KEPT_ERRORS)]


def _count(words: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for word in words:
        found[word] += 1
    return found


def _year_end(
    pool: Pool, method: str, level: int, i: int, y: Any, made: Any, point: Any, months: list[Month], left: int
) -> dict[str, Any] | None:
    """A node's year-end: the actual to the origin plus the forecasts to December, with
    ranges from the errors of the same rest-of-year total; None when a month of the year
    to the origin is incomplete."""
    import numpy as np

    origin = months[-1]
    done = 12 - left  # months of the year read (0 when the origin is December)
    if done > len(months):
        return None
    so_far = y[i, len(months) - done :] if done else np.array([])
    if done and np.isnan(so_far).any():
        return None
    actual = float(so_far.sum()) if done else 0.0
    rest = float(point[i, :left].sum())
    value = actual + rest
    errors = pooled(pool, method, level, left, True)
    widths = halfwidths(pool, method, level, left, True)
    if widths is None:
        return None
    scale = float(made.scale[i])
    assert origin.plus(left).month == 12
    return {
        "months_left": left,
        "actual_to_origin": _two(actual),
        "value": _two(value),
        "lower_80": _two(max(actual, value - widths[0] * scale)),
        "upper_80": _two(value + widths[0] * scale),
        "lower_95": _two(max(actual, value - widths[1] * scale)),
        "upper_95": _two(value + widths[1] * scale),
        "benchmark": _two(actual + float(made.points[_fitting().BENCHMARK][i, :left].sum())),
        "errors": _kept(errors),
        "scale": scale,
    }
