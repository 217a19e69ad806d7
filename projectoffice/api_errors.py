"""Every API error in one JSON shape, with a message a person can act on:

    {"error": {"status": 404, "code": "not_found", "message": "...", "fields": {...}}}

`fields` appears for validation errors: field name -> list of messages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for d in detail for m in _flatten(d)]
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _flatten(v)]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["code"] = "invalid"
        body["message"] = "; ".join(_flatten(exc.detail))
        body["fields"] = {k: _flatten(v) for k, v in exc.detail.items()}
    else:
        detail = getattr(exc, "detail", str(exc))
        body["code"] = code if isinstance(code, str) else "invalid"
        body["message"] = " ".join(_flatten(detail))
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
        body["retry_after_seconds"] = int(exc.wait)  # type: ignore[attr-defined]
    response.data = {"error": body}
    return response
