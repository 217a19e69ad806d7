"""Campaign impact: what each alcohol-free village would have seen had it not decided.

For every alcohol-free campaign with a decision date (the village assembly's, else the
campaign's start), the refresh reads the outcome KPI's own monthly values of the
settlement, else of its okrug (level 3 or deeper: no coarser figure says anything of one
village), as committed at `as_of`. A place with values for at least LEAST_BEFORE months
before the decision's month is fit as a one-node tree (`fitting.forecast_tree`): its
series up to and including the decision's month (the origin) gives the 12 months after.

Its ranges: one village's backtest gives a dozen errors, too few for an 80% range, so
every village is backtested (`fitting.backtest_tree`, at each of the IMPACT_ORIGINS months
before its origin that has SHORTEST_FIT months before it) and the errors are pooled across
the villages by horizon, each divided by its series' scale, as the forecast tree pools by
level (`jobs._halfwidths`): a month's range from the pooled errors of single months, the
total of the first m months' range from the pooled errors of m-month totals, each the
conformal half-width times the village's own scale.

Every village's errors of the m-month totals are stored too, origin by origin, so the
register can add the villages' effects and give the sum a range (`impact_selectors.py`).

All is replaced in one transaction with the refresh's run (`ForecastRun`, kind impact):
a refresh that fails stores nothing and the register keeps reading the previous one. The
model libraries are imported inside the functions that fit (`initiatives/tasks.py` is
imported by web processes).
"""

import datetime
import logging
import math
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

from django.db import transaction
from django.utils import timezone

from projectoffice.job_locks import CAMPAIGN_IMPACTS, job_lock
from projectoffice.numbers import rounded
from regions.models import Region

from ..engine.asof import load_fact_book_as_of
from ..engine.facts import rules_of
from ..models import Campaign, KpiRole
from ..periods import Month
from ..selectors.kpi_roles import kpi_of_role
from .conformal import conformal_quantile
from .impact_selectors import LEAST_BEFORE
from .jobs import HORIZON, SHORTEST_FIT
from .models import CampaignImpact, ForecastKind, ForecastRun, ForecastStatus, ForecastTrigger
from .series import LONGEST

logger = logging.getLogger(__name__)

# Backtest origins before each decision: enough that a 12-month total has errors at
# IMPACT_ORIGINS - 11 of them once the series is long enough.
IMPACT_ORIGINS = 24


def _fitting() -> ModuleType:
    from . import fitting

    return fitting


def decision_month(campaign: Campaign) -> Month:
    """The month of the village assembly's decision, else of the campaign's start."""
    return Month.from_date(campaign.declared_on or campaign.start_date)


def places_of(campaign: Campaign) -> list[Region]:
    """Where a village's outcome is measured, finest first: the settlement, its okrug."""
    parent = campaign.region.parent
    return [campaign.region, *([parent] if parent is not None and parent.level >= 3 else [])]


@dataclass
class _Series:
    campaign: Campaign
    region: Region
    origin: Month
    values: list[float]  # from the first month with a value to the origin; NaN: no value


def _series(monthly: dict[int, float], origin: Month) -> list[float] | None:
    """The place's months up to the origin, when LEAST_BEFORE of those before it have a value."""
    before = [i for i in monthly if origin.index - LONGEST < i < origin.index]
    if len(before) < LEAST_BEFORE:
        return None
    return [monthly.get(i, math.nan) for i in range(min(before), origin.index + 1)]


def _read(campaigns: list[Campaign], as_of: datetime.datetime) -> list[_Series]:
    """Each campaign's series, where its place has the figures and its decision's month
    is over by `as_of` (what the village looked like before is then all known)."""
    today = timezone.localdate(as_of)
    campaigns = [c for c in campaigns if decision_month(c).last_day < today]
    outcome = kpi_of_role(KpiRole.OUTCOME)
    if outcome is None or not campaigns:
        return []
    origins = [decision_month(c) for c in campaigns]
    rules = rules_of(outcome)
    book = load_fact_book_as_of(
        rules=[rules],
        region=None,
        earliest=min(origins).plus(-(LONGEST - 1)),
        latest=max(origins),
        as_of=as_of,
    )
    found = []
    for campaign, origin in zip(campaigns, origins, strict=True):
        for place in places_of(campaign):
            monthly = {f.start: float(f.value) for f in book.own(rules, place.pk) if f.start == f.end}
            values = _series(monthly, origin)
            if values is not None:
                found.append(_Series(campaign, place, origin, values))
                break
    return found


@dataclass
class _Fit:
    series: _Series
    point: list[float]
    benchmark: list[float]
    scale: float
    # Per horizon: scaled errors (each by its backtest origin's scale) of single months and
    # of the m-month totals, for the pools; and the totals' errors by origin (k months
    # before the origin) divided by this fit's scale, for the overall effect.
    monthly_errors: dict[int, list[float]]
    total_errors: dict[int, list[float]]
    by_origin: list[list[float | None]]


