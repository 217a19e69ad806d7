"""The analytics pages: the dashboard (national or one region) and its files, and
early warning's alerts (`alerts`, with the office's review of each).

Thin like the portal's other views: the figures come from `selectors.dashboard`, the
charts are drawn by `initiatives.charts`, the files by `projectoffice.table_download`.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agencies.access import is_project_office
from projectoffice.table_download import FORMATS, table_response
from regions.models import Region

from .. import charts
from ..alerts.models import Adverse, Alert
from ..alerts.selectors import (
    AlertRecord,
    AlertStrip,
    alert_kpis,
    alert_months,
    alert_record,
    alert_regions,
    alert_strip,
    alert_visible,
    alerts_filtered,
    alerts_visible_to,
)
from ..alerts.services import alert_review, alert_review_clear
from ..models import Indicator
from ..periods import Month, Period, PeriodError
from ..selectors.dashboard import (
    TABLE_HEADER,
    NoSuchRegion,
    NotVisible,
    Picture,
    dashboard_kpis,
    dashboard_page_cached,
    dashboard_page_key,
    dashboard_picture,
    dashboard_region,
    figures_as_of,
    period_choices,
    picture_live,
    picture_table,
)
from ..selectors.figures import figure_state
from ..selectors.forecasts import DashboardForecast, dashboard_forecast, forecast_records
from ..selectors.kpi_forecast import summary_forecast, summary_status
from ..selectors.kpi_roles import kpi_shown
from ..selectors.releases import revisions_since_release
from ..selectors.reporting import GRID_HEADER, grid_table, reporting_grid
from ..selectors.villages import VILLAGES_HEADER, alcohol_free_register, register_table
from ..selectors.words import column_labels, month_name, span_in_words
from .links import asked, link

# The reporting grid's first year (nothing was reported through the tracker before).
FIRST_GRID_YEAR = 2000
# Alerts a page of /dashboard/alerts/ lists.
ALERTS_PER_PAGE = 50


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One URL per picture: `?kpi=CODE&period=PERIOD&region=KATO&measure=value|rate|change`."""
    fmt = request.GET.get("format")
    problems: dict[str, str] = {}
    try:
        region = dashboard_region(request.user, request.GET.get("region"))
    except NoSuchRegion:
        problems["region"] = _("No region has the code “%(code)s”; showing the default.") % {
            "code": asked(request, "region")
        }
    except NotVisible:
        raise Http404 from None  # another region's: its existence is not told
    kpis = dashboard_kpis()
    asked_kpi = request.GET.get("kpi")
    chosen = kpi_shown(kpis, asked_kpi)
    if asked_kpi and chosen is None:
        problems["kpi"] = _("No KPI on the dashboard has the code “%(code)s”; showing the default.") % {
            "code": asked(request, "kpi")
        }
    if problems:
        return _without_bad_parameters(request, problems, file=fmt in FORMATS)
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
    measure = request.GET.get("measure", "value")
    if fmt in FORMATS:
        picture = _picture(chosen, region, period, today, measure, as_of)
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

    def figures() -> dict[str, Any]:
        return _figures(request, chosen, region, period, today, measure, as_of, as_of_error)

    office = is_project_office(request.user)
    if "as_of" in request.GET:  # figures of a past moment: asked rarely, drawn each time
        drawn = figures()
    else:
        key = dashboard_page_key(
            state=figure_state(),
            indicator_id=chosen.pk,
            region_id=region.pk if region else None,
            asked=sorted(request.GET.lists()),
            office=office,
            today=today,
        )
        drawn = dashboard_page_cached(key, figures)
    return render(
        request,
        "portal/dashboard.html",
        {
            "alert_strip": _strip_words(alert_strip(request.user)),
            "kpis": kpis,
            "chosen": chosen,
            "region": region,
            "period_error": period_error,
            "region_choices": _region_choices() if office else [],
            "figures": {**drawn, "html": mark_safe(drawn["html"])},  # noqa: S308 - our own template's output
        },
    )


def _picture(
    chosen: Indicator,
    region: Region | None,
    period: Period | None,
    today: datetime.date,
    measure: str,
    as_of: datetime.datetime | None,
) -> Picture:
    picture = dashboard_picture(
        indicator=chosen, region=region, period=period, today=today, measure=measure, as_of=as_of
    )
    # The traffic light as the API's summary decides it: by the forecast's probability
    # where the KPI's backtest found its year-end closer than the estimate's.
    picture.summary.status, _method = summary_status(picture.summary, summary_forecast(picture.summary))
    return picture


