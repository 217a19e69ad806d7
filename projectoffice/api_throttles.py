"""Request rates: how many per API key, and per logged-in person (body sizes: body_size.py).

A fixed window per caller: one counter per minute (or whatever the rate's period is),
incremented in the cache. DRF's SimpleRateThrottle keeps a list of every request's time
and reads and rewrites it whole on every request (two round trips to Redis and a list
that grows to the rate, 600 floats); a counter is one round trip. A burst of up to twice
the rate across a window's edge is the price, accepted for a limit meant to stop runaway
scripts, not to meter.

This module knows no app: a caller authenticated by a key carries `throttle_ident` (the
key's public prefix, say), and is limited by `KeyThrottle`; anyone else logged in by
`PersonThrottle`. A key's authentication may count its request itself, in the round trip
that reads what it needs from the cache (`count_with`: agencies/tokens.py reads the key's
version there), and carry the count in `counted`: the throttle then makes no round trip.
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
    return count_with(key, window_seconds, None)[0]


def count_with(key: str, window_seconds: int, also: str | None) -> tuple[int, Any]:
    """Add one to the counter `key` and read the cache's value under `also` (None: none),
    in one round trip to Redis."""
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):  # Redis: INCR, EXPIRE (and GET) in one round trip
        full_key = cache.make_and_validate_key(key)
        pipe = backend.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, window_seconds + 1)
        if also is not None:
            pipe.get(cache.make_and_validate_key(also))
        answers = pipe.execute()
        value = backend._serializer.loads(answers[2]) if also is not None and answers[2] is not None else None
        return int(answers[0]), value
    return _count_here(key, window_seconds), cache.get(also) if also is not None else None


def _count_here(key: str, window_seconds: int) -> int:
    if cache.add(key, 1, window_seconds + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.set(key, 1, window_seconds + 1)
        return 1


def _window(rates: dict[str, Any], scope: str, ident: str, now: float) -> tuple[str, int, int, int] | None:
    """The counter of `ident` in `scope` for the window holding `now`: its key, the
    window's length and number, and how many requests it allows (None: no limit)."""
    rate = rates.get(scope)
    if rate is None:
        return None
    allowed, period = str(rate).split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    window = int(now // seconds)
    return f"throttle:{scope}:{ident}:{window}", seconds, window, int(allowed)


def key_window(ident: str) -> tuple[str, int]:
    """The counter a key's request adds to now (`KeyThrottle`'s), and its window's length."""
    found = _window(KeyThrottle.THROTTLE_RATES, KeyThrottle.scope, ident, time.time())
    return (found[0], found[1]) if found else ("", 60)


class FixedWindowThrottle(BaseThrottle):
    scope = ""
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self) -> None:
        self.wait_seconds = 0.0

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        ident = self.ident(request)
        now = time.time()
        found = _window(self.THROTTLE_RATES, self.scope, ident, now) if ident is not None else None
        if found is None:
            return True
        key, seconds, window, allowed = found
        counted = getattr(request.user, "counted", None)
        if counted is not None and counted[0] == key:  # counted while authenticating, in this window
            count = int(counted[1])
        else:
            try:
                count = _count(key, seconds)
            except UNREACHABLE as exc:  # no Redis: unthrottled rather than down (projectoffice/cache.py)
                logger.warning("throttle: cache unreachable (%s); letting the request through", exc)
                return True
        self.wait_seconds = (window + 1) * seconds - now
        return count <= allowed

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