def _fit(found: _Series) -> _Fit | None:
    import numpy as np

    fitting = _fitting()
    method = fitting.METHODS[0]  # one node: every reconciliation is the base forecast
    y = np.array([found.values], dtype=float)
    tree = fitting.SINGLE
    made = fitting.forecast_tree(y, tree, horizon=HORIZON)
    scale = float(made.scale[0])
    if not scale > 0:
        return None
    last = len(found.values) - 1
    origins = [last - k for k in range(IMPACT_ORIGINS, 0, -1) if last - k >= SHORTEST_FIT - 1]
    monthly: dict[int, list[float]] = {h: [] for h in range(1, HORIZON + 1)}
    totals: dict[int, list[float]] = {h: [] for h in range(1, HORIZON + 1)}
    by_origin: list[list[float | None]] = [[None] * IMPACT_ORIGINS for _ in range(HORIZON)]
    results = fitting.backtest_tree(y, tree, origins=origins, last=last, horizon=HORIZON) if origins else []
    for result in results:
        k = last - result.origin
        own_scale = float(result.scale[0])
        for h in range(1, HORIZON + 1):
            error = float(result.errors[method][0, h - 1])
            total = float(result.cumulative[method][0, h - 1])
            if own_scale > 0 and not math.isnan(error):
                monthly[h].append(error / own_scale)
            if own_scale > 0 and not math.isnan(total):
                totals[h].append(total / own_scale)
                by_origin[h - 1][k - 1] = total / scale
    return _Fit(
        series=found,
        point=[max(0.0, float(v)) for v in made.points[method][0]],
        benchmark=[float(v) for v in made.points[fitting.BENCHMARK][0]],
        scale=scale,
        monthly_errors=monthly,
        total_errors=totals,
        by_origin=by_origin,
    )


def _halfwidth(errors: list[float]) -> float | None:
    return conformal_quantile(errors, 0.8)


def _places(number: float | None, places: int) -> float | None:
    """A figure kept in JSON: `rounded` to `places`, as a float."""
    return None if number is None else float(rounded(Decimal(repr(float(number))), places))


def _two(number: float | None) -> float | None:
    return _places(number, 2)


def _impact(
    fit: _Fit, run: ForecastRun, month_widths: dict[int, float | None], total_widths: dict[int, float | None]
) -> CampaignImpact:
    import numpy as np

    fitting = _fitting()
    origin = fit.series.origin
    months = []
    point = np.array([fit.point], dtype=float)
    for h in range(1, HORIZON + 1):
        width = month_widths[h]
        lower = upper = None
        if width is not None:
            ranges = fitting.ranges_from(point[:, h - 1 : h], np.array([fit.scale]), width, width)
            lower, upper = float(ranges.lower_80[0, 0]), float(ranges.upper_80[0, 0])
        months.append(
            {
                "period": origin.plus(h).first_day.isoformat(),
                "value": _two(fit.point[h - 1]),
                "lower_80": _two(lower),
                "upper_80": _two(upper),
                "benchmark": _two(fit.benchmark[h - 1]),
            }
        )
    totals = []
    for m in range(1, HORIZON + 1):
        value = sum(fit.point[:m])
        width = total_widths[m]
        totals.append(
            {
                "months": m,
                "value": _two(value),
                "lower_80": _two(None if width is None else max(0.0, value - width * fit.scale)),
                "upper_80": _two(None if width is None else value + width * fit.scale),
            }
        )
    return CampaignImpact(
        campaign=fit.series.campaign,
        run=run,
        region=fit.series.region,
        origin=origin.first_day,
        months_read=len(fit.series.values),
        scale=fit.scale,
        months=months,
        totals=totals,
        errors=[[_places(e, 4) for e in row] for row in fit.by_origin],
    )


def campaign_impacts_refresh(*, as_of: datetime.datetime | None = None, trigger: str = ForecastTrigger.COMMAND) -> int:
    """Forecast every alcohol-free village that has the figures for it, from the values as
    committed at `as_of` (default now), and store the lot in place of the previous
    refresh's; how many villages were forecast. Villages without the figures have no
    impact stored, and the register shows their plain before/after."""
    with job_lock(CAMPAIGN_IMPACTS, 0) as held:
        if not held:
            logger.info("Campaign impacts: another refresh is running; this one does nothing.")
            return 0
        return _refresh(as_of or timezone.now(), trigger)


def _fitted(found: _Series) -> _Fit | None:
    """The village's fit; a village whose fit fails is left out (its plain before/after
    stays on the register) and logged, the others go on."""
    try:
        return _fit(found)
    except Exception:
        logger.exception("Campaign impact: the fit of campaign %s failed", found.campaign.pk)
        return None


def _refresh(moment: datetime.datetime, trigger: str) -> int:
    started = timezone.now()
    campaigns = list(Campaign.objects.alcohol_free().select_related("region__parent").order_by("pk"))
    series = _read(campaigns, moment)
    fits = [fit for found in series if (fit := _fitted(found)) is not None]
    if series and not fits:
        # Every fit failed (logged): the impacts stored before stay what the register reads.
        return 0
    month_widths = {h: _halfwidth([e for f in fits for e in f.monthly_errors[h]]) for h in range(1, HORIZON + 1)}
    total_widths = {h: _halfwidth([e for f in fits for e in f.total_errors[h]]) for h in range(1, HORIZON + 1)}
    with transaction.atomic():
        CampaignImpact.objects.all().delete()
        if not fits:
            return 0
        outcome = kpi_of_role(KpiRole.OUTCOME)
        assert outcome is not None  # fits were read from its values
        run = ForecastRun.objects.create(
            indicator=outcome,
            kind=ForecastKind.IMPACT,
            status=ForecastStatus.DONE,
            origin=max(f.series.origin for f in fits).first_day,
            as_of=moment,
            origins=IMPACT_ORIGINS,
            trigger=trigger,
            series=len(fits),
            attempts=1,
            started_at=started,
            finished_at=timezone.now(),
            detail={
                "pooled_errors": {str(h): sum(len(f.total_errors[h]) for f in fits) for h in (1, HORIZON)},
                "campaigns_without_figures": len(campaigns) - len(fits),
            },
        )
        CampaignImpact.objects.bulk_create([_impact(fit, run, month_widths, total_widths) for fit in fits])
    return len(fits)