def _figures(
    request: HttpRequest,
    chosen: Indicator,
    region: Region | None,
    period: Period | None,
    today: datetime.date,
    measure: str,
    as_of: datetime.datetime | None,
    as_of_error: str | None,
) -> dict[str, Any]:
    """The page below its pickers, rendered, with what the pickers show of it: the same
    for every reader of these figures (`dashboard_page_key` names it), so kept in the cache."""
    picture = _picture(chosen, region, period, today, measure, as_of)
    choices = period_choices(today)
    if not any(str(picture.span) == value for _group, options in choices for value, _label in options):
        choices.insert(0, (_("Chosen"), [(str(picture.span), span_in_words(picture.span))]))
    # The forecast of the figures as they stand, not of a moment asked for.
    forecast = (
        None
        if as_of
        else dashboard_forecast(
            indicator=chosen,
            region=picture.region,
            shown_year=picture.span.end.year,
            this_year=picture.trend[0][1],
            target=picture.summary.target,
        )
    )
    drawn = _charts(picture, request, forecast)
    # Live figures beside the release that published them, where a correction came since.
    revisions = (
        {} if as_of else revisions_since_release(indicator=chosen, span=picture.span, live=picture_live(picture))
    )
    html = render_to_string(
        "portal/dashboard_figures.html",
        {
            "chosen": chosen,
            "picture": picture,
            "summary": picture.summary,
            "forecast": forecast,
            "charts": drawn,
            "as_of_error": as_of_error,
            "revised_own": revisions.get(picture.region.kato if picture.region else ""),
            "table": [
                (r, spark, revisions.get(r.kato)) for r, spark in zip(picture.rows, drawn["sparks"], strict=True)
            ],
            "download": {fmt: link(request, format=fmt) for fmt in FORMATS},
        },
        request=request,
    )
    return {
        "html": str(html),
        "span": str(picture.span),
        "measure": picture.measure,
        "measures": [(str(value), str(label)) for value, label in drawn["measures"]],
        "period_choices": [
            (str(group), [(str(value), str(label)) for value, label in options]) for group, options in choices
        ],
    }


