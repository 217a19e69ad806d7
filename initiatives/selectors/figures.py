"""Reads of figures: KPI summaries as the API and the pages ask for them, and whether
what the engine reads is in step with the values."""

import datetime
from collections.abc import Callable
from typing import Any

from regions.models import Region

from ..engine.figure_state import FigureState
from ..engine.summary import Summary
from ..models import Indicator, RollupCheck
from ..periods import Period
from .kpi_forecast import SummaryForecast, summary_forecast
from .summary_cache import as_of_suffix, rendered_cached, summary_cached


def figure_state() -> FigureState:
    """The version counters and KPI catalogue as they stand: one query. A summary's cache
    key comes from it, so a caller can find what it rendered before without the KPI row."""
    return FigureState.now()


def kpi_summary_read(
    *,
    state: FigureState,
    indicator_id: int,
    region: Region | None,
    span: Period,
    compare: bool,
    as_of: datetime.datetime | None = None,
) -> Summary:
    """The summary of a KPI over a span (national when `region` is None), from the cache
    while nothing under it changed, else computed from the rollups; `as_of`: from the
    values as committed by then."""
    indicator = Indicator.objects.get(pk=indicator_id)
    return summary_cached(indicator=indicator, region=region, span=span, compare=compare, state=state, as_of=as_of)


def kpi_summary_rendered(
    *,
    state: FigureState,
    indicator_id: int,
    region: Region | None,
    span: Period,
    compare: bool,
    as_of: datetime.datetime | None = None,
    media_type: str,
    render: Callable[[Summary, SummaryForecast | None], str | bytes],
) -> str | bytes:
    """The summary with its forecast (`kpi_forecast.summary_forecast`) as `render` writes
    them in `media_type`, from the cache while nothing under them changed: what agencies'
    systems ask again and again. Kept under the summary's own key (KPI, region, span,
    comparison, language, the figures' version), the KPI's finished forecast runs, the
    moment of `as_of` and the media type. Who asks is not in the key: the view has checked
    first that the caller may see `region`, and a region's summary is the same for all who may."""
    key = f"{state.summary_key(indicator_id, region.pk if region else None, span, compare)}"
    key = f"{key}{state.forecast_key(indicator_id)}{as_of_suffix(as_of)}:{media_type}"

    def build() -> str | bytes:
        summary = kpi_summary_read(
            state=state, indicator_id=indicator_id, region=region, span=span, compare=compare, as_of=as_of
        )
        return render(summary, summary_forecast(summary))

    return rendered_cached(key, build)


def rollups_health() -> dict[str, Any]:
    """The last comparison of the rollups with the values: when, and how many differences."""
    last = RollupCheck.objects.order_by("-checked_at").values("checked_at", "differences").first()
    if last is None:
        return {"state": "never checked"}
    return {
        "state": "ok" if last["differences"] == 0 else "drift",
        "checked_at": last["checked_at"].isoformat(),
        "differences": last["differences"],
    }
