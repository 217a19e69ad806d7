"""Redis as Django's cache, where an unreachable Redis is a miss rather than an error.

Everything the site keeps in the cache can be done without it: KPI summaries are
computed again, import progress is read from the import's row, API throttling lets the
request through. So when Redis is down the site stays up (slower, and unthrottled)
instead of answering 500 to every request that touches the cache. Django's own
RedisCache raises; django-redis's IGNORE_EXCEPTIONS does this, but would be another
dependency for one behaviour.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _or(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: "ForgivingRedisCache", *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                logger.warning("cache unreachable (%s); carrying on without it", exc)
                return fallback(*args, **kwargs)

        return call

    return wrap


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class ForgivingRedisCache(RedisCache):
    get = _or(_default)(RedisCache.get)
    get_many = _or(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _or(lambda *a, **k: False)(RedisCache.has_key)
    set = _or(lambda *a, **k: None)(RedisCache.set)
    add = _or(lambda *a, **k: False)(RedisCache.add)
    touch = _or(lambda *a, **k: False)(RedisCache.touch)
    set_many = _or(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete = _or(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _or(lambda *a, **k: None)(RedisCache.delete_many)
