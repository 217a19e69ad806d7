"""Filters of the API lists: KPI, region and everything below it, level, period span,
approval state, source, `updated_since` for incremental pulls."""

import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from agencies.access import within_regions
from regions.models import Region

from ..models import (
    ApprovalState,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Initiative,
    InitiativeStatus,
    Report,
    ReportKind,
    ReportState,
    Value,
    ValueSource,
)
from ..periods import Period, PeriodError


def _region_or_error(kato: str) -> Region:
    region = Region.objects.filter(kato=kato).first()
    if region is None:
        raise ValidationError({"region": [_("unknown region %(code)r (a 9-digit KATO code)") % {"code": kato}]})
    return region


def _period_or_error(name: str, text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise ValidationError({name: [str(exc)]}) from None


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    """`updated_since`: rows changed at or after an ISO time. The time is turned into UTC
    first: Python accepts offsets (up to ±23:59) that PostgreSQL refuses (beyond ±15:59)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(field_name="updated_at", lookup_expr="gte", **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        filtered: QuerySet[Any] = super().filter(qs, value)  # django-filter is untyped
        return filtered


class RegionWithinFilterMixin(django_filters.FilterSet):
    region = django_filters.CharFilter(method="filter_region", label="KATO code: this region and everything below it")

    def filter_region(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(within_regions([_region_or_error(value)]))


class ValueFilter(RegionWithinFilterMixin):
    kpi = django_filters.CharFilter(field_name="indicator__code", label="KPI code")
    level = django_filters.NumberFilter(field_name="region__level", label="region level (1 to 4)")
    period_from = django_filters.CharFilter(
        method="filter_period_from", label="values starting in or after this period"
    )
    period_to = django_filters.CharFilter(method="filter_period_to", label="values ending in or before this period")
    approval_state = django_filters.ChoiceFilter(choices=ApprovalState.choices)
    source = django_filters.ChoiceFilter(choices=ValueSource.choices)
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Value
        fields: list[str] = []

    def filter_period_from(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_start__gte=_period_or_error(name, value).first_day)

    def filter_period_to(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_end__lte=_period_or_error(name, value).end.first_day)


class CampaignFilter(RegionWithinFilterMixin):
    kind = django_filters.ChoiceFilter(choices=CampaignKind.choices)
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices)
    initiative = django_filters.CharFilter(field_name="initiative__code")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Campaign
        fields: list[str] = []


class InitiativeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InitiativeStatus.choices)
    lead_agency = django_filters.CharFilter(field_name="lead_agency__code")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Initiative
        fields = ["direction"]


class ReportFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(method="filter_region", label="KATO code: this region and everything below it")
    state = django_filters.ChoiceFilter(choices=ReportState.choices)
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    agency = django_filters.CharFilter(field_name="branch__agency__code")
    period_from = django_filters.CharFilter(
        method="filter_period_from", label="reports starting in or after this period"
    )
    period_to = django_filters.CharFilter(method="filter_period_to", label="reports ending in or before this period")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Report
        fields: list[str] = []

    def filter_region(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(within_regions([_region_or_error(value)], field="branch__region"))

    def filter_period_from(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_start__gte=_period_or_error(name, value).first_day)

    def filter_period_to(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(period_end__lte=_period_or_error(name, value).end.first_day)
