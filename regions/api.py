"""Read-only API over the region tree: `/api/v1/regions/`, looked up by KATO code."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from projectoffice.api_csv import CSVList
from projectoffice.api_filters import CodeFilter
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess, ReadOnlyForEveryoneKnown

from .models import Region, RegionKind


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent = serializers.SlugRelatedField(slug_field="kato", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = [
            "kato",
            "level",
            "parent",
            "kind",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "iso_3166_2",
            "population",
            "population_as_of",
            "valid_from",
            "valid_to",
            "updated_at",
        ]


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


ASTANA = {
    "kato": "710000000",
    "level": 1,
    "parent": None,
    "kind": "city",
    "name": "Astana",
    "name_kk": "Астана қаласы",
    "name_ru": "город Астана",
    "name_en": "Astana",
    "iso_3166_2": "KZ-71",
    "population": 1638233,
    "population_as_of": "2026-01-01",
    "valid_from": None,
    "valid_to": None,
    "updated_at": "2026-11-28T12:00:00+05:00",
}


@extend_schema_view(
    list=extend_schema(
        summary="Regions by KATO",
        description="Filters: `level`, `parent` (KATO), `kind`, `within` (KATO, with all below); `search` by name.",
        examples=[
            OpenApiExample(
                "First-level units",
                value={"count": 20, "next": None, "previous": None, "results": [ASTANA]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One region, by its KATO code", examples=[OpenApiExample("Astana", value=ASTANA, response_only=True)]
    ),
)
class RegionViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Region]):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    csv_name = "regions"
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "kato"
    filterset_class = RegionFilter
    search_fields = ["name_kk", "name_ru", "name_en", "kato"]
    ordering_fields = ["kato", "level"]
