"""How the OpenAPI schema describes agency tokens (loaded by AgenciesConfig.ready)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AgencyTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.tokens.AgencyTokenAuthentication"
    name = "agencyToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An agency token from `manage.py issue_api_token` or the admin: `Authorization: Bearer <token>`."
            ),
        }
