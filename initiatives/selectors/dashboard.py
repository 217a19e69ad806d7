"""The analytics dashboard's reads: which span to show, the headline, a row per region,
the monthly trend, the sparklines and what moved most.

The headline and the rows are the KPI summary itself (`summary_cached`, the one the API
answers), so the page and the API never disagree. Everything else is computed on two
rollup books (`RollupBook`), each fetched once and asked many spans: one of the chosen
KPI (the default span, the trend, the sparklines), one of the offence group over the span
and the year before (what moved most). So a cold page costs a fixed number of queries
whatever the number of regions, KPIs or values; and what it computed is cached under the
same version counters as the summaries, so the next reader computes nothing until a
figure changes.
"""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.access import coordinator_regions, is_project_office, region_is_visible
from projectoffice.numbers import rounded
from regions.kato import KATO_PATTERN
from regions.models import Region

from ..engine.aggregation import Figure, Gap, Rules, figure
from ..engine.asof import AsOfBook
from ..engine.facts import RollupBook, rules_of
from ..engine.figure_state import ENGINE_VERSION, FigureState, dashboard_span, latest_complete_span
from ..engine.summary import Summary, percent_change, summary_rules, summary_window
from ..models import Aggregation, Campaign, ImportBatch, Indicator, IndicatorGroup, KpiRole, Report
from ..periods import Month, Period
from ..statistics.models import ImportStatus
from .summary_cache import TIMEOUT_SECONDS, as_of_suffix, summary_cached
from .words import estimate_in_words, gaps_in_words, month_name, span_in_words, status_in_words

# The one register KPI shown with the settlements declared but not yet verified.

MEASURES = ("value", "rate", "change")


class NotVisible(LookupError):
    """No such region among the caller's (told as "not found": its existence is not told)."""


class NoSuchRegion(NotVisible):
    """The code names no region at all: not a KATO code, or (for the office, who may see
    every region) none that exists. Said to the reader, who is shown the default instead;
    a coordinator is never told whether a well-formed code exists."""


def dashboard_kpis() -> list[Indicator]:
    """The KPIs the picker offers: those with a national figure (they add up across
    regions, or are a formula of KPIs that do)."""
    return list(
        Indicator.objects.active()
        .select_related("numerator__numerator", "denominator__denominator")  # what rules_of reads
        .exclude(aggregation_regions=Aggregation.NONE)
        .without_role(KpiRole.POPULATION)
        .order_by("group", "code")
    )


def dashboard_region(user: Any, kato: str | None) -> Region | None:
    """The region asked for, if the caller may read it; None is the nation. A coordinator
    who names none gets their own region, never the nation."""
    if not kato:
        if is_project_office(user):
            return None
        mine = coordinator_regions(user)
        if not mine:
            raise NotVisible(kato)
        return mine[0]
    if not KATO_PATTERN.match(kato):
        raise NoSuchRegion(kato)
    region = Region.objects.filter(kato=kato).first()
    if region is None and is_project_office(user):
        raise NoSuchRegion(kato)
    if region is None or not region_is_visible(user, region):
        raise NotVisible(kato)
    return region


def reporting_year_months(today: datetime.date) -> tuple[int, Month]:
    """The year the dashboard opens on and its last month that is over: this year to last
    month, or last year in January (the engine's `dashboard_span`)."""
    last = dashboard_span(Month.from_date(today)).end
    return last.year, last


