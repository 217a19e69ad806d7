"""KPI summaries kept ready in the cache, and recomputed when the figures under them change.

A national summary over district data takes seconds; the dashboard and the agencies ask
for the same few again and again. A summary is cached under a fingerprint of everything
it is computed from: the values of the KPI, of the KPIs of its formula and of population
(how many rows and how many approved, their sum, the newest change, the highest id), its targets, the regions, and the
KPI's own rules. Any write changes the fingerprint, so a stale summary is never served,
whichever way the write came (import, report approval, admin). After a change the worker
recomputes the summaries the dashboard shows (`rollups_refresh_later`), so the first
reader does not wait.
"""

import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone, translation

from regions.models import Region

from ..models import ApprovalState, Indicator, Target, Value
from ..periods import Month, Period
from .summary import POPULATION_CODE, Summary, kpi_summary

logger = logging.getLogger(__name__)

# Entries that nobody reads fall out after this long; correctness never depends on it.
TIMEOUT_SECONDS = 24 * 60 * 60


def summary_cached(*, indicator: Indicator, region: Region | None, span: Period, compare: bool = True) -> Summary:
    """kpi_summary, from the cache when nothing under it changed since it was computed."""
    key = _key(indicator, region, span, compare)
    found = cache.get(key)  # a Redis that is down answers None (projectoffice/cache.py)
    if found is not None:
        return found  # type: ignore[no-any-return]
    summary = kpi_summary(indicator=indicator, region=region, span=span, compare=compare)
    cache.set(key, summary, timeout=TIMEOUT_SECONDS)
    return summary


def _key(indicator: Indicator, region: Region | None, span: Period, compare: bool) -> str:
    ids: set[int] = {i for i in (indicator.pk, indicator.numerator_id, indicator.denominator_id) if i is not None}
    ids |= set(Indicator.objects.filter(code=POPULATION_CODE).values_list("pk", flat=True))
    values = Value.objects.filter(indicator_id__in=ids).aggregate(
        n=Count("pk"),
        approved=Count("pk", filter=Q(approval_state=ApprovalState.APPROVED)),
        total=Sum("value"),
        last=Max("updated_at"),
        top=Max("pk"),
    )
    rules = Indicator.objects.filter(pk__in=ids).aggregate(last=Max("updated_at"))
    targets = Target.objects.filter(indicator=indicator).aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    regions = Region.objects.aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    fingerprint = repr((values, rules, targets, regions))
    what = (indicator.pk, region.pk if region else None, str(span), compare, translation.get_language())
    return "summary:" + hashlib.sha256(repr((what, fingerprint)).encode()).hexdigest()


def dashboard_span(today: Month) -> Period:
    """The span the dashboard shows: this year to last month (in January, last year)."""
    return Period.year(today.year - 1) if today.month == 1 else Period(Month(today.year, 1), today.plus(-1))


def rollups_refresh_later(indicator_ids: Iterable[int]) -> None:
    """After the caller's transaction commits, have the worker recompute the summaries
    that depend on these KPIs. A broker that is down costs only speed: readers compute."""
    ids = sorted({int(i) for i in indicator_ids})
    if not ids:
        return

    def enqueue() -> None:
        from ..tasks import refresh_rollups

        try:
            refresh_rollups.delay(ids)
        except Exception:
            logger.warning("could not queue the recomputation of summaries for %s", ids, exc_info=True)

    transaction.on_commit(enqueue)


def rollups_refresh(indicator_ids: Iterable[int]) -> int:
    """Recompute the national dashboard summary, in every language, of each KPI that uses
    these (itself, formulas over it; everything when population changed). Returns how many."""
    ids = set(indicator_ids)
    population = Indicator.objects.filter(code=POPULATION_CODE, pk__in=ids).exists()
    affected = Indicator.objects.active()
    if not population:
        affected = affected.filter(Q(pk__in=ids) | Q(numerator_id__in=ids) | Q(denominator_id__in=ids))
    span = dashboard_span(Month.from_date(timezone.localdate()))
    done = 0
    for indicator in affected.order_by("code"):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                summary_cached(indicator=indicator, region=None, span=span)
            done += 1
    return done