@login_required
def forecasts(request: HttpRequest) -> HttpResponse:
    """Every forecast KPI's track record at each level the reader may see: how close its
    forecasts came against the same month last year, and how often the ranges held."""
    try:
        dashboard_region(request.user, None)  # whoever may open the dashboard
    except NotVisible:
        raise Http404 from None
    records = forecast_records(request.user)
    for kpi in records:
        for level in kpi.levels:
            level.chart = charts.bars_by_horizon(
                [a.relative_mae for a in level.record.horizons],
                title=_("%(kpi)s, %(level)s: error against the same month last year, by months ahead")
                % {"kpi": kpi.indicator.name, "level": level.level_name},
                reference_words=_("same month last year"),
            )
    return render(
        request,
        "portal/dashboard_forecasts.html",
        {"records": [k for k in records if k.run], "waiting": [k for k in records if not k.run]},
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
            "year": asked(request, "year"),
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
            "download": {fmt: link(request, format=fmt) for fmt in FORMATS},
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
            "download": {fmt: link(request, format=fmt) for fmt in FORMATS},
        },
    )


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """Early warning's alerts the reader may see, newest first, `?period=YYYY-MM&kpi=CODE&
    region=KATO` (`withdrawn=1`: with those a later correction took away), 50 a page, each
    with its small chart; the office reviews them here."""
    try:
        dashboard_region(request.user, None)  # whoever may open the dashboard
    except NotVisible:
        raise Http404 from None
    kpis = alert_kpis()
    problems, region = _alert_filter_problems(request, kpis)
    if problems:
        return _without_bad_parameters(request, problems, file=False)
    filters = {k: request.GET[k] for k in ("period", "kpi", "region") if request.GET.get(k)}
    withdrawn_too = request.GET.get("withdrawn") == "1"
    found = alerts_filtered(alerts_visible_to(request.user), filters)
    if not withdrawn_too:
        found = found.filter(withdrawn=False)
    page = Paginator(found, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    months = [(str(m), span_in_words(Period(m, m))) for m in alert_months(request.user)]
    if filters.get("period") and all(value != filters["period"] for value, _label in months):
        months.insert(0, (filters["period"], span_in_words(Period.parse(filters["period"]))))
    regions = [(r.kato, str(r)) for r in alert_regions(request.user)]
    if region is not None and all(kato != region.kato for kato, _name in regions):
        regions.insert(0, (region.kato, str(region)))
    return render(
        request,
        "portal/dashboard_alerts.html",
        {
            "page": page,
            "cards": [_alert_card(alert) for alert in page.object_list],
            "record": _record_words(alert_record(request.user, timezone.localdate())),
            "office": is_project_office(request.user),
            "filters": filters,
            "withdrawn_too": withdrawn_too,
            "months": months,
            "kpis": kpis,
            "regions": regions,
            "here": request.get_full_path(),
            "previous_link": link(request, page=str(page.previous_page_number())) if page.has_previous() else None,
            "next_link": link(request, page=str(page.next_page_number())) if page.has_next() else None,
        },
    )


@login_required
@require_POST
def alert_review_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The office marks an alert reviewed, with a note, or takes the review back; anyone
    else is refused."""
    if not is_project_office(request.user):
        raise PermissionDenied
    alert = alert_visible(request.user, pk)
    if alert is None:
        raise Http404
    if request.POST.get("action") == "clear":
        alert_review_clear(alert=alert, user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The review was cleared."))
    else:
        alert_review(alert=alert, user=request.user, note=request.POST.get("note", "")[:2000])  # type: ignore[arg-type]
        messages.success(request, _("The alert was marked reviewed."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("dashboard-alerts")


def _alert_filter_problems(request: HttpRequest, kpis: list[Indicator]) -> tuple[dict[str, str], Region | None]:
    """Each filter of the alerts page that cannot be used, said in the reader's words (a
    coordinator is not told whether another region's code exists), and the region asked for."""
    problems: dict[str, str] = {}
    region = None
    if request.GET.get("period"):
        try:
            Period.parse(request.GET["period"])
        except PeriodError as exc:
            problems["period"] = _("That period could not be read; showing every month.") + f" {exc}"
    if request.GET.get("kpi") and all(k.code != request.GET["kpi"] for k in kpis):
        problems["kpi"] = _("No KPI early warning tests has the code “%(code)s”; showing every KPI.") % {
            "code": asked(request, "kpi")
        }
    if request.GET.get("region"):
        try:
            region = dashboard_region(request.user, request.GET["region"])
        except NotVisible:
            problems["region"] = _("No region among yours has the code “%(code)s”; showing all of them.") % {
                "code": asked(request, "region")
            }
    return problems, region


def _alert_card(alert: Alert) -> dict[str, Any]:
    """What a card of the alerts page shows: the figures in words and the small chart."""
    rise = alert.adverse == Adverse.RISE
    figures = {
        "observed": charts.number(alert.observed),
        "expected": charts.number(alert.expected, _places(alert.expected)),
        "edge": charts.number(alert.upper if rise else alert.lower, _places(alert.upper if rise else alert.lower)),
    }
    against = (
        _("%(observed)s against %(expected)s expected (upper %(edge)s)")
        if rise
        else _("%(observed)s against %(expected)s expected (lower %(edge)s)")
    ) % figures
    month = Month.from_date(alert.period)
    month_words = span_in_words(Period(month, month))
    return {
        "alert": alert,
        "month": month_words,
        "against": against,
        "p_value": _p_value_words(alert.p_value),
        "made": _made_words(alert),
        "chart": _alert_chart(alert, month_words, against),
    }


def _made_words(alert: Alert) -> str:
    """Where the alert's expected count came from (docs/early-warning.md)."""
    if alert.model == "forecast":
        return _("Expected: the forecast made from the month before (run %(run)s), its range carried to the tail.") % {
            "run": alert.forecast_run_id
        }
    if alert.model == "mean":
        return _("Expected: the mean and spread of the series' last 24 months (its model could not be fitted).")
    return _("Expected: a model of this series' last five years (trend, season, overdispersion).")


def _record_words(record: AlertRecord) -> list[str]:
    """How alerts are made and how they have fared, in words, above the list."""
    lines = []
    run = record.run
    if run is not None and run.single_level is not None and run.persistent_level is not None:
        lines.append(
            _(
                "The latest run (%(month)s) tested %(tested)s series and skipped %(skipped)s (too short or too "
                "sparse). Its budget is %(budget)s false alarms a month over %(n)s series: a month alone is flagged "
                "when a count as far out had a chance below %(single)s, two months running below %(persistent)s each."
            )
            % {
                "month": span_in_words(Period(Month.from_date(run.period), Month.from_date(run.period))),
                "tested": run.tested,
                "skipped": run.skipped,
                "budget": charts.number(Decimal(str(run.detail.get("budget", 0)))),
                "n": run.budget_series,
                "single": f"{run.single_level:.2g}",
                "persistent": f"{run.persistent_level:.2g}",
            }
        )
    lines.append(
        ngettext(
            "In the last twelve months %(raised)s alert was raised here: %(withdrawn)s withdrawn after a correction, "
            "%(reviewed)s reviewed by the office.",
            "In the last twelve months %(raised)s alerts were raised here: %(withdrawn)s withdrawn after a "
            "correction, %(reviewed)s reviewed by the office.",
            record.raised,
        )
        % {"raised": record.raised, "withdrawn": record.withdrawn, "reviewed": record.reviewed}
    )
    return lines


def _places(value: Decimal) -> int:
    """Expected counts and band edges: whole numbers from ten up, one place below it."""
    return 0 if abs(value) >= 10 else 1


def _p_value_words(p: float) -> str:
    if p < 0.0001:
        return "p < " + charts.number(Decimal("0.0001"), 4)
    return "p = " + charts.number(Decimal(repr(p)), 4)


def _series(values: Any, count: int) -> list[Decimal | None]:
    values = list(values or [])
    values += [None] * (count - len(values))
    return [None if v is None else Decimal(str(v)) for v in values[:count]]


def _alert_chart(alert: Alert, month_words: str, against: str) -> Any:
    stored = alert.chart or {}
    months = list(stored.get("months") or [])
    if not months:
        return None  # an old alert stored no series
    series = charts.AlertSeries(
        months=months,
        observed=_series(stored.get("observed"), len(months)),
        expected=_series(stored.get("expected"), len(months)),
        lower=_series(stored.get("lower"), len(months)),
        upper=_series(stored.get("upper"), len(months)),
    )
    return charts.alert_chart(
        series,
        title=_("%(kpi)s, %(region)s: the months to %(month)s against what was expected")
        % {
            "kpi": alert.indicator.name,
            "region": alert.region.name,
            "month": month_words,
        },
        marked_words=f"{month_words}: {against}",
        band_words=_("the expected range"),
    )


def _strip_words(strip: AlertStrip | None) -> dict[str, str] | None:
    """The dashboard's strip: "3 unexpected rises in November", and the falls apart."""
    if strip is None:
        return None
    month = month_name(strip.month)
    lines = []
    if strip.rises:
        lines.append(
            ngettext("%(count)s unexpected rise in %(month)s", "%(count)s unexpected rises in %(month)s", strip.rises)
            % {"count": strip.rises, "month": month}
        )
    if strip.falls:
        lines.append(
            ngettext("%(count)s unexpected fall in %(month)s", "%(count)s unexpected falls in %(month)s", strip.falls)
            % {"count": strip.falls, "month": month}
        )
    return {"words": "; ".join(lines), "period": strip.period}


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


def _region_choices() -> list[tuple[str, str]]:
    """The office may open the nation or any first-level region."""
    return [(r.kato, str(r)) for r in Region.objects.top_level().order_by("kato")]


def _fan(forecast: DashboardForecast | None) -> charts.Fan | None:
    if forecast is None or not forecast.fan.months:
        return None
    return charts.Fan(
        months=[
            charts.FanMonth(i, p.value, p.lower_80, p.upper_80, p.lower_95, p.upper_95) for i, p in forecast.fan.months
        ],
        start=forecast.fan.start,
        run=forecast.run_id,
        words=_(
            "Forecast from the figures to %(origin)s: the dotted line, with its 80%% range (the darker band) "
            "and its 95%% range (the lighter band)."
        )
        % {"origin": forecast.node.origin_words},
    )


def _charts(picture: Picture, request: HttpRequest, forecast: DashboardForecast | None = None) -> dict[str, Any]:
    measure = picture.measure
    labels = {
        "value": picture.indicator.name,
        "rate": _("Per 10,000 population"),
        "change": _("Change on a year before, %"),
    }
    places = 1 if measure in ("rate", "change") else picture.places
    tiles = [(r.kato, r.name, r.measure(measure)) for r in picture.rows]
    links = {r.kato: link(request, region=r.kato) for r in picture.rows}
    national = picture.region is None
    fan = _fan(forecast)
    title = _("%(kpi)s by month, this year against last") % {"kpi": picture.indicator.name}
    # The chart goes on past December as far as the fan does.
    beyond = max((m.index for m in fan.months), default=11) if fan else 11
    year = picture.span.end.year
    following = [Month(year, 12).plus(k) for k in range(1, beyond - 10)]
    trend_labels = picture.trend_labels + [
        f"{month_name(m)[:3]}’{m.year % 100:02d}" if m.month == 1 else month_name(m)[:3] for m in following
    ]
    return {
        "trend": charts.trend(
            trend_labels,
            picture.trend,
            title=f"{title}. {fan.words}" if fan else title,
            places=picture.places,
            fan=fan,
        ),
        "fan": fan,
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
