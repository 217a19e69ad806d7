"""The analytics pages: the dashboard (national or one region) and its files.

Thin like the portal's other views: the figures come from `selectors.dashboard`, the
charts are drawn by `initiatives.charts`, the files by `projectoffice.table_download`.
"""

import datetime
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.access import is_project_office
from projectoffice.numbers import rounded
from projectoffice.table_download import FORMATS, table_response
from regions.models import Region

from .. import charts
from ..models import KpiRole, Suppression
from ..periods import Period, PeriodError
from ..selectors.dashboard import (
    TABLE_HEADER,
    NoSuchRegion,
    NotVisible,
    Picture,
    dashboard_kpis,
    dashboard_picture,
    dashboard_region,
    figures_as_of,
    period_choices,
    picture_table,
)
from ..selectors.public import (
    GENERATION_KEY,
    NoSuchRelease,
    PublicPage,
    public_csv_rows,
    public_generation,
    public_page,
    public_release_for,
)
from ..selectors.releases import revisions_since_release
from ..selectors.reporting import GRID_HEADER, grid_table, reporting_grid
from ..selectors.villages import VILLAGES_HEADER, alcohol_free_register, register_table
from ..selectors.words import column_labels, period_in_words, span_in_words

# The reporting grid's first year (nothing was reported through the tracker before).
FIRST_GRID_YEAR = 2000


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One URL per picture: `?kpi=CODE&period=PERIOD&region=KATO&measure=value|rate|change`."""
    fmt = request.GET.get("format")
    problems: dict[str, str] = {}
    try:
        region = dashboard_region(request.user, request.GET.get("region"))
    except NoSuchRegion:
        problems["region"] = _("No region has the code “%(code)s”; showing the default.") % {
            "code": _asked(request, "region")
        }
    except NotVisible:
        raise Http404 from None  # another region's: its existence is not told
    kpis = dashboard_kpis()
    asked_kpi = request.GET.get("kpi")
    chosen = next((k for k in kpis if k.code == asked_kpi), None)
    if asked_kpi and chosen is None:
        problems["kpi"] = _("No KPI on the dashboard has the code “%(code)s”; showing the default.") % {
            "code": _asked(request, "kpi")
        }
    if problems:
        return _without_bad_parameters(request, problems, file=fmt in FORMATS)
    chosen = chosen or next((k for k in kpis if k.has_role(KpiRole.HEADLINE)), kpis[0] if kpis else None)
    if chosen is None:
        raise Http404
    period, period_error = None, None
    if request.GET.get("period"):
        try:
            period = Period.parse(request.GET["period"])
        except PeriodError as exc:
            period_error = str(exc)
    as_of, as_of_error = None, None
    if request.GET.get("as_of"):
        as_of = _moment(request.GET["as_of"])
        if as_of is None:
            as_of_error = _("as_of: not a date and time (e.g. 2026-10-01T12:00); the figures are today's.")
    today = timezone.localdate()
    picture = dashboard_picture(
        indicator=chosen,
        region=region,
        period=period,
        today=today,
        measure=request.GET.get("measure", "value"),
        as_of=as_of,
    )
    if fmt in FORMATS:
        where = region.kato if region else "kz"
        return table_response(
            TABLE_HEADER,
            picture_table(picture),
            filename=f"{chosen.code}-{where}-{str(picture.span).replace('/', '_')}",
            fmt=fmt,
            as_of=_local(picture.as_of),
            as_of_label=_("Figures as of"),
            labels=column_labels(TABLE_HEADER),
            sheet_title=chosen.code,
        )
    choices = period_choices(today)
    if not any(str(picture.span) == value for _group, options in choices for value, _label in options):
        choices.insert(0, (_("Chosen"), [(str(picture.span), span_in_words(picture.span))]))
    drawn = _charts(picture, request)
    # Live figures beside the release that published them, where a correction came since.
    own = picture.summary.own
    live = {r.kato: r.value for r in picture.rows}
    live[picture.region.kato if picture.region else ""] = (
        rounded(own.value.value, picture.places) if own.value.complete else None
    )
    revisions = {} if as_of else revisions_since_release(indicator=chosen, span=picture.span, live=live)
    regions = [] if not is_project_office(request.user) else _region_choices()
    return render(
        request,
        "portal/dashboard.html",
        {
            "kpis": kpis,
            "chosen": chosen,
            "picture": picture,
            "summary": picture.summary,
            "period_choices": choices,
            "period_error": period_error,
            "region_choices": regions,
            "charts": drawn,
            "as_of_error": as_of_error,
            "revised_own": revisions.get(picture.region.kato if picture.region else ""),
            "table": [
                (r, spark, revisions.get(r.kato)) for r, spark in zip(picture.rows, drawn["sparks"], strict=True)
            ],
            "download": {fmt: _link(request, format=fmt) for fmt in FORMATS},
        },
    )


@login_required
def reporting(request: HttpRequest) -> HttpResponse:
    """Regions (and their branches) x the year's reporting periods: each report's state and
    whether it came on time; the reporting rate per region and nationally."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = 0
    if not FIRST_GRID_YEAR <= year <= today.year + 1:
        problem = _("“%(year)s” is not a year of the grid (%(first)s to %(last)s); showing this year.") % {
            "year": _asked(request, "year"),
            "first": FIRST_GRID_YEAR,
            "last": today.year + 1,
        }
        return _without_bad_parameters(request, {"year": problem}, file=request.GET.get("format") in FORMATS)
    grid = reporting_grid(user=request.user, year=year, today=today)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return table_response(
            GRID_HEADER,
            grid_table(grid),
            filename=f"reporting-{year}",
            fmt=fmt,
            as_of=_local(figures_as_of()),
            as_of_label=_("Figures as of"),
            labels=column_labels(GRID_HEADER),
            sheet_title=f"reporting {year}",
        )
    return render(
        request,
        "portal/reporting.html",
        {
            "grid": grid,
            "years": list(range(today.year, today.year - 4, -1)),
            "office": is_project_office(request.user),
            "as_of": figures_as_of(),
            "download": {fmt: _link(request, format=fmt) for fmt in FORMATS},
        },
    )


