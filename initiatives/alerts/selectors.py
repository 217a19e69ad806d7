"""Alerts as the page, the dashboard's strip, the API and the admin read them: within the
reader's regions (the office: all; a coordinator: their regions and everything below, as
every other list scopes them, `agencies.access.scoped_to_user`), filtered by month, KPI
and region, newest first.

The filters are the values list's own (`kpi`, `region` with everything below it), read by
the same methods, so an unknown KPI or region, or a period that cannot be read, raises
ValidationError naming the filter, which the API answers with its 400.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import django_filters
from django.db.models import CharField, Count, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy

from agencies.access import coordinator_regions, is_project_office, scoped_to_user
from projectoffice.api_errors import form_errors
from projectoffice.api_filters import CodeFilter, TextFilter
from regions.models import Region

from ..models import Indicator
from ..periods import Month
from ..selectors.values import RegionAndSpanMethods, period_or_error
from .models import Adverse, Alert, DetectionRun, DetectionStatus

# Newest month first, then the most recently raised; the id keeps a page's order stable.
NEWEST_FIRST = ("-period", "-raised_at", "-pk")


def alerts_visible_to(caller: Any) -> QuerySet[Alert]:
    """The alerts `caller` may read, newest first, joined to their KPI and region."""
    alerts = Alert.objects.select_related("indicator", "region").order_by(*NEWEST_FIRST)
    return scoped_to_user(alerts, caller)


class AlertFilterSet(RegionAndSpanMethods, django_filters.FilterSet):
    """`period` (a month, YYYY-MM, or any span the values take: 2026-Q3, 2026), `kpi`
    (its code), `region` (KATO: that region and everything below it)."""

    period = TextFilter(method="filter_period", label="month (YYYY-MM) or any period: the alerts of its months")
    kpi = CodeFilter(
        field_name="indicator__code",
        label="KPI code",
        model=Indicator,
        unknown_code="unknown_kpi",
        unknown_message=gettext_lazy("unknown KPI code %(value)r"),
    )
    region = TextFilter(method="filter_region", label="KATO code: this region and everything below it")

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_period(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        span = period_or_error(name, value)
        return queryset.filter(period__gte=span.start.first_day, period__lte=span.end.first_day)


def alerts_filtered(alerts: QuerySet[Alert], filters: Mapping[str, str]) -> QuerySet[Alert]:
    """`alerts` narrowed by `period`, `kpi` and `region`; ValidationError names each bad one."""
    filterset = AlertFilterSet(data=dict(filters), queryset=alerts)
    if not filterset.is_valid():
        raise form_errors(filterset.form)
    return filterset.qs  # type: ignore[no-any-return]


def alert_visible(caller: Any, pk: int) -> Alert | None:
    """One alert, if `caller` may read it."""
    return alerts_visible_to(caller).filter(pk=pk).first()


# --- the page's pickers -------------------------------------------------------------------


def alert_months(caller: Any) -> list[Month]:
    """The months that hold an alert the caller may read, newest first."""
    days = scoped_to_user(Alert.objects.all(), caller).dates("period", "month", order="DESC")
    return [Month.from_date(day) for day in days]


def alert_kpis() -> list[Indicator]:
    """The KPIs early warning tests (monthly counts), and any other that has an alert."""
    tested = Indicator.objects.monthly_counts().values("pk")
    return list(
        Indicator.objects.filter(Q(pk__in=tested) | Q(pk__in=Alert.objects.values("indicator_id"))).order_by(
            "group", "code"
        )
    )


def alert_regions(caller: Any) -> list[Region]:
    """The regions the picker offers: every first-level region to the office; a
    coordinator's own regions and the districts straight below them."""
    if is_project_office(caller):
        return list(Region.objects.top_level().order_by("kato"))
    mine = coordinator_regions(caller)
    below = Region.objects.filter(parent__in=mine).order_by("kato")
    return [*mine, *below] if mine else []


# --- the dashboard's strip ----------------------------------------------------------------


@dataclass(frozen=True)
class AlertStrip:
    """The latest detected month's alerts still standing in the reader's scope, by side."""

    month: Month
    rises: int
    falls: int

    @property
    def period(self) -> str:
        return str(self.month)


def alert_strip(caller: Any) -> AlertStrip | None:
    """For the latest month a detection run finished: how many of its alerts in the
    caller's regions stand (not withdrawn), rises and falls apart; None when there are
    none. One query: the month is a subquery of the count. Not cached: it is the
    reader's own, and costs one small query."""
    latest = DetectionRun.objects.filter(status=DetectionStatus.DONE).order_by("-period").values("period")[:1]
    alerts = scoped_to_user(Alert.objects.filter(period=Subquery(latest), withdrawn=False), caller)
    place = Concat(Cast("indicator_id", CharField()), Value("-"), Cast("region_id", CharField()))
    counts = {
        (row["adverse"], row["period"]): row["n"]
        # A place that moved alone and persistently is one move: counted once.
        for row in alerts.order_by().values("adverse", "period").annotate(n=Count(place, distinct=True))
    }
    if not counts:
        return None
    day: datetime.date = next(iter(counts))[1]
    return AlertStrip(
        month=Month.from_date(day),
        rises=counts.get((Adverse.RISE, day), 0),
        falls=counts.get((Adverse.FALL, day), 0),
    )


@dataclass(frozen=True)
class AlertRecord:
    """How the alerts are made and how they have fared, for the page's reader: the latest
    finished run's budget and what it tested, and of the alerts of the last twelve months
    in the reader's regions, how many stand, were withdrawn after a correction, and were
    reviewed by the office."""

    run: DetectionRun | None
    raised: int
    withdrawn: int
    reviewed: int


def alert_record(caller: Any, today: datetime.date) -> AlertRecord:
    """Two queries: the latest finished run, and the counts of the year's alerts."""
    run = DetectionRun.objects.filter(status=DetectionStatus.DONE).order_by("-period", "-finished_at").first()
    since = Month.from_date(today).plus(-12).first_day
    counts = scoped_to_user(Alert.objects.filter(period__gte=since), caller).aggregate(
        raised=Count("pk"),
        withdrawn=Count("pk", filter=Q(withdrawn=True)),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
    )
    return AlertRecord(run, counts["raised"], counts["withdrawn"], counts["reviewed"])
