"""KPI summaries kept ready in the cache, and never served once the figures under them change.

A national summary reads a few hundred rollup rows, and the dashboard and the agencies ask
for the same few again and again; so each is cached under its name as it stands
(`FigureState.summary_key`: the KPI, region, span, comparison and language, the version
counters of everything it is computed from, and the engine's code). The database's
triggers bump the counters in the transaction of every write, so a stale summary is never
served, and a cached read costs one small query whatever the number of values. After a
change the worker recomputes the summaries the dashboard shows
(`services.figures.rollups_refresh`), so the first reader does not wait.
"""

import datetime
from collections.abc import Callable

from django.core.cache import cache

from regions.models import Region

from ..engine.aggregation import FactBook
from ..engine.figure_state import FigureState
from ..engine.summary import Summary, kpi_summary
from ..models import Indicator
from ..periods import Month, Period

# Entries that nobody reads fall out after this long; correctness never depends on it.
TIMEOUT_SECONDS = 24 * 60 * 60


def summary_cached(
    *,
    indicator: Indicator,
    region: Region | None,
    span: Period,
    compare: bool = True,
    state: FigureState | None = None,
    lend_book: Callable[[Month, Month], FactBook] | None = None,
    as_of: datetime.datetime | None = None,
) -> Summary:
    """kpi_summary, from the cache when nothing under it changed since it was computed.
    `as_of`: as committed by that moment, cached under the same counters and the moment."""
    key = (state or FigureState.now()).summary_key(indicator.pk, region.pk if region else None, span, compare)
    key += as_of_suffix(as_of)
    found = cache.get(key)  # a Redis that is down answers None (projectoffice/cache.py)
    if found is not None:
        return found  # type: ignore[no-any-return]
    summary = kpi_summary(
        indicator=indicator, region=region, span=span, compare=compare, as_of=as_of, lend_book=lend_book
    )
    cache.set(key, summary, timeout=TIMEOUT_SECONDS)
    return summary


def as_of_suffix(as_of: datetime.datetime | None) -> str:
    """What a cache key of figures as of a moment adds to the key of the live ones."""
    return f":as_of:{as_of.astimezone(datetime.UTC).isoformat()}" if as_of is not None else ""


def rendered_cached(key: str, render: Callable[[], str | bytes]) -> str | bytes:
    """A rendered form of a summary (the API's JSON), kept under the summary's own key
    and the form's name, so nothing is rebuilt while the summary stands."""
    body = cache.get(key)
    if body is None:
        body = render()
        cache.set(key, body, timeout=TIMEOUT_SECONDS)
    return body  # type: ignore[no-any-return]
