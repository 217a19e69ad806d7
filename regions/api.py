"""The filters of `/api/v1/regions/` (a KATO code that must name a region). The endpoint
itself is `initiatives/api/regions.py`: a region's population is read from KPI values."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from projectoffice.api_filters import CodeFilter

from .models import Region, RegionKind

UNKNOWN_REGION = gettext_lazy("unknown region %(value)r (a 9-digit KATO code)")


def region_filter(field_name: str, **kwargs: Any) -> CodeFilter:
    """A KATO code naming a region that exists (else 400 `unknown_region`)."""
    return CodeFilter(
        field_name=field_name,
        model=Region,
        to_field="kato",
        unknown_code="unknown_region",
        unknown_message=UNKNOWN_REGION,
        **kwargs,
    )


class RegionFilter(django_filters.FilterSet):
    parent = region_filter("parent__kato", label="parent KATO code")
    kind = django_filters.ChoiceFilter(choices=RegionKind.choices)
    within = region_filter("kato", method="filter_within", label="KATO code: this unit and all below it")

    class Meta:
        model = Region
        fields = ["level", "parent", "kind"]

    def filter_within(self, queryset: QuerySet[Region], name: str, value: str) -> QuerySet[Region]:
        region = Region.objects.get(kato=value)  # the filter has checked that it exists
        return queryset.filter(pk__in=Region.objects.within(region).values("pk"))
