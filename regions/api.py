"""Read-only API over the region tree: `/api/v1/regions/`, looked up by KATO code."""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from projectoffice.api_permissions import ReadOnlyForEveryoneKnown

from .models import Region, RegionKind


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent = serializers.SlugRelatedField(slug_field="kato", read_only=True)
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


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__kato", label="parent KATO code")
    kind = django_filters.ChoiceFilter(choices=RegionKind.choices)
    within = django_filters.CharFilter(method="filter_within", label="KATO code: this unit and all below it")

    class Meta:
        model = Region
        fields = ["level", "parent", "kind"]

    def filter_within(self, queryset: QuerySet[Region], name: str, value: str) -> QuerySet[Region]:
        region = Region.objects.filter(kato=value).first()
        if region is None:
            return queryset.none()
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
class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "kato"
    filterset_class = RegionFilter
    search_fields = ["name_kk", "name_ru", "name_en", "kato"]
    ordering_fields = ["kato", "level"]
