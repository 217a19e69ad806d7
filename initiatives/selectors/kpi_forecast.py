"""A KPI's stored forecast as the API reads it (`/api/v1/kpis/{code}/forecast/`), and the
forecast a KPI's summary shows beside its year-end estimate, with the status it sets.

Which run a summary shows: the latest finished forecast of the KPI whose year-end is the
year of the span's end (its origin from the December before to the November of that
year); for a summary `as_of` a moment, only runs that read values as committed by then.
The summary's status follows the forecast's probability of meeting the target (green
from `GREEN_FROM`, amber from `AMBER_FROM`, red below) where the KPI's backtest found the
forecast's year-end closer than the estimate's rule, at the summary node's level, and
the year's figure is still an estimate; elsewhere it keeps the estimate's rule
(`engine.summary.traffic_light`). Releases freeze the estimate's rule
(`release_figures_compute` reads no run), so a run never changes what one froze.

Nothing here imports a model library: what is read was stored by a run's job.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from regions.models import Region

from ..engine.summary import Status, Summary
from ..forecasts.models import ForecastRun, ForecastStatus, ForecastYearEnd
from ..forecasts.selectors import (
    Accuracy,
    NodeForecast,
    accuracy_of,
    forecast_runs,
    level_of,
    probability_meets_target,
    year_end_beats_estimate,
)
from ..models import Indicator, Target
from ..periods import Month

GREEN_FROM = 0.7
AMBER_FROM = 0.4


class StatusMethod:
    """How a summary's `status` was decided."""

    ESTIMATE = "estimate"
    FORECAST_PROBABILITY = "forecast_probability"


def target_of(indicator: Indicator, region: Region | None, year: int) -> Decimal | None:
    """The node's target for the year (None: none set)."""
    found = Target.objects.filter(indicator=indicator, region=region, year=year).values_list("target_value", flat=True)
    return next(iter(found), None)


@dataclass(frozen=True)
class KpiForecast:
    """One node's forecast as the API answers it: the stored months and year-end, the
    year's target and the probability of meeting it, and the track record at its level."""

    node: NodeForecast
    target: Decimal | None
    probability: float | None
    accuracy: list[Accuracy]


def kpi_forecast(node: NodeForecast) -> KpiForecast:
    """The target, probability and track record beside a node's stored forecast."""
    run, year_end = node.run, node.year_end
    target = target_of(run.indicator, node.region, year_end.year) if year_end is not None else None
    probability = probability_meets_target(year_end, run.indicator.direction, target) if year_end else None
    return KpiForecast(node, target, probability, accuracy_of(run, node.level))


@dataclass(frozen=True)
class SummaryForecast:
    """The forecast a summary shows: its run's year-end for the summary's node."""

    run: ForecastRun
    year_end: ForecastYearEnd
    probability: float | None
    # Whether the KPI's backtest found this year-end closer than the estimate's rule.
    beats_estimate: bool


def summary_forecast(summary: Summary) -> SummaryForecast | None:
    """The forecast of the summary's node and year (module docstring), or None: no
    finished run for that year, or none for that node."""
    year = summary.span.end.year
    runs = forecast_runs(summary.indicator).filter(
        status=ForecastStatus.DONE,
        replay=False,
        origin__gte=Month(year - 1, 12).first_day,
        origin__lte=Month(year, 11).first_day,
    )
    if summary.as_of is not None:
        # A run finished after the moment was not there to be read then.
        runs = runs.filter(as_of__lte=summary.as_of, finished_at__lte=summary.as_of)
    year_end = (
        ForecastYearEnd.objects.filter(run__in=runs[:1], region=summary.region)
        .select_related("run__calibration")
        .first()
    )
    if year_end is None:
        return None
    run = year_end.run
    target = summary.target.target_value if summary.target is not None else None
    return SummaryForecast(
        run,
        year_end,
        probability_meets_target(year_end, summary.indicator.direction, target),
        year_end_beats_estimate(run, level_of(summary.region)),
    )


def summary_status(summary: Summary, forecast: SummaryForecast | None) -> tuple[str, str]:
    """(status, how it was decided): by the forecast's probability where it has the
    better record and the year is still estimated, else the summary's own."""
    estimated = summary.estimate is not None and summary.estimate.is_estimate
    if forecast is None or not forecast.beats_estimate or forecast.probability is None or not estimated:
        return summary.status, StatusMethod.ESTIMATE
    p = forecast.probability
    status = Status.ON_TRACK if p >= GREEN_FROM else Status.AT_RISK if p >= AMBER_FROM else Status.OFF_TRACK
    return status, StatusMethod.FORECAST_PROBABILITY


def made_at(run: ForecastRun) -> datetime.datetime:
    """When a run started (its job's start; a run stored without one, when it was asked)."""
    return run.started_at or run.created_at
