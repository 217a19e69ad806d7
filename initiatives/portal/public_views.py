"""The public page: the latest published release for everyone, without a log-in.

The view reads the request and says the page in words; which release and KPI it shows,
and the cache that keeps whole responses, are `selectors.public`'s.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from projectoffice.table_download import table_response

from .. import charts
from ..models import Suppression
from ..selectors.public import NoSuchRelease, PublicChoice, PublicPage, public_csv_rows, public_page_response
from ..selectors.words import column_labels, period_in_words, span_in_words
from .links import asked, link

# What the kept page's key holds (`lang` names its language): its links carry these alone.
KEPT_PARAMETERS = frozenset({"kpi", "period", "lang"})


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """The latest published release (or that of `?period=`): one KPI (`?kpi=`) by
    first-level region with its charts, or `?format=csv`. Small counts are withheld (the
    public figures frozen at confirmation)."""
    kpi, period = request.GET.get("kpi", "")[:80], request.GET.get("period", "")[:40]
    fmt = "csv" if request.GET.get("format") == "csv" else "html"

    def respond(choice: PublicChoice) -> HttpResponse:
        # A period or KPI the public page cannot show is said on the page, above the
        # default shown instead.
        problems = []
        if "period" in choice.unknown:
            problems.append(
                _("No published release covers the period “%(period)s”; showing the latest.")
                % {"period": asked(request, "period")}
            )
        if "kpi" in choice.unknown:
            problems.append(
                _("The release has no indicator with the code “%(code)s”; showing the default.")
                % {"code": asked(request, "kpi")}
            )
        if problems and fmt == "csv":
            raise Http404  # a file of other figures than asked for would mislead
        drop = set(choice.unknown)
        if choice.page is None:
            return render(
                request,
                "public/page.html",
                {"page": None, "problems": problems, "language_links": _language_links(request, drop=drop)},
            )
        return _public_response(request, choice.page, fmt, problems, drop=drop)

    try:
        response, kept = public_page_response(kpi=kpi, period=period, fmt=fmt, respond=respond)
    except NoSuchRelease:
        raise Http404 from None  # a release without a figure
    if kept:
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
            "csv_link": link(request, drop=drop, only=KEPT_PARAMETERS, format="csv"),
        },
    )


def _language_links(request: HttpRequest, *, drop: set[str]) -> list[tuple[str, str]]:
    return [(code, link(request, drop=drop, only=KEPT_PARAMETERS, lang=code)) for code in ("kk", "ru", "en")]


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
