"""Read-only API over the region tree: `/api/v1/regions/`, looked up by KATO code. It lives
here, not in `regions`, because a region's `population` and `population_as_of` are read
from the values of the population KPI (`selectors/population.py`), which `regions` does
not know; the filters stay in `regions/api.py`."""

import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from projectoffice.api_csv import CSVList
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess, ReadOnlyForEveryoneKnown
from regions.api import RegionFilter
from regions.models import Region

from ..selectors.population import population_counted_on, regions_with_population

# The fields keep the shape the former `Region.population` columns gave them (a positive
# integer of the database's range, a date, their translated labels), so that the schema
# does not change.
_LARGEST_POPULATION = connection.ops.integer_field_range("PositiveIntegerField")[1]


class PopulationAsOfField(serializers.DateField):
    """Reads the last month of the population value's period; says the day it stands at."""

    def to_representation(self, value: datetime.date) -> Any:
        return super().to_representation(population_counted_on(value))


class RegionSerializer(serializers.ModelSerializer[Region]):
    parent = serializers.SlugRelatedField(slug_field="kato", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    population = serializers.IntegerField(
        label=capfirst(_("population")),
        allow_null=True,
        required=False,
        min_value=0,
        max_value=_LARGEST_POPULATION,
    )
    population_as_of = PopulationAsOfField(
        label=capfirst(_("population as of")), allow_null=True, required=False, source="population_period_end"
    )

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

    def get_queryset(self) -> QuerySet[Region]:
        return regions_with_population(super().get_queryset())
