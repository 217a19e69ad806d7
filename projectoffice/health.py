"""`/healthz`: is this process able to serve? For load balancers and monitoring."""

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from initiatives.selectors.figures import rollups_health


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not serving"; the message says which
        return f"error: {exc.__class__.__name__}"
    return "ok"


def redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def rollups_state() -> dict[str, Any]:
    """The nightly comparison of the KPI engine's rollups with the values. A drift is
    reported, not failed on: the site still serves, and `rebuild_rollups` mends it."""
    try:
        return rollups_health()
    except Exception as exc:  # the database check above already says whether it serves
        return {"state": f"error: {exc.__class__.__name__}"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "rollups": rollups_state()},
        status=200 if healthy else 503,
    )
