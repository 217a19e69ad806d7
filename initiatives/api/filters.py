"""Filters of the API lists: KPI, region and everything below it, level, period span,
approval state, source, `updated_since` for incremental pulls."""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from projectoffice.api_errors import coded_validation_error
from projectoffice.api_filters import CodeFilter, TextFilter

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
    ValidationError, naming the filter) answers 400 in the API's shape, with its code."""

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            return super().filter_queryset(queryset)  # type: ignore[no-any-return]
        except DjangoValidationError as exc:
            raise coded_validation_error(exc) from None


def agency_filter(field_name: str) -> CodeFilter:
    return CodeFilter(
        field_name=field_name,
        label="agency code",
        model=Agency,
        unknown_code="unknown_agency",
        unknown_message=gettext_lazy("unknown agency code %(value)r"),
    )


class RegionWithinFilterMixin(RegionAndSpanMethods, ErrorsAs400):
    region = TextFilter(method="filter_region", label="KATO code: this region and everything below it")


class ValueFilter(ErrorsAs400, ValueFilterSet):
    """The filters of `/values/` (initiatives/selectors/values.py)."""


class CampaignFilter(RegionWithinFilterMixin):
    kind = django_filters.ChoiceFilter(choices=CampaignKind.choices)
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices)
    initiative = CodeFilter(
        field_name="initiative__code",
        label="initiative code",
        model=Initiative,
        unknown_code="unknown_initiative",
        unknown_message=gettext_lazy("unknown initiative code %(value)r"),
    )
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Campaign
        fields: list[str] = []


class InitiativeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InitiativeStatus.choices)
    lead_agency = agency_filter("lead_agency__code")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Initiative
        fields = ["direction"]


class ReportFilter(RegionAndSpanMethods, ErrorsAs400):
    region_field = "branch__region"
    region = TextFilter(method="filter_region", label="KATO code: this region and everything below it")
    state = django_filters.ChoiceFilter(choices=ReportState.choices)
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    agency = agency_filter("branch__agency__code")
    period_from = TextFilter(method="filter_period_from", label="reports starting in or after this period")
    period_to = TextFilter(method="filter_period_to", label="reports ending in or before this period")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Report
        fields: list[str] = []
