"""The public page's reads: the latest published release (or that of a period), its KPIs,
and one KPI's figures by first-level region as the public may see them. Never live
data: only the public figures frozen when a release was confirmed. A fixed number of
queries whatever the number of regions or KPIs."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ..models import Indicator, KpiRole, PublicFigure, Release, Suppression
from ..periods import Period, PeriodError
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
    chosen = next((k for k in kpis if (k.code == kpi if kpi else k.has_role(KpiRole.HEADLINE))), None)
    if chosen is None and not kpi and kpis:
        chosen = kpis[0]
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
