"""The public page's reads: the latest published release (or that of a period), its KPIs,
and one KPI's figures by first-level region as the public may see them. Never live
data: only the public figures frozen when a release was confirmed. A fixed number of
queries whatever the number of regions or KPIs."""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation

from ..models import Indicator, PublicFigure, Release, Suppression
from ..periods import Period, PeriodError
from .kpi_roles import kpi_shown
from .releases import PUBLIC_HEADER, public_release, public_row
from .words import status_in_words

# Which releases the public may see, as a token that changes whenever that does (a release
# confirmed or withdrawn): the public page's cached responses carry the token they were
# made under, so one cache read of both tells whether a response still stands.
GENERATION_KEY = "public:generation"


def public_generation() -> str:
    """The current token; a new one when the cache has none (emptied, or Redis restarted)."""
    found = cache.get(GENERATION_KEY)
    if found is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        found = cache.get(GENERATION_KEY) or uuid.uuid4().hex
    return str(found)


def public_generation_bump() -> None:
    """After the caller's transaction commits: every cached public response is stale."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


class NoSuchRelease(LookupError):
    """No published release of the period asked for, or no such KPI in it."""


@dataclass
class PublicRow:
    kato: str
    name: str
    value: Decimal | None
    value_mark: str
    previous: Decimal | None
    previous_mark: str
    change_percent: Decimal | None
    rate_per_10k: Decimal | None
    target: Decimal | None
    status: str
    cells: list[Any]  # the row as the CSV writes it


@dataclass
class PublicPage:
    release: Release
    kpis: list[Indicator]
    chosen: Indicator
    rows: list[PublicRow]  # the nation first
    periods: list[str]
    threshold: int

    @property
    def below_label(self) -> str:
        return f"<{self.threshold}"

    @property
    def number_format(self) -> str:
        return f"{self.chosen.decimal_places}g"


def public_release_for(period: str | None) -> Release | None:
    """The release to show: the latest published one, or the latest of `period`."""
    if not period:
        return public_release()
    try:
        normal = str(Period.parse(period))
    except PeriodError:
        raise NoSuchRelease(period) from None
    found = public_release(normal)
    if found is None:
        raise NoSuchRelease(period)
    return found


def public_page(*, release: Release, kpi: str | None) -> PublicPage:
    """One KPI of a release as the public may see it (the headline KPI when none is named)."""
    kpis = list(
        Indicator.objects.filter(pk__in=PublicFigure.objects.filter(release=release).values("indicator_id")).order_by(
            "group", "code"
        )
    )
    chosen = kpi_shown(kpis, kpi)
    if chosen is None:
        raise NoSuchRelease(kpi)
    figures = sorted(
        PublicFigure.objects.filter(release=release, indicator=chosen).select_related("region", "indicator"),
        key=lambda f: f.region.kato if f.region else "",
    )
    rows = [
        PublicRow(
            kato=f.region.kato if f.region else "",
            name=str(f.region) if f.region else "",
            value=f.value,
            value_mark=f.value_suppressed,
            previous=f.previous,
            previous_mark=f.previous_suppressed,
            change_percent=f.change_percent,
            rate_per_10k=f.rate_per_10k,
            target=f.target,
            status=f.status,
            cells=public_row(f),
        )
        for f in figures
    ]
    periods = sorted(set(Release.objects.published().values_list("period", flat=True)), reverse=True)
    return PublicPage(release, kpis, chosen, rows, periods, settings.PUBLIC_SUPPRESSION_THRESHOLD)


def public_csv_rows(page: PublicPage, nation_name: str) -> tuple[list[str], list[list[Any]]]:
    """The dashboard's columns plus `suppressed` ("below" or "secondary"), `value` empty
    where withheld; `status_name` (the status in words) beside `status`, as on the dashboard."""
    after = PUBLIC_HEADER.index("status") + 1
    rows = []
    for row in page.rows:
        cells = list(row.cells)
        if not row.kato:
            cells[1] = nation_name
        rows.append([*cells[:after], status_in_words(row.status), *cells[after:]])
    return [*PUBLIC_HEADER[:after], "status_name", *PUBLIC_HEADER[after:]], rows


SHOWN = Suppression.SHOWN


# A public response stays cached this long (a new release has a key of its own at once).
PUBLIC_CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class PublicChoice:
    """What the public page shows for what was asked: `unknown` names the parameters
    ("period", "kpi") that no published release answers; the default is shown instead."""

    page: PublicPage | None  # None: nothing published yet
    unknown: tuple[str, ...]


def public_choice(*, kpi: str, period: str) -> PublicChoice:
    """The release of `period` (the latest when none or an unknown one is asked for) and
    its KPI `kpi` (the headline when none or an unknown one). NoSuchRelease: a release
    without a figure."""
    unknown: list[str] = []
    try:
        release = public_release_for(period or None)
    except NoSuchRelease:
        unknown.append("period")
        release = public_release_for(None)
    page = None
    if release is not None:
        try:
            page = public_page(release=release, kpi=kpi or None)
        except NoSuchRelease:
            unknown.append("kpi")
            page = public_page(release=release, kpi=None)
    return PublicChoice(page, tuple(unknown))


def public_page_response(
    *, kpi: str, period: str, fmt: str, respond: Callable[[PublicChoice], HttpResponse]
) -> tuple[HttpResponse, bool]:
    """The public page's response made by `respond`, kept whole per language, KPI, period
    and format under the release it shows and the token of what the public may see: a
    kept one costs one cache read, no query. Also says whether the response is a kept one
    (the same for everyone); a page saying that something asked for is not published is
    never kept (any text would fill the cache), nor is the page of nothing published."""
    language = translation.get_language()
    key = "public:" + hashlib.sha256(repr((language, kpi, period, fmt)).encode()).hexdigest()
    # One round trip: the response and the token of what the public may see; a response
    # made under another token (a release confirmed or withdrawn since) is made again.
    found = cache.get_many([GENERATION_KEY, key])
    entry = found.get(key)
    if entry is None or entry[0] != found.get(GENERATION_KEY):
        generation = public_generation()
        choice = public_choice(kpi=kpi, period=period)
        made = respond(choice)
        if choice.page is None or choice.unknown:
            return made, False
        entry = (
            generation,
            choice.page.release.pk,
            made.content,
            made["Content-Type"],
            made.get("Content-Disposition", ""),
        )
        cache.set(key, entry, timeout=PUBLIC_CACHE_SECONDS)
    _generation, _release, body, content_type, disposition = entry
    response = HttpResponse(body, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    return response, True
