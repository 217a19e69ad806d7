"""The forecasting centre's stored runs shaped for the pages: the dashboard's fan and
headline (what a run says of one KPI at one node), and the track record page (every
forecast KPI's record at every level the reader may see).

Everything is read from runs a run's job stored (`initiatives.forecasts.selectors`); the
dashboard's part is kept in the cache under the KPI, the node, the run and the language,
so a new run is a new key and a reader of one language never gets another's words.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from projectoffice.numbers import rounded
from regions.models import Region

from ..forecasts.models import ForecastKind, ForecastLevel, ForecastPoint, ForecastRun, ForecastStatus, ForecastYearEnd
from ..forecasts.selectors import (
    TrackRecord,
    forecast_run_for,
    node_forecast,
    probability_meets_target,
    track_record,
    track_records,
)
from ..models import Aggregation, Indicator, IndicatorGroup, Target, Unit
from ..periods import Month, Period
from .kpi_roles import headline_first
from .summary_cache import TIMEOUT_SECONDS
from .words import span_in_words

LEVELS = (ForecastLevel.NATION, ForecastLevel.REGION, ForecastLevel.DISTRICT)


def is_forecast(indicator: Indicator) -> bool:
    """Whether the forecasting centre forecasts this KPI (`Indicator.objects.forecast()`),
    asked of a KPI at hand without a query."""
    offences = (
        indicator.group == IndicatorGroup.OFFENCES
        and indicator.unit == Unit.COUNT
        and indicator.aggregation_time == Aggregation.SUM
    )
    return indicator.is_active and indicator.numerator_id is None and (offences or indicator.forecast)


@dataclass
class NodeRun:
    """What one run says of one node, as the dashboard keeps it: its months, its
    year-end, and its level's track record."""

    run_id: int
    origin: datetime.date
    origin_words: str
    months: list[ForecastPoint]
    year_end: ForecastYearEnd | None
    closer_percent: Decimal | None
    worse_than_benchmark: bool


def _node_key(indicator: Indicator, region: Region | None, run: ForecastRun) -> str:
    return f"forecast:node:{indicator.pk}:{region.pk if region else 'kz'}:{run.pk}:{get_language()}"


def node_run(indicator: Indicator, region: Region | None) -> NodeRun | None:
    """The latest finished run's forecast of `region` (None: the nation), or None where no
    run (or none for this node) exists. One query when kept in the cache."""
    run = forecast_run_for(indicator)
    if run is None:
        return None
    key = _node_key(indicator, region, run)
    found: NodeRun | str | None = cache.get(key)
    if found is None:
        stored = node_forecast(run, region)
        if stored is None:
            found = "none"
        else:
            record = track_record(run, stored.level)
            found = NodeRun(
                run_id=run.pk,
                origin=run.origin,
                origin_words=span_in_words(Period.month(run.origin.year, run.origin.month)),
                months=stored.months,
                year_end=stored.year_end,
                closer_percent=record.closer_percent,
                worse_than_benchmark=record.worse_than_benchmark,
            )
        cache.set(key, found, timeout=TIMEOUT_SECONDS)
    return found if isinstance(found, NodeRun) else None


@dataclass
class Headline:
    """The dashboard's forecast line: the year-end with its 80% range and the probability
    of meeting the target; or, where the forecast does worse than the benchmark at this
    level, the benchmark's year-end and why."""

    year: int
    value: Decimal | None
    lower_80: Decimal | None
    upper_80: Decimal | None
    probability: int | None  # per cent, without decimals; None without a target
    target: Decimal | None
    benchmark_shown: bool
    closer_percent: Decimal | None

    @property
    def further_percent(self) -> Decimal | None:
        return -self.closer_percent if self.closer_percent is not None else None


@dataclass
class FanShape:
    """The months of the run that the chart of `year` draws after its last actual: each
    with its place among the chart's months; the last actual the fan opens from; and
    whether a month newer than the run's origin has come in since."""

    months: list[tuple[int, ForecastPoint]]
    start: tuple[int, Decimal] | None
    older_origin: bool


@dataclass
class DashboardForecast:
    node: NodeRun
    headline: Headline | None
    fan: FanShape

    @property
    def run_id(self) -> int:
        return self.node.run_id


def dashboard_forecast(
    *,
    indicator: Indicator,
    region: Region | None,
    shown_year: int,
    this_year: list[Decimal | None],
    target: Target | None,
) -> DashboardForecast | None:
    """The forecast the dashboard shows beside a picture of `shown_year` whose months so far
    are `this_year`: None for a KPI not forecast or without a run. `target`: the
    picture's own, of `shown_year` (None: none set); another year's is read."""
    if not is_forecast(indicator):
        return None
    node = node_run(indicator, region)
    if node is None:
        return None
    return DashboardForecast(
        node, _headline(indicator, region, node, target, shown_year), _fan(node, shown_year, this_year)
    )


