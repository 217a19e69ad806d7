"""Read-only API over agencies (`/api/v1/agencies/`, by code) and their regional branches."""

from rest_framework import serializers, viewsets

from .api_permissions import ReadOnlyForEveryoneKnown
from .models import Agency, RegionalBranch


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    predecessor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    name = serializers.CharField(read_only=True)

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


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Agency.objects.select_related("parent", "predecessor")
    serializer_class = AgencySerializer
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "code"
    filterset_fields = ["kind", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]


class RegionalBranchSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="kato", read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = RegionalBranch
        fields = ["id", "agency", "region", "name", "head", "phone", "email", "address", "is_active", "updated_at"]


class RegionalBranchViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RegionalBranch.objects.select_related("agency", "region")
    serializer_class = RegionalBranchSerializer
    permission_classes = [ReadOnlyForEveryoneKnown]
    filterset_fields = {"agency__code": ["exact"], "region__kato": ["exact"], "is_active": ["exact"]}
