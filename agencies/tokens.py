"""Agency API tokens: issuing them, and recognising them on a request.

`Authorization: Bearer <token>`. The caller becomes an `AgencyCaller`, never a user:
it holds the agency and the token's scopes, and is neither staff nor a coordinator.

A key is looked up in the database and its hash checked once per process, then kept in
the process (`_KNOWN`, by the SHA-256 of the whole key, so only the key itself finds it)
with the token's *key version*: a random value in the shared cache that every change of
the token or its agency replaces once committed (`token_changed`: revocation, expiry,
scopes, an agency made inactive; the admin's and the services' saves). Each request reads
the version in the same Redis round trip as it counts the request for the rate limit
(`projectoffice.api_throttles.count_with`); a version other than the one kept sends it
back to the database, so a revoked token is refused on its next request. An expiry date
is checked on every request, in the process. Without a shared cache (no Redis) in
production, every request reads the database, as before: another process's revocation
would not be seen.
"""

import datetime
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from projectoffice.api_throttles import count_with, key_window
from projectoffice.audit import audited
from projectoffice.cache import UNREACHABLE

from .models import Agency, AgencyToken

DEFAULT_TOKEN_DAYS = 365
# Recording every use would write on every request; once a minute says enough.
LAST_USE_RESOLUTION = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class AgencyCaller:
    """Who is calling when a token is used: an agency's system, with scopes."""

    agency: Agency
    token: AgencyToken
    # This request already counted for the rate limit, with the key version: (counter, count).
    counted: tuple[str, int] | None = None

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
        token.save(update_fields=["revoked"])  # post_save: token_changed


# --- Keys known to this process, checked against their key version on every request ----

# Processes keep what they looked up at most this long even if no version changed (a
# change made behind the models' backs, a raw UPDATE, is seen after it at the latest).
KNOWN_SECONDS = 60
_KNOWN: dict[bytes, tuple[AgencyToken, str, float]] = {}
_KNOWN_LOCK = threading.Lock()


def _version_key(prefix: str) -> str:
    return f"token-version:{prefix}"


def token_changed(prefix: str) -> None:
    """Once the transaction commits, give the token a new key version: every process that
    knows it looks it up again on its next request."""

    def bump() -> None:
        try:
            cache.set(_version_key(prefix), secrets.token_hex(8), timeout=None)
        except UNREACHABLE:  # pragma: no cover - ForgivingRedisCache swallows these
            pass

    transaction.on_commit(bump)


def _shared_cache() -> bool:
    """Whether every process reads the same cache (Redis), so a key version set by one is
    seen by all; outside production the in-process cache is one process's own (tests,
    `runserver`), and serves as well."""
    backend = getattr(cache, "_cache", None)
    return (backend is not None and hasattr(backend, "get_client")) or not settings.PRODUCTION


def _version_now(prefix: str) -> str | None:
    """The token's key version, given one if it has none (after a flush of the cache)."""
    key = _version_key(prefix)
    cache.add(key, secrets.token_hex(8), timeout=None)
    found = cache.get(key)
    return str(found) if found is not None else None


def _look_up(key: str) -> AgencyToken:
    try:
        return cast(AgencyToken, AgencyToken.objects.get_from_key(key))
    except AgencyToken.DoesNotExist:
        raise exceptions.AuthenticationFailed(_("The token is not valid or has been revoked.")) from None


def _known_token(key: str, prefix: str) -> tuple[AgencyToken, tuple[str, int] | None]:
    """The token of `key`, from this process when its key version has not changed (read
    in the round trip that counts the request), else from the database."""
    if not _shared_cache():
        return _look_up(key), None
    digest = hashlib.sha256(key.encode()).digest()
    now = timezone.now().timestamp()
    known = _KNOWN.get(digest)
    counted = None
    if known is not None and now - known[2] < KNOWN_SECONDS:
        token, kept, _at = known
        counter, seconds = key_window(prefix)
        try:
            count, current = count_with(counter, seconds, _version_key(prefix))
        except UNREACHABLE:
            count, current = None, None
        if count is not None:
            counted = (counter, count)
        if current is not None and str(current) == kept:
            return token, counted
    # Unknown, or changed since: the version first, then the row, so a change committed
    # in between gives a version other than the one kept with the row.
    try:
        version = _version_now(prefix)
    except UNREACHABLE:
        version = None
    token = _look_up(key)
    if version is not None:
        with _KNOWN_LOCK:
            if len(_KNOWN) > 10_000:  # keys of a process: a few dozen; never grows without end
                _KNOWN.clear()
            _KNOWN[digest] = (token, version, now)
    return token, counted


class AgencyTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AgencyCaller, AgencyToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Write the header as: Authorization: Bearer <token>."))
        prefix = header[1].partition(".")[0]
        token, counted = _known_token(header[1], prefix)
        if token.revoked:  # kept by a process before its key version changed: never, but checked
            raise exceptions.AuthenticationFailed(_("The token is not valid or has been revoked."))
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
            token.last_used_at = now  # the copy this process keeps, so it writes once a minute too
        return AgencyCaller(token.agency, token, counted), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def token_saved(sender: type, instance: AgencyToken, **kwargs: Any) -> None:
    """post_save and post_delete of a token (agencies/apps.py): a new key version."""
    token_changed(instance.prefix)


def agency_saved(sender: type, instance: Agency, **kwargs: Any) -> None:
    """post_save of an agency (made inactive, say): a new key version for each of its tokens."""
    for prefix in AgencyToken.objects.filter(agency=instance).values_list("prefix", flat=True):
        token_changed(prefix)
