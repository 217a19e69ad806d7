"""API permissions, by who is calling: a logged-in person or an agency token."""

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, status
from rest_framework.request import Request

from projectoffice.api_errors import APIError

from .access import is_project_office, may_read
from .models import TokenScope
from .tokens import is_agency_caller


class MissingScope(APIError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "missing_scope"


def scoped(scope: str, *, may_post: bool = False) -> type[permissions.BasePermission]:
    """Read access for the project office and coordinators (rows are scoped by region in
    the view), and for agency tokens holding `scope`. `may_post`: the same callers may also
    ask for something to be made from what they read (an export)."""

    class Scoped(permissions.BasePermission):
        message = format_lazy(_("This needs the scope {scope}, which this caller lacks."), scope=scope)

        def has_permission(self, request: Request, view: Any) -> bool:
            if request.method not in permissions.SAFE_METHODS and not (may_post and request.method == "POST"):
                return False
            if may_read(request.user, scope):
                return True
            if request.user and request.user.is_authenticated:  # the anonymous are asked to log in (401)
                raise MissingScope(self.message, code="missing_scope", scope=scope)
            return False

    Scoped.__name__ = f"Scoped_{scope.replace(':', '_')}"
    return Scoped


class CanImportStatistics(permissions.BasePermission):
    """Pushing legal statistics: project-office staff, or a token with statistics:import.
    Reading the list of imports: the same callers."""

    message = _("Only the project office or a token with the scope statistics:import may do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if is_agency_caller(user):
            return bool(user.allows(TokenScope.STATISTICS_IMPORT))
        return is_project_office(user)
