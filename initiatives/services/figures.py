"""Writes about the figures themselves: rebuilding the rollups, recording their checks,
and keeping the dashboard's summaries warm after the values under them change."""

from collections.abc import Iterable
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone, translation

from projectoffice.queueing import send

from ..engine import rollup_tables
from ..engine.figure_state import FigureState
from ..models import Indicator, RollupCheck
from ..selectors.dashboard import default_span
from ..selectors.summary_cache import summary_cached

# Differences written into a check's record at most (the count says how many there were).
DETAIL_LINES = 50

# The KPIs whose summaries the open transaction of each connection has changed, waiting
# for it to commit. Kept by connection (one per thread), not on it, and held weakly: a
# connection that is closed and dropped takes its set with it.
_refresh_pending: "WeakKeyDictionary[BaseDatabaseWrapper, set[int]]" = WeakKeyDictionary()


def rollups_rebuild(*, indicator: Indicator | None = None) -> int:
    """Recompute the rollups (of one KPI, or all) from the approved values, while the site
    keeps serving the old ones until the rebuild commits. Returns the rows written."""
    return rollup_tables.rebuild([indicator.pk] if indicator is not None else None)


@transaction.atomic
def rollups_check(*, indicator: Indicator | None = None) -> tuple[RollupCheck, list[rollup_tables.Difference]]:
    """Compare the rollups with a fresh computation from the values, and record the outcome
    (for `/healthz` and the office). A difference means a write reached the values without
    its trigger: `rebuild_rollups` mends it, and the cause must be found."""
    found = rollup_tables.differences([indicator.pk] if indicator is not None else None)
    detail = "\n".join(str(d) for d in found[:DETAIL_LINES])
    check = RollupCheck.objects.create(differences=len(found), detail=detail)
    return check, found


def rollups_refresh_later(indicator_ids: Iterable[int]) -> None:
    """After the caller's transaction commits, have the worker recompute the summaries
    that depend on these KPIs: once per transaction, however many writes it made (a
    report's approval writes a value per line). A broker that is down costs only speed.

    Not `queue_on_commit`: that names one job row the sweep can queue again; this sends
    the KPIs' ids, and a refresh that is lost costs the first reader a wait, nothing more."""
    connection = transaction.get_connection()
    pending = _refresh_pending.setdefault(connection, set())
    pending.update(int(i) for i in indicator_ids)
    if pending:
        transaction.on_commit(lambda: _send_refresh(connection))


def _send_refresh(connection: BaseDatabaseWrapper) -> None:
    ids = sorted(_refresh_pending.pop(connection, set()))
    if not ids:  # an earlier callback of the same transaction took them
        return
    send("initiatives.tasks.refresh_rollups", ids)  # a broker that is down is logged there


def rollups_refresh(indicator_ids: Iterable[int]) -> int:
    """Recompute the national dashboard summary, in every language, of each KPI that reads
    these (itself, formulas over it at any depth; all of them when population changed),
    and keep it in the cache for the first reader. Returns how many summaries were computed."""
    state = FigureState.now()
    reading = state.kpis_reading(indicator_ids)  # population is among what every summary reads
    today = timezone.localdate()
    done = 0
    kpis = Indicator.objects.active().select_related("numerator__numerator", "denominator__denominator")
    for indicator in kpis.order_by("code"):
        if indicator.pk not in reading:
            continue
        # The span the dashboard opens on, chosen (and kept) as the dashboard chooses it.
        span = default_span(indicator=indicator, region=None, today=today, state=state)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                summary_cached(indicator=indicator, region=None, span=span, state=state)
            done += 1
    return done
