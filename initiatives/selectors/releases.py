"""Reads of releases: the figures a release freezes, who may see which releases, their
tables for the API and the files, and what changed since a release (for the dashboard)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from agencies.access import coordinator_regions, is_project_office, may_read, within_regions
from agencies.tokens import is_agency_caller
from projectoffice.numbers import rounded
from regions.models import Region

from ..engine.summary import kpi_summary
from ..models import Indicator, PublicFigure, Release, ReleaseFigure
from ..periods import Period
from .dashboard import dashboard_kpis


@dataclass(frozen=True)
class FrozenRow:
    indicator_id: int
    region_id: int | None
    value: Decimal | None
    previous: Decimal | None
    change_percent: Decimal | None
    rate_per_10k: Decimal | None
    target: Decimal | None
    status: str


def release_kpis() -> list[Indicator]:
    """The KPIs a release holds: those the dashboard offers (a national figure each)."""
    return dashboard_kpis()


def release_figures_compute(*, span: Period, moment: datetime.datetime) -> list[FrozenRow]:
    """Every release KPI's figures over `span`, nationally and for each first-level region,
    from the values as committed at `moment` (what the release freezes)."""
    ids = dict(Region.objects.filter(level=1).values_list("kato", "pk"))
    rows: list[FrozenRow] = []
    for indicator in release_kpis():
        places = indicator.decimal_places
        summary = kpi_summary(indicator=indicator, region=None, span=span, as_of=moment)
        target = summary.target.target_value if summary.target else None
        for figures, region_id, row_target, status in [
            (summary.own, None, target, summary.status),
            *((r, ids.get(r.kato or ""), r.target, r.status) for r in summary.breakdown),
        ]:
            if figures.kato and region_id is None:
                continue  # not a first-level region
            rate = figures.rate_per_10k
            rows.append(
                FrozenRow(
                    indicator.pk,
                    region_id,
                    rounded(figures.value.value, places) if figures.value.complete else None,
                    rounded(figures.previous.value, places) if figures.previous.complete else None,
                    figures.change_percent,
                    rounded(rate.value, 1) if rate is not None and rate.complete else None,
                    rounded(row_target, places),
                    status,
                )
            )
    return rows


def releases_visible_to(user: Any) -> QuerySet[Release]:
    """The office sees every release (those awaiting confirmation and withdrawn ones too);
    everyone else the published ones."""
    found = Release.objects.select_related("published_by", "confirmed_by", "withdrawn_by", "corrects")
    return found if is_project_office(user) else found.published()


def public_release(period: str | None = None) -> Release | None:
    """The release the public page shows: the latest confirmed one (of `period`, if given)."""
    found = Release.objects.published()
    if period:
        found = found.filter(period=period)
    return found.order_by("-confirmed_at", "-pk").first()


RELEASE_HEADER = ["kpi", "kato", "name", "value", "previous", "change_percent", "rate_per_10k", "target", "status"]
PUBLIC_HEADER = [*RELEASE_HEADER[1:], "suppressed"]


def release_table(release: Release, *, kpi: str | None = None, regions: list[Region] | None = None) -> list[list[Any]]:
    """A release's frozen figures, a row per KPI and region (the nation first, with an empty
    KATO); only those of `regions` (and below) when given."""
    figures = ReleaseFigure.objects.filter(release=release).select_related("indicator", "region")
    if kpi:
        figures = figures.filter(indicator__code=kpi)
    if regions is not None:
        figures = figures.filter(within_regions(regions))
    rows = sorted(figures, key=lambda f: (f.indicator.code, f.region.kato if f.region else ""))
    return [
        [
            f.indicator.code,
            f.region.kato if f.region else "",
            str(f.region) if f.region else "",
            rounded(f.value, f.indicator.decimal_places),
            rounded(f.previous, f.indicator.decimal_places),
            f.change_percent,
            f.rate_per_10k,
            rounded(f.target, f.indicator.decimal_places),
            f.status,
        ]
        for f in rows
    ]


def public_table(release: Release, *, kpi: str | None = None) -> list[list[Any]]:
    """What the public may see of a release: hidden counts empty, `suppressed` saying why."""
    figures = PublicFigure.objects.filter(release=release).select_related("indicator", "region")
    if kpi:
        figures = figures.filter(indicator__code=kpi)
    rows = sorted(figures, key=lambda f: (f.indicator.code, f.region.kato if f.region else ""))
    return [[f.indicator.code, *public_row(f)] for f in rows]


def release_figures_for(user: Any, release: Release, *, kpi: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """A release's figures as this caller may read them: (header, rows), the same for JSON
    and the files.

    Exact small counts (from 1 to below the public threshold) go to those who read
    approved values anyway (brief, section 6): the project office and tokens with
    `kpi:read` get every figure as frozen (`RELEASE_HEADER`); a coordinator gets their own
    regions' figures as frozen and the rest as the public sees them; everyone else (a
    token without `kpi:read`, a person with no region, the public) the public figures.
    Whoever gets any public figure gets the public table, with `suppressed` ("" where a
    row is exact)."""
    if is_project_office(user) or (is_agency_caller(user) and may_read(user, "kpi:read")):
        return RELEASE_HEADER, release_table(release, kpi=kpi)
    header, public = ["kpi", *PUBLIC_HEADER], public_table(release, kpi=kpi)
    own = coordinator_regions(user)
    if not own:
        return header, public
    exact = {(row[0], row[1]): row for row in release_table(release, kpi=kpi, regions=own)}
    return header, [[*exact[(row[0], row[1])], ""] if (row[0], row[1]) in exact else row for row in public]


def public_row(f: PublicFigure) -> list[Any]:
    places = f.indicator.decimal_places
    return [
        f.region.kato if f.region else "",
        str(f.region) if f.region else "",
        rounded(f.value, places),
        rounded(f.previous, places),
        f.change_percent,
        f.rate_per_10k if f.indicator.has_rate_per_10k else None,
        rounded(f.target, places),
        f.status,
        f.value_suppressed,
    ]


@dataclass
class Revision:
    """A published release's figure that the live one no longer matches."""

    release: Release
    released: Decimal | None


def revisions_since_release(
    *, indicator: Indicator, span: Period, live: dict[str, Decimal | None]
) -> dict[str, Revision]:
    """By KATO ("" the nation): where the latest published release of exactly this span
    holds another figure for the KPI than the live one (`live`, rounded as shown)."""
    release = Release.objects.published().filter(period=str(span)).order_by("-confirmed_at", "-pk").first()
    if release is None:
        return {}
    out: dict[str, Revision] = {}
    for kato, value in ReleaseFigure.objects.filter(release=release, indicator=indicator).values_list(
        "region__kato", "value"
    ):
        key = kato or ""
        if key in live and rounded(value, indicator.decimal_places) != live[key]:
            out[key] = Revision(release, rounded(value, indicator.decimal_places))
    return out