def period_choices(today: datetime.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The period picker's groups: year to date, months, quarters, half-years, years."""
    year, last = reporting_year_months(today)
    ytd = [Period(Month(y, 1), Month(y, m)) for y in (year, year - 1) for m in range(12, 1, -1) if Month(y, m) <= last]
    months = [Period(last.plus(-n), last.plus(-n)) for n in range(24)]
    quarters = [Period.quarter(y, q) for y in (year, year - 1, year - 2) for q in (4, 3, 2, 1)]
    halves = [Period.half_year(y, h) for y in (year, year - 1, year - 2) for h in (2, 1)]
    years = [Period.year(y) for y in range(year, year - 5, -1)]

    def done(periods: list[Period]) -> list[tuple[str, str]]:
        return [(str(p), span_in_words(p)) for p in periods if p.is_over(today) or p.kind == "year"]

    return [
        (_("Year to date"), done(ytd)),
        (_("Month"), done(months)),
        (_("Quarter"), done(quarters)),
        (_("Half-year"), done(halves)),
        (_("Year"), done(years)),
    ]


@dataclass
class Row:
    kato: str
    name: str
    value: Decimal | None
    previous: Decimal | None
    change_percent: Decimal | None
    rate: Decimal | None
    target: Decimal | None
    status: str
    spark: list[Decimal | None]

    def measure(self, name: str) -> Decimal | None:
        return {"value": self.value, "rate": self.rate, "change": self.change_percent}.get(name)


@dataclass
class Moved:
    indicator: Indicator
    value: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    change_percent: Decimal | None


@dataclass
class Picture:
    indicator: Indicator
    region: Region | None
    span: Period
    span_words: str
    is_default: bool
    summary: Summary
    show_rate: bool
    estimate_words: str
    notes: list[str]
    rate_notes: list[str]
    rows: list[Row]
    trend_labels: list[str]
    trend: list[tuple[str, list[Decimal | None]]]
    moved: list[Moved]
    as_of: datetime.datetime | None
    measure: str
    places: int
    breakdown_notes: list[str] = field(default_factory=list)
    breakdown_rate_notes: list[str] = field(default_factory=list)
    # For the alcohol-free count: the settlements declared (not yet verified) beside it.
    declared: int | None = None
    # The moment asked for (`as_of=`): every figure from the values as committed by then.
    asked_as_of: datetime.datetime | None = None

    @property
    def previous_words(self) -> str:
        return span_in_words(self.summary.previous_span)

    @property
    def number_format(self) -> str:
        """The template's `floatformat` for this KPI: its places, grouped by thousands."""
        return f"{self.places}g"


def figures_as_of() -> datetime.datetime | None:
    """When the figures last changed: the newest import that wrote, or approval."""
    imported = ImportBatch.objects.filter(status=ImportStatus.SUCCEEDED, dry_run=False).aggregate(
        at=Max("finished_at")
    )["at"]
    approved = Report.objects.aggregate(at=Max("approved_at"))["at"]
    found = [t for t in (imported, approved) if t is not None]
    return max(found) if found else None


def _offence_kpis() -> list[Indicator]:
    return list(
        Indicator.objects.active().filter(group=IndicatorGroup.OFFENCES, numerator__isnull=True).order_by("code")
    )


@dataclass
class Extras:
    """The chosen KPI's trend and sparklines, computed on its rollup book: kept in the
    cache under that KPI's version counters (and those of what it reads), as its summary
    is; what moved most is the offence group's, kept under the group's own key."""

    this_year: list[Decimal | None]
    last_year: list[Decimal | None]
    sparks: dict[str, list[Decimal | None]]


MovedNumbers = list[tuple[int, Decimal | None, Decimal | None, Decimal | None, Decimal | None]]


def _book(
    *, rules: Any, region: Region | None, earliest: Month, latest: Month, as_of: datetime.datetime | None
) -> RollupBook:
    """The rollups as they stand, or as they stood at `as_of`."""
    if as_of is not None:
        return AsOfBook(rules=rules, region=region, earliest=earliest, latest=latest, as_of=as_of)
    return RollupBook(rules=rules, region=region, earliest=earliest, latest=latest)


def _extras_key(state: FigureState, what: str, ids: list[int], region: Region | None, span: Period) -> str:
    keys = [state.summary_key(pk, region.pk if region else None, span, True) for pk in ids]
    return "dashboard:" + hashlib.sha256(repr((what, keys)).encode()).hexdigest()


def default_span(
    *,
    indicator: Indicator,
    region: Region | None,
    today: datetime.date,
    state: FigureState | None = None,
    book: Callable[[], RollupBook] | None = None,
    as_of: datetime.datetime | None = None,
) -> Period:
    """The span a page opens on for this KPI and region: the latest from January whose
    figure is complete. Which span that is changes only when the figures do, so it is
    kept in the cache under the same version counters as the summaries."""
    state = state or FigureState.now()
    year, last = reporting_year_months(today)
    key = _extras_key(state, f"default:{last}{as_of_suffix(as_of)}", [indicator.pk], region, Period.year(year))
    found = cache.get(key)
    if found is None:
        rules = rules_of(indicator)
        made = (
            book()
            if book
            else _book(
                rules=summary_rules(rules),
                region=region,
                earliest=Month(year - 1, 1),
                latest=Month(year, 12),
                as_of=as_of,
            )
        )
        found = latest_complete_span(made, rules, region.pk if region is not None else None, year, last)
        cache.set(key, found, timeout=TIMEOUT_SECONDS)
    return found  # type: ignore[no-any-return]


class PictureBooks:
    """The book cache of one picture: one book of the chosen KPI (and population) for the
    default span, the summary, the trend and the sparklines, read once; a span reaching
    further needs its own. The summary takes only a book of exactly its months: the
    figures then cannot differ from the API's (how deep the tree goes depends on the
    months read)."""

    def __init__(self, *, rules: Rules, region: Region | None, as_of: datetime.datetime | None) -> None:
        self.rules, self.region, self.as_of = rules, region, as_of
        self._books: dict[tuple[int, int], RollupBook] = {}
        self._book_rules: list[Rules] = []

    def covering(self, earliest: Month, latest: Month, exact: bool = False) -> RollupBook:
        for (first, end), found in self._books.items():
            if (first, end) == (earliest.index, latest.index) or (
                not exact and first <= earliest.index and latest.index <= end
            ):
                return found
        if not self._book_rules:
            self._book_rules.extend(summary_rules(self.rules))
        made = _book(rules=self._book_rules, region=self.region, earliest=earliest, latest=latest, as_of=self.as_of)
        self._books[(earliest.index, latest.index)] = made
        return made


def dashboard_picture(
    *,
    indicator: Indicator,
    region: Region | None,
    period: Period | None,
    today: datetime.date,
    measure: str,
    as_of: datetime.datetime | None = None,
) -> Picture:
    """The dashboard of one KPI for the nation or one region, over `period` (the default
    span when None): the summary's headline and rows, with the trend, the sparklines and
    what moved most."""
    rules = rules_of(indicator)  # `indicator` from dashboard_kpis(), its formula fetched with it
    offences = _offence_kpis()
    year, last = reporting_year_months(today)
    state = FigureState.now()
    books = PictureBooks(rules=rules, region=region, as_of=as_of)
    if period is None:
        span = default_span(
            indicator=indicator,
            region=region,
            today=today,
            state=state,
            book=lambda: books.covering(Month(year - 1, 1), Month(year, 12)),
            as_of=as_of,
        )
    else:
        span = period
    summary = summary_cached(
        indicator=indicator,
        region=region,
        span=span,
        state=state,
        as_of=as_of,
        lend_book=lambda first, last: books.covering(first, last, exact=True),
    )
    extras, moved = _extras_and_moved(
        indicator=indicator, offences=offences, books=books, span=span, last=last, state=state
    )
    places = indicator.decimal_places
    show_rate = indicator.has_rate_per_10k
    shown_year = span.end.year
    own = summary.own
    rate_gaps, breakdown_rate_gaps = _rate_gaps(summary) if show_rate else ([], [])
    estimate = summary.estimate
    population = summary.population
    return Picture(
        indicator=indicator,
        region=region,
        span=span,
        span_words=span_in_words(span),
        is_default=period is None,
        summary=summary,
        show_rate=show_rate,
        estimate_words=estimate_in_words(estimate.method, estimate.is_estimate, span.end.year) if estimate else "",
        notes=gaps_in_words(own.value.missing, population=population),
        rate_notes=gaps_in_words([g for g in rate_gaps if g.kpi == population], population=population),
        breakdown_rate_notes=gaps_in_words(
            [g for g in breakdown_rate_gaps if g.kpi == population], population=population
        ),
        rows=_rows(summary, extras, places=places, show_rate=show_rate),
        trend_labels=[month_name(Month(shown_year, m))[:3] for m in range(1, 13)],
        trend=[(str(shown_year), extras.this_year), (str(shown_year - 1), extras.last_year)],
        moved=moved,
        as_of=as_of or figures_as_of(),
        asked_as_of=as_of,
        measure=measure if measure in MEASURES and (measure != "rate" or show_rate) else "value",
        places=places,
        declared=_declared_beside(indicator, region, span),
        breakdown_notes=[]
        if own.value.missing
        else gaps_in_words([g for r in summary.breakdown for g in r.value.missing], population=population),
    )


def _extras_and_moved(
    *,
    indicator: Indicator,
    offences: list[Indicator],
    books: PictureBooks,
    span: Period,
    last: Month,
    state: FigureState,
) -> tuple[Extras, list[Moved]]:
    """The chosen KPI's trend and sparklines and what moved most, from the cache (one
    read of both) or computed and kept there. The chart of the KPI shown is keyed by
    that KPI alone; what moved most, the same whichever offence is shown, by the whole
    group."""
    region, as_of = books.region, books.as_of
    offence_rules = {k.pk: rules_of(k) for k in offences}
    key = _extras_key(state, f"extras:{last}{as_of_suffix(as_of)}", [indicator.pk], region, span)
    moved_key = _extras_key(state, f"moved{as_of_suffix(as_of)}", sorted(offence_rules), region, span)
    found = cache.get_many([key, moved_key])
    extras: Extras | None = found.get(key)
    moved_numbers: MovedNumbers | None = found.get(moved_key)
    if moved_numbers is None:
        moved_numbers = _moved_all(offences, offence_rules, region, span, as_of)
        cache.set(moved_key, moved_numbers, timeout=TIMEOUT_SECONDS)
    if extras is None:
        # The summary's own book, when it was computed here.
        extras = picture_extras(
            book=books.covering(*summary_window(span)),
            rules=books.rules,
            region=region,
            span=span,
            last=last,
            places=indicator.decimal_places,
        )
        cache.set(key, extras, timeout=TIMEOUT_SECONDS)
    by_pk = {k.pk: k for k in offences}
    moved = [Moved(by_pk[pk], *numbers) for pk, *numbers in moved_numbers]
    moved.sort(key=lambda m: (m.change_percent is None, m.change_percent or 0, m.indicator.code))
    return extras, moved


def picture_extras(
    *, book: RollupBook, rules: Rules, region: Region | None, span: Period, last: Month, places: int
) -> Extras:
    """The monthly trend of the span's year against the year before, and a sparkline per
    unit of the breakdown from January to the span's end, computed on `book`."""
    shown_year = span.end.year
    region_id = region.pk if region is not None else None
    # This year's line runs to the last month that is over; a past year's to December.
    months_shown = 12 if shown_year < last.year else (last.month if shown_year == last.year else 0)
    spark_span = Period(Month(shown_year, 1), span.end)
    children = {c.kato: c.id for c in book.children_during(region_id, span)}
    months = {y: range(1, (months_shown if y == shown_year else 12) + 1) for y in (shown_year, shown_year - 1)}
    by_month: dict[tuple[int, int], dict[str, Decimal | None]] = {}
    if region_id is None:
        trend = _national_trend(book, rules, months, places, by_month)
    else:
        trend = {
            (y, m): _value(figure(book, rules, region_id, Period.month(y, m)), places)
            for y, ms in months.items()
            for m in ms
        }
    return Extras(
        this_year=[trend[(shown_year, m)] for m in months[shown_year]],
        last_year=[trend[(shown_year - 1, m)] for m in months[shown_year - 1]],
        sparks={
            kato: [
                by_month[(p.end.year, p.end.month)].get(kato)
                if (p.end.year, p.end.month) in by_month
                else _value(figure(book, rules, child, p), places)
                for p in spark_span.each_month()
            ]
            for kato, child in children.items()
        },
    )


def _national_trend(
    book: RollupBook,
    rules: Rules,
    months: dict[int, range],
    places: int,
    by_month: dict[tuple[int, int], dict[str, Decimal | None]],
) -> dict[tuple[int, int], Decimal | None]:
    """The nation's months, each region's month computed once (kept in `by_month` for its
    sparkline): the nation has no values of its own, so for a KPI that adds up across
    regions its month is the regions' sum when all are complete (as `figure` adds them).
    A formula is a ratio of sums: the nation's own figure."""
    summable = rules.aggregation_regions == "sum" and not rules.is_formula
    trend = {}
    for y, ms in months.items():
        for m in ms:
            month = Period.month(y, m)
            alive = {c.kato: c.id for c in book.children_during(None, month)}
            by_month[(y, m)] = {k: _value(figure(book, rules, c, month), places) for k, c in alive.items()}
            trend[(y, m)] = (
                _total(by_month[(y, m)], places) if summable else _value(figure(book, rules, None, month), places)
            )
    return trend


def _rows(summary: Summary, extras: Extras, *, places: int, show_rate: bool) -> list[Row]:
    """A row per unit of the summary's breakdown, with its sparkline."""
    return [
        Row(
            kato=r.kato or "",
            name=r.name,
            value=rounded(r.value.value, places),
            previous=rounded(r.previous.value, places),
            change_percent=r.change_percent,
            rate=rounded(r.rate_per_10k.value, 1) if show_rate and r.rate_per_10k else None,
            target=rounded(r.target, places),
            status=r.status,
            spark=extras.sparks.get(r.kato or "", []),
        )
        for r in summary.breakdown
    ]


def _rate_gaps(summary: Summary) -> tuple[list[Gap], list[Gap]]:
    """The shown region's (or nation's) missing population is a warning beside its own
    rate; a unit's below it only explains that unit's dash in the table (said once)."""
    own = summary.own
    rate_gaps = own.rate_per_10k.missing if own.rate_per_10k else []
    breakdown: list[Gap] = []
    for figures in summary.breakdown:
        breakdown += figures.rate_per_10k.missing if figures.rate_per_10k else []
    return rate_gaps, [g for g in breakdown if g not in rate_gaps]


def _declared_beside(indicator: Indicator, region: Region | None, span: Period) -> int | None:
    """For the alcohol-free count only: the settlements declared, not yet verified."""
    if not indicator.has_role(KpiRole.ALCOHOL_FREE):
        return None
    return register_declared(region=region, on=span.end.last_day)


def register_declared(*, region: Region | None, on: datetime.date) -> int:
    """Alcohol-free settlements declared by `on` and not (yet) verified nor lapsed: shown
    beside the count, which is of verified and sustained ones only."""
    found = Campaign.objects.alcohol_free().filter(declared_on__lte=on).exclude(verified_on__lte=on)
    found = found.exclude(sustained_on__lte=on).exclude(lapsed_on__lte=on)
    if region is not None:
        found = found.filter(region__in=Region.objects.descendants_of(region))
    return found.count()


def _moved_all(
    offences: list[Indicator],
    offence_rules: dict[int, Rules],
    region: Region | None,
    span: Period,
    as_of: datetime.datetime | None = None,
) -> MovedNumbers:
    """What moved most, on a book of its own over the span and the year before: where the
    rollups prove the regions' sums complete (statistics by region) it never fetches the
    regions one by one, whatever the number of KPIs."""
    if not offences:
        return []
    previous = span.year_before()
    book = _book(rules=offence_rules.values(), region=region, earliest=previous.start, latest=span.end, as_of=as_of)
    region_id = region.pk if region is not None else None
    return [
        _moved(k.pk, figure(book, rule, region_id, span), figure(book, rule, region_id, previous), k)
        for k in offences
        for rule in [offence_rules[k.pk]]
    ]


def _total(row: dict[str, Decimal | None], places: int) -> Decimal | None:
    known = [v for v in row.values() if v is not None]
    return rounded(sum(known, Decimal(0)), places) if row and len(known) == len(row) else None


def _moved(
    pk: int, now: Figure, before: Figure, kpi: Indicator
) -> tuple[int, Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """A KPI's change on a year before, in numbers and in %."""
    places = kpi.decimal_places
    change = percent = None
    if now.complete and before.complete and now.value is not None and before.value is not None:
        change = now.value - before.value
        percent = percent_change(now.value, before.value)
    return (
        pk,
        rounded(now.value, places) if now.complete else None,
        rounded(before.value, places) if before.complete else None,
        rounded(change, places),
        percent,
    )


def _value(f: Figure, places: int) -> Decimal | None:
    return rounded(f.value, places) if f.complete else None


TABLE_HEADER = "kato name value previous change_percent rate_per_10k target status status_name".split()


def picture_table(picture: Picture) -> list[list[Any]]:
    """The page's table for the files: the region (or nation) itself first, with an empty
    KATO for the nation, then a row per region of the breakdown."""
    own = picture.summary.own
    places = picture.places
    target = picture.summary.target.target_value if picture.summary.target else None
    first = [
        own.kato or "",
        own.name,
        rounded(own.value.value, places),
        rounded(own.previous.value, places),
        own.change_percent,
        rounded(own.rate_per_10k.value, 1) if picture.show_rate and own.rate_per_10k else None,
        rounded(target, places),
        picture.summary.status,
        status_in_words(picture.summary.status),
    ]
    rows = [
        [r.kato, r.name, r.value, r.previous, r.change_percent, r.rate, r.target, r.status, status_in_words(r.status)]
        for r in picture.rows
    ]
    return [first, *rows]


def picture_live(picture: Picture) -> dict[str, Decimal | None]:
    """The figures the picture shows, by KATO ("" for its own region or the nation), as
    rounded as the table shows them: what a release's published figures are compared
    with."""
    own = picture.summary.own
    live = {r.kato: r.value for r in picture.rows}
    live[picture.region.kato if picture.region else ""] = (
        rounded(own.value.value, picture.places) if own.value.complete else None
    )
    return live


# --- The page's figures, rendered once per figures version (portal/dashboard_views.py) ----


def _code_version() -> str:
    """The code a rendered page comes from (the view, these selectors, the charts, the
    template of the figures, the engine): a deployment that changes any of them names
    every page anew, so the cache never serves what an older release drew."""
    root = Path(__file__).resolve().parents[1]
    files = [
        root / "portal" / "dashboard_views.py",
        root / "selectors" / "dashboard.py",
        root / "selectors" / "words.py",
        root / "charts.py",
        Path(settings.BASE_DIR) / "templates" / "portal" / "dashboard_figures.html",
        Path(settings.BASE_DIR) / "templates" / "portal" / "status.html",
    ]
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for path in files:
        digest.update(path.read_bytes() if path.exists() else path.name.encode())
    return digest.hexdigest()[:16]


PAGE_CODE_VERSION = _code_version()


def dashboard_page_key(
    *,
    state: FigureState,
    indicator_id: int,
    region_id: int | None,
    asked: list[tuple[str, list[str]]],
    office: bool,
    today: datetime.date,
) -> str:
    """The name of a dashboard's figures as they stand: everything that changes the page
    below its pickers. The KPI, the region, every parameter asked (period, measure), who
    reads (the office or a coordinator: the region's figures are the same for anyone who
    may see them), today (the default span, the period choices, the estimate), the
    language; the version counters of every figure, target, region and KPI and the
    finished forecast runs (`FigureState`: a finished run is never rewritten, its track
    record with it, as `selectors/forecasts.node_run` keeps them); and, in one small query,
    the moments of what the page shows beside the figures: the newest import and approval
    ("figures as of"), the releases (revised since release), the campaign register
    (settlements declared). A change to any of them names a new page."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT MAX(finished_at) FROM initiatives_importbatch WHERE status = %s AND NOT dry_run),"
            " (SELECT MAX(approved_at) FROM initiatives_report),"
            " (SELECT MAX(updated_at) FROM initiatives_release), (SELECT MAX(confirmed_at) FROM initiatives_release),"
            " (SELECT COUNT(*) FROM initiatives_release),"
            " (SELECT MAX(updated_at) FROM initiatives_campaign), (SELECT COUNT(*) FROM initiatives_campaign)",
            [ImportStatus.SUCCEEDED.value],
        )
        moments = tuple(str(m) for m in cursor.fetchone() or ())
    what = (
        PAGE_CODE_VERSION,
        indicator_id,
        region_id,
        sorted(asked),
        office,
        today.isoformat(),
        translation.get_language(),
        sorted(state.versions.items()),
        sorted(state.forecasts.items()),
        moments,
    )
    return "dashboard-page:" + hashlib.sha256(repr(what).encode()).hexdigest()


def dashboard_page_cached(key: str, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The figures of a page (its rendered HTML and what its pickers show) from the cache
    under `key` (`dashboard_page_key`), rendered and kept there when missing."""
    found = cache.get(key)  # a Redis that is down answers None (projectoffice/cache.py)
    if found is None:
        found = render()
        cache.set(key, found, timeout=TIMEOUT_SECONDS)
    return found  # type: ignore[no-any-return]
