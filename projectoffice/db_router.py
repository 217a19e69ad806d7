"""API reads from a PostgreSQL read replica, when `DATABASE_REPLICA_URL` names one.

`ApiReadsMiddleware` marks a GET or HEAD request under `/api/` as a read; while it is
served, `ReplicaRouter` sends its reads to the `replica` database. Everything else goes
to the primary: writes, reads inside a transaction (a read that decides a write must
see the primary), reads outside the API, and the models in `REPLICA_PRIMARY_ONLY`
(rows a client reads right after writing them, or whose change must act at once, such
as a revoked key). A replica lags by a moment; the values and summaries it serves may
trail the primary by that much, which the API's `updated_since` pulls tolerate.
"""

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_api_read: contextvars.ContextVar[bool] = contextvars.ContextVar("api_read", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (where one is configured)."""
    token = _api_read.set(True)
    try:
        yield
    finally:
        _api_read.reset(token)


class ApiReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path.startswith("/api/"):
            with replica_reads():
                response = self.get_response(request)
                if getattr(response, "streaming", False):
                    # A streamed body is read after this returns: keep its reads where they began.
                    response.streaming_content = _within_replica_reads(response.streaming_content)  # type: ignore[attr-defined]
                return response
        return self.get_response(request)


def _within_replica_reads(chunks: Any) -> Iterator[Any]:
    with replica_reads():
        yield from chunks


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if (
            _api_read.get()
            and REPLICA in settings.DATABASES
            and model._meta.label_lower not in settings.REPLICA_PRIMARY_ONLY
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication
