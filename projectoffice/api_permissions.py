"""API permissions that know no app: the reference data every known caller may read."""

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request


class ReadOnlyForEveryoneKnown(permissions.BasePermission):
    """Reference data (regions, agencies, KPI definitions): any logged-in person, any valid token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.method in permissions.SAFE_METHODS)


class MethodBeforeAccess:
    """A view mixin: a method the endpoint does not have answers 405 whoever asks, before
    any log-in or scope is checked (a DELETE to a read-only list is not a matter of scopes)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            raise exceptions.MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
