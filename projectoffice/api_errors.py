"""Every API error in one JSON shape, for machines (`code`, `params`) and for people
(`message`, in the language asked for):

    {"error": {"status": 400, "code": "invalid", "params": {}, "message": "kpi: ...",
               "fields": {"kpi": [{"code": "unknown_kpi", "params": {"value": "crime.nosuch"},
                                   "message": "..."}]}}}

`code` is stable (clients branch on it; messages may be reworded and are translated);
`params` holds the values the message names. `fields` appears for validation errors:
the name of each bad input (a nested one as `filters.kpi`) -> its errors, each with its
own `code`, `params` and `message`. A throttled answer adds `retry_after_seconds`.

Errors raised as Django's ValidationError (selectors, services, forms of filters) keep
their `code` and `params` through `coded_validation_error`.
"""

from collections.abc import Mapping
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


class FieldError(TypedDict):
    code: str
    params: dict[str, Any]
    message: str


# Django's and DRF's own codes, renamed where a client would otherwise have to guess what
# "invalid" meant; the input that was refused goes into params as `value`.
FORM_CODES = {
    "DecimalField": {"invalid": "not_a_number"},
    "FloatField": {"invalid": "not_a_number"},
    "IntegerField": {"invalid": "not_a_whole_number"},
    "IsoDateTimeField": {"invalid": "not_a_datetime"},
    "DateTimeField": {"invalid": "not_a_datetime"},
    "DateField": {"invalid": "not_a_date"},
    "BooleanField": {"invalid": "not_a_boolean"},
}
GENERIC_CODES = {"invalid_choice": "unknown_filter_value"}


# An input echoed in params is cut to this many characters (a 2 MB filter is not sent back).
MAX_ECHO = 200


def _json_safe(params: Mapping[str, Any] | None) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if not (isinstance(value, int | float | bool) or value is None):
            value = str(value)[:MAX_ECHO]
        safe[key] = value
    return safe


def django_field_errors(error: DjangoValidationError, *, prefix: str = "") -> dict[str, list[FieldError]]:
    """Django's ValidationError (a dict of lists, or a list) as the API's per-field errors,
    each with the code and params it was raised with."""
    if not hasattr(error, "error_dict"):
        return {prefix or "non_field_errors": [_one(e) for e in error.error_list]}
    return {f"{prefix}{name}": [_one(e) for e in errors] for name, errors in error.error_dict.items() if errors}


def _one(error: DjangoValidationError) -> FieldError:
    message = str(error.message)
    if error.params:
        try:
            message = message % error.params
        except (KeyError, TypeError, ValueError):  # a message without placeholders for its params
            pass
    return {"code": error.code or "invalid", "params": _json_safe(error.params), "message": message}


def form_errors(form: Any) -> DjangoValidationError:
    """A bound form's errors (a filter set's) as one ValidationError keyed by field, each
    error with its code (renamed by FORM_CODES where Django's says only "invalid") and params."""
    out: dict[str, list[DjangoValidationError]] = {}
    for name, errors in form.errors.as_data().items():
        field = form.fields.get(name)
        renamed = FORM_CODES.get(type(field).__name__, {}) if field is not None else {}
        out[name] = [
            DjangoValidationError(
                e.message,
                code=renamed.get(e.code or "") or GENERIC_CODES.get(e.code or "") or e.code,
                # What was given, as every error of a filter names it.
                params={"value": form.data.get(name), **(e.params or {})},
            )
            for e in errors
        ]
    return DjangoValidationError(out)


class CodedValidationError(exceptions.ValidationError):
    """A 400 whose per-field errors already carry their code and params."""

    def __init__(self, fields: Mapping[str, list[FieldError]]) -> None:
        super().__init__({name: [e["message"] for e in errors] for name, errors in fields.items()})
        self.coded = dict(fields)


def coded_validation_error(error: DjangoValidationError, *, prefix: str = "") -> CodedValidationError:
    return CodedValidationError(django_field_errors(error, prefix=prefix))


def field_error(name: str, code: str, message: str, **params: Any) -> CodedValidationError:
    """One bad input, raised from a view: `raise field_error("kpi", "unknown_kpi", msg, value=...)`."""
    return CodedValidationError({name: [{"code": code, "params": _json_safe(params), "message": message}]})


class APIError(exceptions.APIException):
    """An API error with params beside its message (`params` in the answer)."""

    def __init__(self, detail: Any = None, code: str | None = None, **params: Any) -> None:
        super().__init__(detail, code)
        self.params = _json_safe(params)


def _drf_field_errors(detail: Any, prefix: str = "") -> dict[str, list[FieldError]]:
    """DRF's nested error details (a serializer's) as per-field errors; nested names are
    joined with dots (`filters.kpi`)."""
    out: dict[str, list[FieldError]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                out.update(_drf_field_errors(value, f"{name}."))
            else:
                items = value if isinstance(value, list) else [value]
                flat: list[FieldError] = []
                for item in items:
                    if isinstance(item, dict):
                        out.update(_drf_field_errors(item, f"{name}."))
                    else:
                        flat.append(
                            {
                                "code": GENERIC_CODES.get(
                                    getattr(item, "code", ""), getattr(item, "code", None) or "invalid"
                                ),
                                "params": {},
                                "message": str(item),
                            }
                        )
                if flat:
                    out[name] = flat
    return out


def _message(fields: Mapping[str, list[FieldError]]) -> str:
    return "; ".join(
        f"{name}: {e['message']}" if name != "non_field_errors" else e["message"]
        for name, errors in fields.items()
        for e in errors
    )


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for d in detail for m in _flatten(d)]
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _flatten(v)]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Not at the top: rest_framework.views reads the renderer settings, whose CSV renderer imports this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = coded_validation_error(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        fields = getattr(exc, "coded", None)
        if fields is None:
            fields = (
                _drf_field_errors(exc.detail)
                if isinstance(exc.detail, dict)
                else _drf_field_errors({"non_field_errors": exc.detail})
            )
        body["code"] = "invalid"
        body["params"] = {}
        body["message"] = _message(fields)
        body["fields"] = fields
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = getattr(exc, "detail", str(exc))
        body["code"] = code if isinstance(code, str) else "error"
        body["params"] = dict(getattr(exc, "params", {}))
        body["message"] = " ".join(_flatten(detail))
        if isinstance(exc, exceptions.MethodNotAllowed) and context.get("request") is not None:
            body["params"] = {"method": context["request"].method}
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
        body["retry_after_seconds"] = int(exc.wait)  # type: ignore[attr-defined]
        body["params"] = {**body["params"], "wait": int(exc.wait)}  # type: ignore[attr-defined]
    response.data = {"error": body}
    request = context.get("request")
    if request is not None and getattr(getattr(request, "accepted_renderer", None), "format", None) not in {
        None,
        "json",
        "api",
    }:
        # An error is not a table: it comes as JSON even where CSV or XLSX was asked for.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response
