"""KPI summaries kept ready in the cache, and recomputed when the figures under them change.

A national summary over district data takes seconds; the dashboard and the agencies ask
for the same few again and again. A summary is cached under a fingerprint of everything
it is computed from: the values of the KPI, of every KPI of its formula however deep and
of population (how many rows and how many approved, their sum, the newest change, the
highest id), its targets, the regions, the KPIs' rules and the engine's own code. Any
write changes the fingerprint, so a stale summary is never served, whichever way the
write came (import, report approval, admin, a bulk update). After a change the worker
recomputes the summaries the dashboard shows (`rollups_refresh_later`), so the first
reader does not wait.
"""

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone, translation

from projectoffice.queueing import send
from regions.models import Region

from ..models import ApprovalState, Indicator, Target, Value
from ..periods import Month, Period
from .facts import indicator_ids, rules_of
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
    # The KPI, its formula's KPIs, and population (every rate per 10,000 reads it). Looked
    # up first: one plain IN list lets the database use its index on the values.
    ids = _formula_ids(indicator) | set(Indicator.objects.filter(code=POPULATION_CODE).values_list("pk", flat=True))
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
    return "summary:" + hashlib.sha256(repr((ENGINE_VERSION, what, fingerprint)).encode()).hexdigest()


def _formula_ids(indicator: Indicator) -> set[int]:
    """The KPI and every KPI of its formula, however deep."""
    return indicator_ids([rules_of(indicator)])


def _engine_version() -> str:
    """A digest of the engine's code: a deploy that changes how summaries are computed
    makes every summary cached before it unreachable."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


ENGINE_VERSION = _engine_version()


def dashboard_span(today: Month) -> Period:
    """The span the dashboard shows: this year to last month (in January, last year)."""
    return Period.year(today.year - 1) if today.month == 1 else Period(Month(today.year, 1), today.plus(-1))


def rollups_refresh_later(indicator_ids: Iterable[int]) -> None:
    """After the caller's transaction commits, have the worker recompute the summaries
    that depend on these KPIs: once per transaction, however many writes it made (a
    report's approval writes a value per line). A broker that is down costs only speed."""
    connection = transaction.get_connection()
    pending: set[int] = connection.__dict__.setdefault("rollups_pending", set())
    pending.update(int(i) for i in indicator_ids)
    if pending:
        transaction.on_commit(lambda: _enqueue(connection))


def _enqueue(connection: Any) -> None:
    ids = sorted(connection.__dict__.pop("rollups_pending", set()))
    if not ids:  # an earlier callback of the same transaction took them
        return
    send("initiatives.tasks.refresh_rollups", ids)  # a broker that is down is logged there


def rollups_refresh(indicator_ids: Iterable[int]) -> int:
    """Recompute the national dashboard summary, in every language, of each KPI that reads
    these (itself, formulas over it at any depth; all of them when population changed).
    Returns how many summaries were computed."""
    changed = set(indicator_ids)
    population_changed = Indicator.objects.filter(pk__in=changed, code=POPULATION_CODE).exists()
    span = dashboard_span(Month.from_date(timezone.localdate()))
    done = 0
    for indicator in Indicator.objects.active().order_by("code"):
        if not population_changed and not changed & _formula_ids(indicator):
            continue
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                summary_cached(indicator=indicator, region=None, span=span)
            done += 1
    return done
