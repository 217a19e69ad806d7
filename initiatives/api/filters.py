"""Filters of the API lists: KPI, region and everything below it, level, period span,
approval state, source, `updated_since` for incremental pulls.

A code naming no record, or a region or period a filter method cannot read, answers 400
naming the filter with its code (projectoffice.api_filters.FilterBackend)."""

import django_filters
from django.utils.translation import gettext_lazy

from agencies.models import Agency
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


def agency_filter(field_name: str) -> CodeFilter:
    return CodeFilter(
        field_name=field_name,
        label="agency code",
        model=Agency,
        unknown_code="unknown_agency",
        unknown_message=gettext_lazy("unknown agency code %(value)r"),
    )


class RegionWithinFilterMixin(RegionAndSpanMethods, django_filters.FilterSet):
    region = TextFilter(method="filter_region", label="KATO code: this region and everything below it")


class ValueFilter(ValueFilterSet):
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


class ReportFilter(RegionAndSpanMethods, django_filters.FilterSet):
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
