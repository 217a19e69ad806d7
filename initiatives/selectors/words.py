"""Spans and gaps said in the reader's language: "January-October 2026", "Abai Region: no
figure for November 2026 yet", never "100000000 2026-11"."""

from collections.abc import Iterable

from django.utils.dates import MONTHS
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from regions.models import Region

from ..engine.aggregation import Gap
from ..engine.summary import Status
from ..periods import Month, Period, PeriodError

NATIONAL_GAP = "KZ"


def month_name(month: Month) -> str:
    """ "January" in English; Russian and Kazakh write month names in lower case inside
    a sentence ("за январь-октябрь"), whatever Django's calendar capitalises."""
    name = str(MONTHS[month.month])
    return name if get_language() == "en" else name.lower()


def span_in_words(span: Period) -> str:
    kind, year = span.kind, span.start.year
    if kind == "month":
        return _("%(month)s %(year)s") % {"month": month_name(span.start), "year": year}
    if kind == "year":
        return _("year %(year)s") % {"year": year}
    if kind == "quarter":
        return _("quarter %(quarter)s of %(year)s") % {"quarter": (span.start.month + 2) // 3, "year": year}
    if kind == "half_year":
        if span.start.month == 1:
            return _("first half of %(year)s") % {"year": year}
        return _("second half of %(year)s") % {"year": year}
    if span.start.year == span.end.year:
        return _("%(first)s-%(last)s %(year)s") % {
            "first": month_name(span.start),
            "last": month_name(span.end),
            "year": year,
        }
    return _("%(first)s %(first_year)s - %(last)s %(last_year)s") % {
        "first": month_name(span.start),
        "first_year": span.start.year,
        "last": month_name(span.end),
        "last_year": span.end.year,
    }


def period_in_words(text: str) -> str:
    """A period's code said in words; the code itself if it is not one."""
    try:
        return span_in_words(Period.parse(text))
    except PeriodError:
        return text


def gaps_in_words(gaps: Iterable[Gap], *, population: str | None = None, names_shown: int = 3) -> list[str]:
    """What is missing, one line per kind of gap and period, naming the regions (one query
    for the names): "Abai Region, Akmola Region and 18 more: no population for October
    2026". Regions are named, never given as KATO codes."""
    unique = list(dict.fromkeys((g.kpi, g.region, g.period, g.reason) for g in gaps))
    katos = {region for _kpi, region, _period, _reason in unique if region != NATIONAL_GAP}
    names = {r.kato: str(r) for r in Region.objects.filter(kato__in=katos)} if katos else {}
    grouped: dict[tuple[str, str], list[str]] = {}
    for kpi, region, period, reason in unique:
        kind = (
            "no_population"
            if population is not None and kpi == population
            else "zero"
            if reason.startswith("zero")
            else "no_sum"
            if "add up" in reason
            else "missing"
        )
        name = str(_("Kazakhstan")) if region == NATIONAL_GAP else names.get(region, region)
        where = grouped.setdefault((kind, period), [])
        if name not in where:
            where.append(name)
    lines = []
    for (kind, period), where in grouped.items():
        shown = ", ".join(where[:names_shown])
        if len(where) > names_shown:
            shown = _("%(names)s and %(count)s more") % {"names": shown, "count": len(where) - names_shown}
        words = {"region": shown, "period": period_in_words(period)}
        if kind == "no_population":
            lines.append(_("%(region)s: no population for %(period)s, so no rate per 10,000") % words)
        elif kind == "zero":
            lines.append(_("%(region)s: zero in %(period)s, so no ratio") % words)
        elif kind == "no_sum":
            lines.append(_("%(region)s: this KPI does not add up over %(period)s") % words)
        else:
            lines.append(_("%(region)s: no figure for %(period)s yet") % words)
    return lines


def estimate_in_words(method: str, is_estimate: bool, year: int) -> str:
    """The engine states its estimate's method in English for the API; the page says which
    of its methods it was in the reader's language."""
    if not is_estimate:
        return _("the actual figure for %(year)s") % {"year": year}
    if "seasonal shape" in method:
        return _("estimate: the year to date scaled by %(last)s's monthly pattern") % {"last": year - 1}
    if "linearly" in method:
        return _("estimate: the year to date extended evenly to December")
    if "carried forward" in method:
        return _("estimate: the latest value carried forward to December")
    return _("estimate: %(method)s") % {"method": method}


def status_in_words(status: str) -> str:
    """A target status as the pages say it ("on track"), for the files' `status_name`;
    nothing where there is no status (a withheld figure's)."""
    if not status:
        return ""
    words = {
        Status.ON_TRACK: _("on track"),
        Status.AT_RISK: _("at risk"),
        Status.OFF_TRACK: _("off track"),
        Status.NO_TARGET: _("no target set"),
    }
    return str(words.get(status, _("unknown")))


def column_labels(header: Iterable[str]) -> list[str]:
    """The names people read above the column codes of a downloaded sheet."""
    names = {
        "kato": _("KATO code"),
        "name": _("Name"),
        "region": _("Region"),
        "value": _("Value"),
        "previous": _("A year before"),
        "change_percent": _("Change on a year before, %"),
        "rate_per_10k": _("Per 10,000 population"),
        "target": _("Target"),
        "status": _("Status (code)"),
        "status_name": _("Status"),
        "suppressed": _("Withheld (code)"),
        "agency": _("Agency (code)"),
        "period": _("Period"),
        "kind": _("Kind of report (code)"),
        "state": _("State (code)"),
        "state_name": _("State"),
        "due_date": _("Due date"),
        "submitted_at": _("Submitted at"),
        "timeliness": _("On time (code)"),
        "stage": _("Stage (code)"),
        "declared_on": _("Declared on"),
        "verified_on": _("Verified on"),
        "sustained_on": _("Sustained on"),
        "lapsed_on": _("Lapsed on"),
        "offences_before": _("Offences before"),
        "offences_after": _("Offences after"),
        "measured_at": _("Measured over"),
        "months_observed": _("Months after the decision counted"),
        "expected": _("Expected without the decision"),
        "expected_lower_80": _("Expected, low end (80%)"),
        "expected_upper_80": _("Expected, high end (80%)"),
    }
    return [str(names.get(code, code)) for code in header]
