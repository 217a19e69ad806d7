"""`/healthz`: is this process able to serve? For load balancers and monitoring.

The database and Redis decide the answer. Beside them each app may report on its own
state through a `health_reports` method on its AppConfig, returning the reports by name,
each a function giving its JSON: reported, never failed on, so this module knows no app."""

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


def app_reports() -> dict[str, Any]:
    """What the apps' `health_reports` say, each by its name; one that fails says so in its
    own report and spoils no other (the database check already says whether it serves)."""
    reports: dict[str, Any] = {}
    for config in apps.get_app_configs():
        offered: Callable[[], dict[str, Callable[[], Any]]] | None = getattr(config, "health_reports", None)
        if offered is None:
            continue
        for name, report in offered().items():
            try:
                reports[name] = report()
            except Exception as exc:
                reports[name] = {"state": f"error: {exc.__class__.__name__}"}
    return reports


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, **app_reports()},
        status=200 if healthy else 503,
    )
