"""Stored forecast runs as the API and the pages read them. No model library is imported
here (nor anywhere a web request goes): what is read was stored by a run's job."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from projectoffice.numbers import rounded
from regions.kato import kato_prefix
from regions.models import Region

from ..models import Direction, Indicator
from ..periods import Month
from .models import (
    BacktestScore,
    ForecastKind,
    ForecastLevel,
    ForecastPoint,
    ForecastRun,
    ForecastStatus,
    ForecastYearEnd,
)

HORIZONS = range(1, 13)
# The year-end's way is judged on at least this many node-origins of the backtest (the
# nation has one per origin), else the summary keeps the estimate's rule.
YEAR_END_LEAST = 6
# The track record people read: forecasts one to three months ahead.
NEAR_HORIZONS = (1, 2, 3)


def level_of(region: Region | None) -> int:
    """The forecasting level of a node: the nation, a first-level region, a district."""
    if region is None:
        return ForecastLevel.NATION
    return ForecastLevel.REGION if region.level == 1 else ForecastLevel.DISTRICT


def forecast_runs(indicator: Indicator, *, origin: Month | None = None) -> QuerySet[ForecastRun]:
    """A KPI's forecast runs, newest first (every status: the admin and the API's list)."""
    runs = ForecastRun.objects.filter(indicator=indicator, kind=ForecastKind.FORECAST)
    if origin is not None:
        runs = runs.filter(origin=origin.first_day)
    return runs.order_by("-origin", "-created_at", "-pk")


def forecast_run_for(
    indicator: Indicator, *, origin: Month | None = None, run: int | None = None
) -> ForecastRun | None:
    """The run a reader means: `run` when given (a finished forecast of this KPI), else
    the latest finished run of `origin`, else that of the latest origin."""
    done = forecast_runs(indicator, origin=origin).filter(status=ForecastStatus.DONE)
    if run is not None:
        done = done.filter(pk=run)
    else:
        done = done.filter(replay=False)
    return done.select_related("indicator").first()


@dataclass
class NodeForecast:
    """One node's stored forecast: 12 months (by horizon) and its year-end."""

    run: ForecastRun
    region: Region | None
    level: int
    months: list[ForecastPoint]
    year_end: ForecastYearEnd | None


def node_forecast(run: ForecastRun, region: Region | None) -> NodeForecast | None:
    """The forecast of `region` (None: the nation) in `run`; None when the run has none
    for it (a node without data in the origin month)."""
    points = list(ForecastPoint.objects.filter(run=run, region=region).order_by("horizon"))
    if not points:
        return None
    year_end = ForecastYearEnd.objects.filter(run=run, region=region).first()
    return NodeForecast(run, region, points[0].level, points, year_end)


def tree_forecast(run: ForecastRun, region: Region | None) -> list[NodeForecast]:
    """The forecast of `region` and of every node below it, nation first, then by KATO."""
    points = ForecastPoint.objects.filter(run=run).select_related("region")
    year_ends = ForecastYearEnd.objects.filter(run=run)
    if region is not None:
        below = {"region__kato__startswith": kato_prefix(region.kato), "region__level__gte": region.level}
        points, year_ends = points.filter(**below), year_ends.filter(**below)
    by_node: dict[int | None, list[ForecastPoint]] = defaultdict(list)
    for point in points.order_by("level", "region__kato", "horizon"):
        by_node[point.region_id].append(point)
    ends = {y.region_id: y for y in year_ends}
    return [
        NodeForecast(run, found[0].region, found[0].level, found, ends.get(node)) for node, found in by_node.items()
    ]


def probability_meets_target(year_end: ForecastYearEnd, direction: str, target: Decimal | None) -> float | None:
    """P(the year ends at most the target) for a KPI where lower is better, P(at least)
    where higher is: the share of the backtest's rest-of-year errors that, added to the
    forecast, land on the target's good side. None without a target or errors."""
    if target is None or not year_end.errors:
        return None
    value, scale, threshold = float(year_end.value), year_end.scale, float(target)
    # The year cannot end below what is counted already.
    floor = float(year_end.actual_to_origin)
    outcomes = [max(floor, value + float(e) * scale) for e in year_end.errors]
    if direction == Direction.LOWER_IS_BETTER:
        good = sum(1 for y in outcomes if y <= threshold)
    else:
        good = sum(1 for y in outcomes if y >= threshold)
    return good / len(outcomes)


@dataclass(frozen=True)
class Accuracy:
    """How forecasts `horizon` months ahead did at backtest origins, summed exactly."""

    horizon: int
    relative_mae: float | None  # MAE / seasonal naive's MAE on the same months; None when that is 0
    mase: float | None
    bias: float | None  # mean of actual minus forecast
    coverage_80: float | None
    coverage_95: float | None
    origins: int
    count: int