def _headline(
    indicator: Indicator, region: Region | None, node: NodeRun, target: Target | None, target_year: int
) -> Headline | None:
    end = node.year_end
    if end is None:
        return None
    places = indicator.decimal_places
    if end.year != target_year:
        target = Target.objects.filter(indicator=indicator, region=region, year=end.year).first()
    goal = target.target_value if target is not None else None
    if node.worse_than_benchmark:
        return Headline(end.year, rounded(end.benchmark, places), None, None, None, goal, True, node.closer_percent)
    chance = probability_meets_target(end, indicator.direction, goal)
    return Headline(
        year=end.year,
        value=rounded(end.value, places),
        lower_80=rounded(end.lower_80, places),
        upper_80=rounded(end.upper_80, places),
        probability=_percent(chance),
        target=goal,
        benchmark_shown=False,
        closer_percent=node.closer_percent,
    )


def _fan(node: NodeRun, shown_year: int, this_year: list[Decimal | None]) -> FanShape:
    """The run's months after the chart's last actual, each placed by its distance from
    January of the chart's year (12 and on: the months of the next year, which the chart
    goes on to): a run older than the newest month shown draws from the month after that
    month, and says so."""
    known = [i for i, v in enumerate(this_year) if v is not None]
    last = known[-1] if known else -1
    origin = Month.from_date(node.origin)
    older = bool(known) and Month(shown_year, last + 1).index > origin.index
    january = Month(shown_year, 1).index
    placed = [(Month.from_date(p.period).index - january, p) for p in node.months]
    months = [(i, p) for i, p in placed if i > last]
    start = None
    if months and known and months[0][0] == last + 1:
        value = this_year[last]
        start = (last, value) if value is not None else None
    return FanShape(months, start, older)


def _percent(share: float | None) -> int | None:
    """A share as whole per cent, rounded as the tables round (halves up)."""
    found = rounded(Decimal(str(share)) * 100, 0) if share is not None else None
    return int(found) if found is not None else None


# --- the track record page ------------------------------------------------------------


@dataclass
class LevelRecord:
    level: int
    level_name: str
    record: TrackRecord
    chart: str = ""  # drawn by the view

    @property
    def closer(self) -> int | None:
        """How much closer than the same month last year, in whole %; negative: further."""
        found = self.record.closer_percent
        return int(found) if found is not None else None

    @property
    def further(self) -> int | None:
        return -self.closer if self.closer is not None and self.closer < 0 else None

    @property
    def coverage_80(self) -> int | None:
        return _percent(self.record.near.coverage_80)

    @property
    def coverage_95(self) -> int | None:
        return _percent(self.record.near.coverage_95)

    @property
    def months(self) -> int:
        """The backtest months the record reads (its origins)."""
        return self.record.near.origins


@dataclass
class KpiRecord:
    indicator: Indicator
    run: ForecastRun | None
    in_progress: bool
    levels: list[LevelRecord]


def levels_visible_to(user: Any) -> tuple[int, ...]:
    """The office reads every level; a coordinator those of their region's tree."""
    if is_project_office(user):
        return LEVELS
    return (ForecastLevel.REGION, ForecastLevel.DISTRICT)


LEVEL_NAMES = {
    ForecastLevel.NATION: lambda: _("Kazakhstan"),
    ForecastLevel.REGION: lambda: _("Regions"),
    ForecastLevel.DISTRICT: lambda: _("Districts"),
}


def forecast_records(user: Any) -> list[KpiRecord]:
    """Every forecast KPI with its latest finished run's track record at each level the
    reader may see, and whether a run is under way: a fixed number of queries whatever
    the number of KPIs."""
    levels = levels_visible_to(user)
    forecasts = ForecastRun.objects.filter(indicator=OuterRef("pk"), kind=ForecastKind.FORECAST)
    latest = (
        forecasts.filter(status=ForecastStatus.DONE, replay=False)
        .order_by("-origin", "-created_at", "-pk")
        .values("pk")[:1]
    )
    kpis = headline_first(
        Indicator.objects.forecast().annotate(
            latest_run=Subquery(latest),
            running=Exists(forecasts.filter(status__in=[ForecastStatus.WAITING, ForecastStatus.RUNNING])),
        )
    )
    runs = {
        r.pk: r
        for r in ForecastRun.objects.filter(pk__in=[k.latest_run for k in kpis if k.latest_run is not None])  # type: ignore[attr-defined]
    }
    by_kpi = {k.pk: runs.get(k.latest_run) for k in kpis}  # type: ignore[attr-defined]
    for kpi in kpis:  # the KPI at hand, not one more query per run
        run = by_kpi[kpi.pk]
        if run is not None:
            run.indicator = kpi
    records = track_records([r for r in by_kpi.values() if r is not None], levels)
    return [
        KpiRecord(
            indicator=kpi,
            run=by_kpi[kpi.pk],
            in_progress=bool(kpi.running),  # type: ignore[attr-defined]
            levels=[
                LevelRecord(level, LEVEL_NAMES[ForecastLevel(level)](), records[(run.pk, level)])
                for level in levels
                if (run := by_kpi[kpi.pk]) is not None and records[(run.pk, level)].near.count
            ],
        )
        for kpi in kpis
    ]
