"""The API router: every resource of `/api/v1/` is registered here."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, routers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from agencies.api import AgencyViewSet, RegionalBranchViewSet
from initiatives.api.alerts import AlertViewSet
from initiatives.api.exports import ExportViewSet
from initiatives.api.regions import RegionViewSet
from initiatives.api.releases import ReleaseViewSet
from initiatives.api.views import (
    CampaignViewSet,
    ImportViewSet,
    IndicatorViewSet,
    InitiativeViewSet,
    ReportViewSet,
    ValueViewSet,
)

from .api_permissions import MethodBeforeAccess


class APIRootView(MethodBeforeAccess, routers.APIRootView):
    """Law and Order project office API, version 1. The list of resources is public;
    the resources need a log-in or an agency token (`Authorization: Bearer <token>`).
    The schema is at /api/schema/ and its documentation at /api/docs/."""

    permission_classes = [permissions.AllowAny]


class Router(routers.DefaultRouter):
    APIRootView = APIRootView
    # Formats are asked for with `?format=` (README); a dot in a detail URL
    # (`/campaigns/0.5/`) is part of the id asked for, not a format suffix.
    include_format_suffixes = False


@extend_schema(exclude=True)
class NoSuchEndpoint(APIView):
    """Every path under /api/ that no endpoint matches: the API's JSON `not_found`, not
    the site's HTML page, whatever the method or format asked for."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options", "trace"]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        return JSONRenderer(), JSONRenderer.media_type

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()


router = Router()
router.register("regions", RegionViewSet, basename="region")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("branches", RegionalBranchViewSet, basename="branch")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("kpis", IndicatorViewSet, basename="kpi")
router.register("values", ValueViewSet, basename="value")
router.register("reports", ReportViewSet, basename="report")
router.register("imports", ImportViewSet, basename="import")
router.register("exports", ExportViewSet, basename="export")
router.register("releases", ReleaseViewSet, basename="release")
router.register("alerts", AlertViewSet, basename="alert")