def _accuracy(horizon: int, scores: list[BacktestScore]) -> Accuracy:
    count = sum(s.count for s in scores)
    benchmark = sum(s.benchmark_abs_error_sum for s in scores)
    ranged = sum(s.ranged for s in scores)
    return Accuracy(
        horizon=horizon,
        relative_mae=sum(s.abs_error_sum for s in scores) / benchmark if benchmark else None,
        mase=sum(s.scaled_abs_error_sum for s in scores) / count if count else None,
        bias=sum(s.error_sum for s in scores) / count if count else None,
        coverage_80=sum(s.inside_80 for s in scores) / ranged if ranged else None,
        coverage_95=sum(s.inside_95 for s in scores) / ranged if ranged else None,
        origins=len({s.origin for s in scores}),
        count=count,
    )


def accuracy_of(run: ForecastRun, level: int, *, method: str | None = None) -> list[Accuracy]:
    """12 entries, horizons 1-12: how `method` (default: the run's own) did in the backtest
    the run was calibrated on, at `level`, over origins no later than the run's origin
    minus the horizon (so only months the run could have known)."""
    by_horizon: dict[int, list[BacktestScore]] = defaultdict(list)
    if run.calibration_id is not None:
        origin = Month.from_date(run.origin)
        for score in BacktestScore.objects.filter(
            run_id=run.calibration_id, level=level, method=method or run.method
        ).order_by("origin", "horizon"):
            if Month.from_date(score.origin).plus(score.horizon).index <= origin.index:
                by_horizon[score.horizon].append(score)
    return [_accuracy(h, by_horizon.get(h, [])) for h in HORIZONS]


@dataclass(frozen=True)
class TrackRecord:
    """A KPI's record at one level in words' figures: forecasts 1-3 months ahead against
    seasonal naive, and how often the ranges held the actual."""

    indicator: Indicator
    level: int
    run: ForecastRun
    near: Accuracy  # horizons 1-3 summed
    horizons: list[Accuracy]
    first_origin: datetime.date | None
    last_origin: datetime.date | None

    @property
    def closer_percent(self) -> Decimal | None:
        """How much closer than seasonal naive, in whole % (negative: further)."""
        if self.near.relative_mae is None:
            return None
        return rounded(Decimal(repr((1 - self.near.relative_mae) * 100)), 0)

    @property
    def worse_than_benchmark(self) -> bool:
        return self.near.relative_mae is not None and self.near.relative_mae > 1


def track_record(run: ForecastRun, level: int) -> TrackRecord:
    """The record of the method `run` uses, at `level`, from the backtest it was calibrated on."""
    horizons = accuracy_of(run, level)
    scores = (
        list(
            BacktestScore.objects.filter(
                run_id=run.calibration_id, level=level, method=run.method, horizon__in=NEAR_HORIZONS
            )
        )
        if run.calibration_id is not None
        else []
    )
    origin = Month.from_date(run.origin)
    scores = [s for s in scores if Month.from_date(s.origin).plus(s.horizon).index <= origin.index]
    near = _accuracy(0, scores)
    origins = sorted({s.origin for s in scores})
    return TrackRecord(
        run.indicator, level, run, near, horizons, origins[0] if origins else None, origins[-1] if origins else None
    )


def year_end_beats_estimate(run: ForecastRun, level: int) -> bool:
    """Whether the run's backtest found its year-end closer to the actual than the
    summary's estimate rule (year to date scaled by last year's shape), at `level`:
    where it did, the summary's status follows the forecast's probability."""
    if run.calibration is None:
        return False
    found = (run.calibration.detail or {}).get("year_end", {}).get(str(level), {})
    forecast, estimate = found.get(run.method), found.get("estimate")
    enough = found.get("count", 0) >= YEAR_END_LEAST
    return enough and forecast is not None and estimate is not None and forecast < estimate


def track_records(runs: list[ForecastRun], levels: tuple[int, ...]) -> dict[tuple[int, int], TrackRecord]:
    """`track_record` of every run at every level, by (run id, level), in one read of the
    scores whatever the number of runs (a page of every KPI's record)."""
    calibrated = [r for r in runs if r.calibration_id is not None]
    by_key: dict[tuple[int, int, int], list[BacktestScore]] = defaultdict(list)
    if calibrated:
        wanted = {(r.calibration_id, r.method) for r in calibrated}
        scores = BacktestScore.objects.filter(
            run_id__in=[r.calibration_id for r in calibrated], level__in=levels
        ).order_by("origin", "horizon")
        for score in scores:
            if (score.run_id, score.method) in wanted:
                by_key[(score.run_id, score.level, score.horizon)].append(score)
    found = {}
    for run in runs:
        origin = Month.from_date(run.origin)
        for level in levels:
            horizons = []
            for horizon in HORIZONS:
                known = [
                    s
                    for s in by_key.get((run.calibration_id or 0, level, horizon), [])
                    if Month.from_date(s.origin).plus(s.horizon).index <= origin.index
                ]
                horizons.append((horizon, known))
            near_scores = [s for h, known in horizons if h in NEAR_HORIZONS for s in known]
            origins = sorted({s.origin for s in near_scores})
            found[(run.pk, level)] = TrackRecord(
                run.indicator,
                level,
                run,
                _accuracy(0, near_scores),
                [_accuracy(h, known) for h, known in horizons],
                origins[0] if origins else None,
                origins[-1] if origins else None,
            )
    return found
