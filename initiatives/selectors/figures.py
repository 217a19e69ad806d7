"""Reads of figures: KPI summaries as the API and the pages ask for them, and whether
what the engine reads is in step with the values."""

import datetime
from typing import Any

from regions.models import Region

from ..engine.rollups import FigureState, summary_cached
from ..engine.summary import Summary
from ..models import Indicator, RollupCheck
from ..periods import Period


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
