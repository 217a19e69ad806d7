"""KPI summaries kept ready in the cache, and recomputed when the figures under them change.

Figures come from the rollups the database keeps (`facts.RollupBook`), so a national
summary reads a few hundred rows; the dashboard and the agencies still ask for the same
few again and again, so each is cached under the version counters of everything it is
computed from: the KPI, every KPI of its formula however deep, population, the targets,
the regions, the KPI catalogue, and the engine's own code. The database's triggers bump
the counters in the transaction of every write (import, report approval, admin, a bulk
update, raw SQL), so a stale summary is never served, and a cached read costs one small
query whatever the number of values. After a change the worker recomputes the summaries
the dashboard shows (`rollups_refresh_later`), so the first reader does not wait.
"""

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone, translation

from projectoffice.queueing import send
from regions.models import Region

from ..models import Indicator, KpiRole
from ..models.indicators import roles_of
from ..periods import Month, Period
from .aggregation import FactBook, Figure, Rules, figure
from .facts import RollupBook, rules_of
from .summary import Summary, kpi_summary, summary_rules

# Entries that nobody reads fall out after this long; correctness never depends on it.
TIMEOUT_SECONDS = 24 * 60 * 60


def summary_cached(
    *,
    indicator: Indicator,
    region: Region | None,
    span: Period,
    compare: bool = True,
    state: "FigureState | None" = None,
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


# KPI id -> (code, numerator id, denominator id, whether it is population)
Catalogue = dict[int, tuple[str, int | None, int | None, bool]]


@dataclass(frozen=True)
class FigureState:
    """The version counters of everything figures are computed from, with the KPI
    catalogue, read in one round trip. The counters are bumped by the database's triggers
    in the transaction of any write that can change a figure; neither is kept between
    requests (a catalogue change may be rolled back, and a counter with it)."""

    versions: dict[str, int]
    catalogue: Catalogue

    @classmethod
    def now(cls) -> "FigureState":
        versions: dict[str, int] = {}
        catalogue: Catalogue = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 0, key, n, NULL, NULL, NULL FROM initiatives_figureversion "
                "UNION ALL SELECT 1, code, id, numerator_id, denominator_id, role FROM initiatives_indicator"
            )
            for kind, name, number, numerator, denominator, role in cursor.fetchall():
                if kind == 0:
                    versions[name] = number
                else:
                    catalogue[number] = (name, numerator, denominator, KpiRole.POPULATION in roles_of(role))
        return cls(versions, catalogue)

    def indicator_id(self, code: str) -> int | None:
        return next((pk for pk, (c, *_rest) in self.catalogue.items() if c == code), None)

    def summary_key(self, indicator_id: int, region_id: int | None, span: Period, compare: bool) -> str:
        """The cache key of a summary as it stands: callers may key the summary's rendered
        forms by it too (the API keeps its JSON under it)."""
        read = _reads(self.catalogue).get(indicator_id, (indicator_id,))
        fingerprint = (
            tuple(self.versions.get(f"kpi:{pk}", 0) for pk in read),
            *(self.versions.get(key, 0) for key in ("targets", "regions", "indicators")),
        )
        what = (indicator_id, region_id, str(span), compare, translation.get_language())
        return "summary:" + hashlib.sha256(repr((ENGINE_VERSION, what, fingerprint)).encode()).hexdigest()


def _reads(catalogue: Catalogue) -> dict[int, tuple[int, ...]]:
    """What each KPI's summary reads: itself, its formula's KPIs however deep, and
    population (every rate per 10,000 reads it)."""
    population = {pk for pk, (*_kpi, is_population) in catalogue.items() if is_population}

    def closure(pk: int, seen: frozenset[int] = frozenset()) -> set[int]:
        _code, numerator, denominator, _population = catalogue[pk]
        out = {pk}
        for side in (numerator, denominator):
            if side is not None and side not in seen:
                out |= closure(side, seen | {pk})
        return out

    return {pk: tuple(sorted(closure(pk) | population)) for pk in catalogue}


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


def _population_codes(rules: Rules) -> set[str]:
    """The code of population wherever it is in the KPI's formula (or the KPI itself)."""
    found = {rules.code} if rules.is_population else set()
    for side in (rules.numerator, rules.denominator):
        if side is not None:
            found |= _population_codes(side)
    return found


def _acceptable(f: Figure, population: set[str]) -> bool:
    """Complete, or incomplete only for want of population: waiting will not fill that
    gap, so it must not hold the span back (the page names it instead)."""
    return f.complete or (bool(f.missing) and all(g.kpi in population for g in f.missing))


def latest_complete_span(book: FactBook, rules: Rules, region_id: int | None, year: int, last: Month) -> Period:
    """The longest span from January of `year` to a month up to `last` whose figure is
    complete, else last year's; the year to date when none is (the page then says what
    is missing). Asked of one book, which read the rollups once. The dashboard opens on
    it, so the worker warms the summary of it."""
    candidates = [Period(Month(year, 1), Month(year, m)) for m in range(last.month, 0, -1)]
    candidates += [Period(Month(year - 1, 1), Month(year - 1, m)) for m in range(12, 0, -1)]
    population = _population_codes(rules)
    for span in candidates:
        if _acceptable(figure(book, rules, region_id, span), population):
            return span
    return candidates[0]


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
    state = FigureState.now()
    reads = _reads(state.catalogue)  # population is among what every summary reads
    last = dashboard_span(Month.from_date(timezone.localdate())).end
    done = 0
    kpis = Indicator.objects.active().select_related("numerator__numerator", "denominator__denominator")
    for indicator in kpis.order_by("code"):
        if not changed & set(reads.get(indicator.pk, ())):
            continue
        rules = rules_of(indicator)
        # The book the dashboard chooses its span on (`selectors.dashboard.default_span`).
        book = RollupBook(
            rules=summary_rules(rules), region=None, earliest=Month(last.year - 1, 1), latest=Month(last.year, 12)
        )
        span = latest_complete_span(book, rules, None, last.year, last)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                summary_cached(indicator=indicator, region=None, span=span, state=state)
            done += 1
    return done
