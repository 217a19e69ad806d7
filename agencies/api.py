"""Read-only API over agencies (`/api/v1/agencies/`, by code) and their regional branches."""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from projectoffice.api_csv import CSVList
from projectoffice.api_filters import CodeFilter
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess, ReadOnlyForEveryoneKnown
from regions.models import Region

from .models import Agency, RegionalBranch


# A blank website is "", which is no URI: the two branches are told apart by length, so
# exactly one matches any value (a strict validator refuses a value both branches match).
@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "uri", "minLength": 1, "maxLength": 200},
            {"type": "string", "maxLength": 0},
        ],
        "description": "The agency's website, or an empty string when it has none.",
    }
)
class WebsiteField(serializers.URLField):
    pass


class AgencySerializer(serializers.ModelSerializer[Agency]):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    predecessor = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)
    website = WebsiteField(read_only=True, allow_blank=True)

    class Meta:
        model = Agency
        fields = [
            "code",
            "kind",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "parent",
            "predecessor",
            "is_active",
            "website",
            "updated_at",
        ]


KPSSU = {
    "code": "kpssu",
    "kind": "committee",
    "name": "Committee on Legal Statistics and Special Accounts of the Prosecutor General's Office",
    "name_kk": "Қазақстан Республикасы Бас прокуратурасының Құқықтық статистика және арнайы есепке алу комитеті",
    "name_ru": "Комитет по правовой статистике и специальным учётам Генеральной прокуратуры Республики Казахстан",
    "name_en": "Committee on Legal Statistics and Special Accounts of the Prosecutor General's Office",
    "parent": "gpo",
    "predecessor": None,
    "is_active": True,
    "website": "https://qamqor.gov.kz",
    "updated_at": "2026-11-28T12:00:00+05:00",
}


@extend_schema_view(
    list=extend_schema(summary="State bodies", description="Filter by `kind`, `is_active`; `search` by code or name."),
    retrieve=extend_schema(
        summary="One agency, by its stable code", examples=[OpenApiExample("KPSSU", value=KPSSU, response_only=True)]
    ),
)
class AgencyViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Agency]):
    queryset = Agency.objects.select_related("parent", "predecessor")
    serializer_class = AgencySerializer
    csv_name = "agencies"
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "code"
    filterset_fields = ["kind", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]


class RegionalBranchSerializer(serializers.ModelSerializer[RegionalBranch]):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="kato", read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = RegionalBranch
        fields = ["id", "agency", "region", "name", "head", "phone", "email", "address", "is_active", "updated_at"]


class BranchFilter(django_filters.FilterSet):
    agency__code = CodeFilter(
        field_name="agency__code",
        label="agency code",
        model=Agency,
        unknown_code="unknown_agency",
        unknown_message=gettext_lazy("unknown agency code %(value)r"),
    )
    region__kato = CodeFilter(
        field_name="region__kato",
        label="KATO code",
        model=Region,
        to_field="kato",
        unknown_code="unknown_region",
        unknown_message=gettext_lazy("unknown region %(value)r (a 9-digit KATO code)"),
    )

    class Meta:
        model = RegionalBranch
        fields = ["is_active"]


@extend_schema_view(
    list=extend_schema(
        summary="Regional branches of agencies",
        description="Filter by `agency__code` and `region__kato`.",
        examples=[
            OpenApiExample(
                "The prosecutor's office of Astana",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 18,
                            "agency": "gpo",
                            "region": "710000000",
                            "name": "Prosecutor General's Office — Astana",
                            "head": "",
                            "phone": "",
                            "email": "",
                            "address": "",
                            "is_active": True,
                            "updated_at": "2026-11-28T12:00:00+05:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    ),
)
class RegionalBranchViewSet(
    MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[RegionalBranch]
):
    queryset = RegionalBranch.objects.select_related("agency", "region")
    serializer_class = RegionalBranchSerializer
    csv_name = "branches"
    permission_classes = [ReadOnlyForEveryoneKnown]
    filterset_class = BranchFilter
