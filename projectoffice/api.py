"""The API router: every resource of `/api/v1/` is registered here."""

from rest_framework import permissions, routers

from agencies.api import AgencyViewSet, RegionalBranchViewSet
from regions.api import RegionViewSet


class APIRootView(routers.APIRootView):
    """Law and Order project office API, version 1. The list of resources is public;
    the resources themselves need a log-in."""

    permission_classes = [permissions.AllowAny]


class Router(routers.DefaultRouter):
    APIRootView = APIRootView


router = Router()
router.register("regions", RegionViewSet, basename="region")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("branches", RegionalBranchViewSet, basename="branch")
