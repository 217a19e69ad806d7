"""What a KPI summary is computed from, and which span the dashboard opens on.

Figures come from the rollups the database keeps (`facts.RollupBook`). `FigureState` reads,
in one small query, the version counters of everything a summary is computed from (the
KPI, every KPI of its formula however deep, population, the targets, the regions, the KPI
catalogue) with the catalogue itself; the database's triggers bump the counters in the
transaction of every write (import, report approval, admin, a bulk update, raw SQL).
`FigureState.summary_key` names a summary as it stands from them, with the engine's own
code: what changes the answer changes the name. Keeping summaries under that name is the
selectors' business (`selectors/summary_cache.py`), and having the worker recompute them
after a change the services' (`services/figures.py`); nothing here caches or queues.
"""

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.utils import translation

from ..models import KpiRole
from ..models.indicators import roles_of
from ..periods import Month, Period
from .aggregation import FactBook, Figure, Rules, figure

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
    # KPI id -> (its latest finished forecast run, how many it has): the summary shows one
    # (`selectors/kpi_forecast.py`); a run is written once, by its job, so these name them all.
    forecasts: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def now(cls) -> "FigureState":
        versions: dict[str, int] = {}
        catalogue: Catalogue = {}
        forecasts: dict[int, tuple[int, int]] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 0, key, n, NULL, NULL, NULL FROM initiatives_figureversion "
                "UNION ALL SELECT 1, code, id, numerator_id, denominator_id, role FROM initiatives_indicator "
                "UNION ALL SELECT 2, NULL, indicator_id, MAX(id), COUNT(*), NULL FROM initiatives_forecastrun "
                "WHERE kind = 'forecast' AND status = 'done' AND NOT replay GROUP BY indicator_id"
            )
            for kind, name, number, numerator, denominator, role in cursor.fetchall():
                if kind == 0:
                    versions[name] = number
                elif kind == 1:
                    catalogue[number] = (name, numerator, denominator, KpiRole.POPULATION in roles_of(role))
                else:
                    forecasts[number] = (numerator, denominator)
        return cls(versions, catalogue, forecasts)

    @functools.cached_property
    def reads(self) -> dict[int, tuple[int, ...]]:
        """What each KPI's summary reads (`_reads`), worked out once per state."""
        return _reads(self.catalogue)

    def indicator_id(self, code: str) -> int | None:
        return next((pk for pk, (c, *_rest) in self.catalogue.items() if c == code), None)

    def summary_key(self, indicator_id: int, region_id: int | None, span: Period, compare: bool) -> str:
        """The name of a summary as it stands: everything that changes it (the KPI, the
        region, the span, the comparison, the language, the counters of what it reads, the
        engine's code). The selectors keep the summary under it, and its rendered forms
        (`selectors/summary_cache.py`)."""
        read = self.reads.get(indicator_id, (indicator_id,))
        fingerprint = (
            tuple(self.versions.get(f"kpi:{pk}", 0) for pk in read),
            *(self.versions.get(key, 0) for key in ("targets", "regions", "indicators")),
        )
        what = (indicator_id, region_id, str(span), compare, translation.get_language())
        return "summary:" + hashlib.sha256(repr((ENGINE_VERSION, what, fingerprint)).encode()).hexdigest()

    def forecast_key(self, indicator_id: int) -> str:
        """What a summary that shows the KPI's forecast adds to its key: its finished runs."""
        latest, count = self.forecasts.get(indicator_id, (0, 0))
        return f":forecast:{latest}:{count}"

    def kpis_reading(self, changed: Iterable[int]) -> set[int]:
        """The KPIs whose summaries read any of these: themselves, formulas over them at
        any depth; all of them when population changed (every rate reads it)."""
        ids = set(changed)
        return {pk for pk, read in self.reads.items() if ids & set(read)}


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
