"""Agency API tokens: issuing them, and recognising them on a request.

`Authorization: Bearer <token>`. The caller becomes an `AgencyCaller`, never a user:
it holds the agency and the token's scopes, and is neither staff nor a coordinator.
"""

import datetime
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from projectoffice.audit import audited

from .models import Agency, AgencyToken

DEFAULT_TOKEN_DAYS = 365
# Recording every use would write on every request; once a minute says enough.
LAST_USE_RESOLUTION = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class AgencyCaller:
    """Who is calling when a token is used: an agency's system, with scopes."""

    agency: Agency
    token: AgencyToken

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_active = True
    pk = None

    @property
    def username(self) -> str:
        return f"token:{self.token.prefix}"

    @property
    def throttle_ident(self) -> str:
        """What the request limit counts by (projectoffice/api_throttles.py): the key's public prefix."""
        return self.token.prefix

    def allows(self, scope: str) -> bool:
        return self.token.allows(scope)

    def __str__(self) -> str:
        return f"{self.agency.code} ({self.token.name})"


def is_agency_caller(user: Any) -> TypeGuard[AgencyCaller]:
    return isinstance(user, AgencyCaller)


@transaction.atomic
def agency_token_issue(
    *, agency: Agency, name: str, scopes: list[str], expires_days: int | None, user: User | None
) -> tuple[AgencyToken, str]:
    """Create a token; returns it with the key, which is never stored and never shown again."""
    token = AgencyToken(
        agency=agency,
        name=name,
        scopes=sorted(set(scopes)),
        created_by=user,
        expiry_date=timezone.now() + datetime.timedelta(days=expires_days) if expires_days else None,
    )
    token.full_clean(exclude=["id", "prefix", "hashed_key"])
    key = AgencyToken.objects.assign_key(token)
    audited(token, user)
    token.save()
    return token, key


def agency_token_revoke(*, token: AgencyToken, user: User | None) -> None:
    if not token.revoked:
        token.revoked = True
        audited(token, user)
        token.save(update_fields=["revoked"])


class AgencyTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AgencyCaller, AgencyToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Write the header as: Authorization: Bearer <token>."))
        try:
            token = cast(AgencyToken, AgencyToken.objects.get_from_key(header[1]))
        except AgencyToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("The token is not valid or has been revoked.")) from None
        if token.has_expired and token.expiry_date is not None:
            raise exceptions.AuthenticationFailed(
                _("The token expired on %(date)s.") % {"date": token.expiry_date.date().isoformat()}
            )
        if not token.agency.is_active:
            raise exceptions.AuthenticationFailed(_("The token's agency is no longer active."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USE_RESOLUTION:
            # Conditional: of concurrent requests in the same minute one writes; history is not touched.
            AgencyToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USE_RESOLUTION), pk=token.pk
            ).update(last_used_at=now)
        return AgencyCaller(token.agency, token), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
