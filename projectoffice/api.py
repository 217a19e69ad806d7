"""The API router: every resource of `/api/v1/` is registered here."""

from rest_framework import permissions, routers

from agencies.api import AgencyViewSet, RegionalBranchViewSet
from initiatives.api.exports import ExportViewSet
from initiatives.api.releases import ReleaseViewSet
from initiatives.api.views import (
    CampaignViewSet,
    ImportViewSet,
    IndicatorViewSet,
    InitiativeViewSet,
    ReportViewSet,
    ValueViewSet,
)
from regions.api import RegionViewSet

from .api_permissions import MethodBeforeAccess


class APIRootView(MethodBeforeAccess, routers.APIRootView):
    """Law and Order project office API, version 1. The list of resources is public;
    the resources need a log-in or an agency token (`Authorization: Bearer <token>`).
    The schema is at /api/schema/ and its documentation at /api/docs/."""

    permission_classes = [permissions.AllowAny]


class Router(routers.DefaultRouter):
    APIRootView = APIRootView


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
