"""Request limits: per agency token, and per logged-in person."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from agencies.tokens import is_agency_caller


class AgencyTokenThrottle(SimpleRateThrottle):
    scope = "agency_token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not is_agency_caller(user):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.token.prefix}


class PersonThrottle(UserRateThrottle):
    """Logged-in people; agency tokens are limited by AgencyTokenThrottle instead."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if is_agency_caller(request.user):
            return None
        return super().get_cache_key(request, view)
