"""Releases through the API: the list, each one, and its frozen figures as JSON, CSV or
XLSX. Anyone may read published releases; the office also those awaiting confirmation
and withdrawn ones. Figures go out with exact small counts only to whom the brief shows
them (the office, `kpi:read` tokens, a coordinator for their own regions) and as the
public page shows them, small counts withheld, to anyone else
(`release_figures_for`)."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from projectoffice.api_csv import CSVList, CSVRenderer
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.table_download import FORMATS, table_response

from ..models import Release
from ..selectors.releases import release_figures_for, releases_visible_to


class XLSXFormat(BaseRenderer):
    """Lets `?format=xlsx` through content negotiation; the view answers the file itself."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return b""


class ReleaseSerializer(serializers.ModelSerializer[Release]):
    # None where no one has (yet): the schema says so, as the answers do.
    published_by = serializers.CharField(source="published_by.username", default=None, read_only=True, allow_null=True)
    confirmed_by = serializers.CharField(source="confirmed_by.username", default=None, read_only=True, allow_null=True)
    withdrawn_by = serializers.CharField(source="withdrawn_by.username", default=None, read_only=True, allow_null=True)
    figures = serializers.SerializerMethodField()
    # In the language of the request (`?lang=` or Accept-Language), else in another; each
    # language's own beside it.
    title = serializers.CharField(read_only=True)

    class Meta:
        model = Release
        fields = [
            "id", "title", "title_kk", "title_ru", "title_en", "period", "moment", "state", "published_by",
            "confirmed_by", "confirmed_at",
            "withdrawn_by", "withdrawn_at", "withdrawn_reason", "corrects", "erratum_reason", "figures",
        ]  # fmt: skip

    def get_figures(self, obj: Release) -> str:
        return reverse("release-figures", args=[obj.pk], request=self.context.get("request"))


@extend_schema_view(
    list=extend_schema(summary="Releases: figures frozen at a moment, confirmed by a second member of the office"),
    retrieve=extend_schema(summary="One release"),
)
class ReleaseViewSet(DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Release]):
    serializer_class = ReleaseSerializer
    csv_name = "releases"
    permission_classes = [permissions.AllowAny]
    filterset_fields = ["period", "state"]

    def get_queryset(self) -> Any:
        return releases_visible_to(self.request.user).order_by("-moment", "-pk")

    @extend_schema(
        summary="A release's figures",
        description="Every KPI nationally (empty `kato`) and by first-level region, as frozen, to the project "
        "office and tokens with `kpi:read`. A coordinator gets their own regions' figures as frozen and the others "
        "as the public page shows them; anyone else (a token without `kpi:read`, no log-in) as the public page "
        "shows them. Whoever gets any public figure gets the column `suppressed` (empty where a row is exact), "
        "with small counts withheld.",
        parameters=[
            OpenApiParameter("kpi", str, description="one KPI's code"),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="figures",
        url_name="figures",
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXFormat],
    )
    def figures(self, request: Request, pk: str | None = None) -> Response | HttpResponse:
        release = self.get_object()
        kpi = request.query_params.get("kpi") or None
        header, rows = release_figures_for(request.user, release, kpi=kpi)
        fmt = request.query_params.get("format")
        if fmt in FORMATS:
            return table_response(header, rows, filename=f"release-{release.pk}{f'-{kpi}' if kpi else ''}", fmt=fmt)
        return Response(
            {
                "release": ReleaseSerializer(release, context={"request": request}).data,
                "figures": [
                    {
                        column: (str(cell) if cell is not None and column != "kpi" else cell)
                        for column, cell in zip(header, row, strict=True)
                    }
                    for row in rows
                ],
            }
        )
