"""Filters of the API lists: KPI, region and everything below it, level, period span,
approval state, source, `updated_since` for incremental pulls."""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from ..models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Initiative,
    InitiativeStatus,
    Report,
    ReportKind,
    ReportState,
)
from ..selectors.values import RegionAndSpanMethods, UpdatedSinceFilter, ValueFilterSet


class ErrorsAs400(django_filters.FilterSet):
    """A region or period a filter method could not read (the selectors raise Django's
    ValidationError, naming the filter) answers 400 in the API's shape."""

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            return super().filter_queryset(queryset)  # type: ignore[no-any-return]
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None


class RegionWithinFilterMixin(RegionAndSpanMethods, ErrorsAs400):
    region = django_filters.CharFilter(method="filter_region", label="KATO code: this region and everything below it")


class ValueFilter(ErrorsAs400, ValueFilterSet):
    """The filters of `/values/` (initiatives/selectors/values.py)."""


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


class ReportFilter(RegionAndSpanMethods, ErrorsAs400):
    region_field = "branch__region"
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
