"""Request rates: how many per API key, and per logged-in person (body sizes: body_size.py).

A fixed window per caller: one counter per minute (or whatever the rate's period is),
incremented in the cache. DRF's SimpleRateThrottle keeps a list of every request's time
and reads and rewrites it whole on every request (two round trips to Redis and a list
that grows to the rate, 600 floats); a counter is one round trip. A burst of up to twice
the rate across a window's edge is the price, accepted for a limit meant to stop runaway
scripts, not to meter.

This module knows no app: a caller authenticated by a key carries `throttle_ident` (the
key's public prefix, say), and is limited by `KeyThrottle`; anyone else logged in by
`PersonThrottle`.
"""

import logging
import time
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .cache import UNREACHABLE
from .login_lockout import client_address

logger = logging.getLogger(__name__)


def _count(key: str, window_seconds: int) -> int:
    """Add one to the counter `key`, which lives a little longer than its window."""
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):  # Redis: INCR and EXPIRE in one round trip
        full_key = cache.make_and_validate_key(key)
        pipe = backend.get_client(full_key, write=True).pipeline()
        pipe.incr(full_key)
        pipe.expire(full_key, window_seconds + 1)
        count, _ = pipe.execute()
        return int(count)
    if cache.add(key, 1, window_seconds + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.set(key, 1, window_seconds + 1)
        return 1


class FixedWindowThrottle(BaseThrottle):
    scope = ""
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self) -> None:
        self.wait_seconds = 0.0

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        ident = self.ident(request)
        rate = self.THROTTLE_RATES.get(self.scope)
        if ident is None or rate is None:
            return True
        allowed, period = str(rate).split("/")
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
        now = time.time()
        window = int(now // seconds)
        try:
            count = _count(f"throttle:{self.scope}:{ident}:{window}", seconds)
        except UNREACHABLE as exc:  # no Redis: unthrottled rather than down (projectoffice/cache.py)
            logger.warning("throttle: cache unreachable (%s); letting the request through", exc)
            return True
        self.wait_seconds = (window + 1) * seconds - now
        return count <= int(allowed)

    def wait(self) -> float | None:
        return self.wait_seconds


class KeyThrottle(FixedWindowThrottle):
    """Callers that came with an API key, by the key's `throttle_ident`."""

    scope = "agency_token"

    def ident(self, request: Request) -> str | None:
        ident = getattr(request.user, "throttle_ident", None)
        return str(ident) if ident else None


class PersonThrottle(FixedWindowThrottle):
    """Logged-in people; callers with a key are limited by KeyThrottle instead."""

    scope = "user"

    def ident(self, request: Request) -> str | None:
        user = request.user
        if getattr(user, "throttle_ident", None):
            return None
        if not getattr(user, "is_authenticated", False):
            # By the client's address as the log-in lock-out reads it (TRUSTED_PROXY_COUNT):
            # DRF's own reading believes a client's X-Forwarded-For, so each forged header
            # would be a fresh bucket, and behind the proxy without it all would share one.
            return f"ip:{client_address(request)}"
        return str(user.pk)
