"""API permissions that know no app: the reference data every known caller may read."""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request


class ReadOnlyForEveryoneKnown(permissions.BasePermission):
    """Reference data (regions, agencies, KPI definitions): any logged-in person, any valid token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.method in permissions.SAFE_METHODS)
