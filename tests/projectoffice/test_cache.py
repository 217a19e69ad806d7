"""The cache is Redis in production; a Redis that is down must not take the site down."""

import os

import pytest
from django.core.cache import caches

from tests.factories import ValueFactory

UNREACHABLE = {"default": {"BACKEND": "projectoffice.cache.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


def test_an_unreachable_redis_is_a_miss_not_an_error(settings) -> None:
    settings.CACHES = UNREACHABLE
    cache = caches["default"]
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.has_key("k") is False
    assert cache.delete("k") is False


@pytest.mark.django_db
def test_the_api_answers_while_the_cache_is_down(caller, settings) -> None:
    """Throttling reads and writes the cache on every API request."""
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)
    settings.CACHES = UNREACHABLE
    rows = caller("token_kpi").get("/api/v1/values/").json()["results"]
    assert [(r["region"], r["value"]) for r in rows] == [("710000000", "1300")]
    summary = caller("office").get("/api/v1/kpis/crime.registered/summary/?region=710000000&period_from=2025-09")
    assert summary.status_code == 200 and summary.json()["value"] == "1300"


@pytest.mark.redis
def test_with_redis_up_the_cache_keeps_what_it_is_given(settings) -> None:
    url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/15"  # a database of its own on the shared server
    settings.CACHES = {"default": {"BACKEND": "projectoffice.cache.ForgivingRedisCache", "LOCATION": url}}
    cache = caches["default"]
    cache.set("tracker-test", {"n": 1}, timeout=10)
    assert cache.get("tracker-test") == {"n": 1}
    cache.delete("tracker-test")