@login_required
def villages(request: HttpRequest) -> HttpResponse:
    """The alcohol-free register: every village with its stage, the counts by region, and
    offences before and after each decision where figures that fine exist."""
    try:
        region = dashboard_region(request.user, request.GET.get("region"))
    except NotVisible:
        raise Http404 from None
    register = alcohol_free_register(user=request.user, region=region, today=timezone.localdate())
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        where = region.kato if region else "kz"
        return table_response(
            VILLAGES_HEADER,
            register_table(register),
            filename=f"villages-{where}",
            fmt=fmt,
            as_of=_local(figures_as_of()),
            as_of_label=_("Figures as of"),
            labels=column_labels(VILLAGES_HEADER),
            sheet_title="villages",
        )
    return render(
        request,
        "portal/villages.html",
        {
            "register": register,
            "region": region,
            "as_of": figures_as_of(),
            "download": {fmt: _link(request, format=fmt) for fmt in FORMATS},
        },
    )


# A public page stays cached this long (a new release has a key of its own at once).
PUBLIC_CACHE_SECONDS = 24 * 60 * 60


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """The latest published release (or that of `?period=`) for everyone, without a log-in:
    one KPI (`?kpi=`) by first-level region with its charts, or `?format=csv`. Small
    counts are withheld (the public figures frozen at confirmation). Whole responses are
    cached per language, KPI, period and format under the release they show and the
    token of what the public may see: a cached one costs one cache read, no query."""
    language = translation.get_language()
    kpi, period = request.GET.get("kpi", "")[:80], request.GET.get("period", "")[:40]
    fmt = "csv" if request.GET.get("format") == "csv" else "html"
    key = "public:" + hashlib.sha256(repr((language, kpi, period, fmt)).encode()).hexdigest()
    # One round trip: the response and the token of what the public may see; a response
    # made under another token (a release confirmed or withdrawn since) is made again.
    found = cache.get_many([GENERATION_KEY, key])
    entry = found.get(key)
    if entry is None or entry[0] != found.get(GENERATION_KEY):
        generation = public_generation()
        # A period or KPI the public page cannot show is said on the page, above the
        # default shown instead; such a page is not kept (any text would fill the cache).
        problems, bad = [], set()
        try:
            release = public_release_for(period or None)
        except NoSuchRelease:
            bad.add("period")
            problems.append(
                _("No published release covers the period “%(period)s”; showing the latest.")
                % {"period": _asked(request, "period")}
            )
            release = public_release_for(None)
        page = None
        if release is not None:
            try:
                page = public_page(release=release, kpi=kpi or None)
            except NoSuchRelease:
                bad.add("kpi")
                problems.append(
                    _("The release has no indicator with the code “%(code)s”; showing the default.")
                    % {"code": _asked(request, "kpi")}
                )
                try:
                    page = public_page(release=release, kpi=None)
                except NoSuchRelease:
                    raise Http404 from None  # a release without a figure
        if problems and fmt == "csv":
            raise Http404  # a file of other figures than asked for would mislead
        if page is None:
            return render(
                request,
                "public/page.html",
                {"page": None, "problems": problems, "language_links": _language_links(request, drop=bad)},
            )
        made = _public_response(request, page, fmt, problems, drop=bad)
        if problems:
            return made
        entry = (generation, page.release.pk, made.content, made["Content-Type"], made.get("Content-Disposition", ""))
        cache.set(key, entry, timeout=PUBLIC_CACHE_SECONDS)
    _generation, _release, body, content_type, disposition = entry
    response = HttpResponse(body, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = "public, max-age=60"
    return response


def _public_response(
    request: HttpRequest, page: PublicPage, fmt: str, problems: list[str], *, drop: set[str]
) -> HttpResponse:
    if fmt == "csv":
        header, rows = public_csv_rows(page, _("Kazakhstan"))
        where = page.release.period.replace("/", "_")
        return table_response(
            header, rows, filename=f"public-{page.chosen.code}-{where}", fmt="csv", labels=column_labels(header)
        )
    return render(
        request,
        "public/page.html",
        {
            "page": page,
            "problems": problems,
            "period_words": span_in_words(page.release.span),
            "period_options": [(p, period_in_words(p)) for p in page.periods],
            "charts": _public_charts(page),
            "language_links": _language_links(request, drop=drop),
            "csv_link": _link(request, drop=drop, format="csv"),
        },
    )


def _asked(request: HttpRequest, name: str) -> str:
    """What the reader typed for `name`, short enough to quote back to them."""
    text = request.GET.get(name, "")
    return text if len(text) <= 40 else text[:40] + "…"


def _without_bad_parameters(request: HttpRequest, problems: dict[str, str], *, file: bool) -> HttpResponse:
    """The page again without the parameters it could not use, each problem said in the
    reader's language above the default it shows instead. A file asked for with a bad
    parameter is not found: a file of other figures than asked for would mislead."""
    if file:
        raise Http404
    for problem in problems.values():
        messages.warning(request, problem)
    query: dict[str, str] = {k: str(v) for k, v in request.GET.items() if k not in problems}
    return redirect(f"{request.path}?{urlencode(query)}" if query else request.path)


def _language_links(request: HttpRequest, *, drop: set[str]) -> list[tuple[str, str]]:
    return [(code, _link(request, drop=drop, lang=code)) for code in ("kk", "ru", "en")]


def _public_charts(page: PublicPage) -> dict[str, Any]:
    places = page.chosen.decimal_places
    regions = [r for r in page.rows if r.kato]
    # A withheld count shows its mark on the map as in the table, not "no complete figure".
    marks: dict[str, str] = {Suppression.BELOW_THRESHOLD: page.below_label, Suppression.SECONDARY: "x"}
    return {
        "map": charts.tile_map(
            [(r.kato, r.name, r.value) for r in regions],
            title=_("Map of the regions: %(measure)s") % {"measure": page.chosen.name},
            measure_label=page.chosen.name,
            places=places,
            marks={r.kato: marks[r.value_mark] for r in regions if r.value_mark in marks},
        ),
        "ranking": charts.ranking(
            [(r.name, r.value) for r in regions],
            title=_("Regions ranked by %(measure)s") % {"measure": page.chosen.name},
            places=places,
        ),
    }


def _moment(text: str) -> datetime.datetime | None:
    """An ISO date-time (or date) from the URL, in the site's time zone when it names none."""
    try:
        found = parse_datetime(text)
        day = None if found else parse_date(text)
    except ValueError:
        return None
    if day is not None:
        found = datetime.datetime.combine(day, datetime.time())
    if found is not None and timezone.is_naive(found):
        found = timezone.make_aware(found)
    return found


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _link(request: HttpRequest, drop: set[str] | frozenset[str] = frozenset(), **changes: str) -> str:
    """This page's URL with `changes`, without `format` and the parameters in `drop`."""
    query: dict[str, str] = {k: str(v) for k, v in request.GET.items() if k != "format" and k not in drop}
    query.update(changes)
    return f"{request.path}?{urlencode(query)}"


def _region_choices() -> list[tuple[str, str]]:
    """The office may open the nation or any first-level region."""
    return [(r.kato, str(r)) for r in Region.objects.top_level().order_by("kato")]


def _charts(picture: Picture, request: HttpRequest) -> dict[str, Any]:
    measure = picture.measure
    labels = {
        "value": picture.indicator.name,
        "rate": _("Per 10,000 population"),
        "change": _("Change on a year before, %"),
    }
    places = 1 if measure in ("rate", "change") else picture.places
    tiles = [(r.kato, r.name, r.measure(measure)) for r in picture.rows]
    links = {r.kato: _link(request, region=r.kato) for r in picture.rows}
    national = picture.region is None
    return {
        "trend": charts.trend(
            picture.trend_labels,
            picture.trend,
            title=_("%(kpi)s by month, this year against last") % {"kpi": picture.indicator.name},
            places=picture.places,
        ),
        "ranking": charts.ranking(
            [(r.name, r.measure(measure)) for r in picture.rows],
            title=(_("Regions ranked by %(measure)s") if national else _("Districts ranked by %(measure)s"))
            % {"measure": labels[measure]},
            places=places,
            suffix="%" if measure == "change" else "",
        ),
        # A card of bars only where a unit has a figure to rank.
        "ranked": any(r.measure(measure) is not None for r in picture.rows),
        "map": charts.tile_map(
            tiles,
            title=_("Map of the regions: %(measure)s") % {"measure": labels[measure]},
            measure_label=labels[measure],
            diverging=measure == "change",
            places=places,
            links=links,
        )
        if national
        else None,
        "sparks": [charts.sparkline(r.spark, title=_("%(name)s by month") % {"name": r.name}) for r in picture.rows],
        "measures": [(m, labels[m]) for m in ("value", "rate", "change") if m != "rate" or picture.show_rate],
        "moved_ranking": charts.ranking(
            [(m.indicator.name, m.change_percent) for m in picture.moved if m.change_percent is not None],
            title=_("Change on a year before, %"),
            places=1,
            keep_order=True,
            suffix="%",
        )
        if picture.moved
        else None,
    }
