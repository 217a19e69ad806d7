"""Query parameters as the OpenAPI schema declares them, and nothing else.

What an operation accepts is read from the published schema itself (built from its
filter set, its pagination, its search and ordering, and its explicit `extend_schema`
parameters), so the check and the documentation cannot drift apart:

- a parameter the operation does not declare answers 400 `unknown_parameter` (a typo in
  `?updated_sinse=` is not silently ignored, giving every row instead of the new ones);
- a number with a fraction where the declared type is an integer (`?level=0.5`) answers
  400 `not_a_whole_number` instead of an empty list (text that is no number at all was
  already refused by each parameter's reader).

`format` and `lang` (README: `?lang=kk|ru|en`) are declared on every operation, first, by
`declare_common_parameters`. Knows no app.
"""

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request

from .api_errors import CodedValidationError, FieldError, _json_safe

# Declared on every operation, before its own.
COMMON_PARAMETERS: list[dict[str, Any]] = [
    {
        "in": "query",
        "name": "format",
        "schema": {"type": "string"},
        "description": "The answer's format: json, or csv where the operation offers it (as Accept: text/csv).",
    },
    {
        "in": "query",
        "name": "lang",
        "schema": {"type": "string", "enum": ["kk", "ru", "en"]},
        "description": "The language of messages and names (as Accept-Language).",
    },
]
COMMON_NAMES = {p["name"] for p in COMMON_PARAMETERS}


def declare_common_parameters(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: `format` and `lang` first on every operation; an operation's own
    `format` (its formats as an enum) takes the place of the general one."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            own = operation.get("parameters", [])
            by_name = {p["name"]: p for p in own if p.get("in") == "query" and p.get("name") in COMMON_NAMES}
            first = [by_name.get(p["name"], p) for p in COMMON_PARAMETERS]
            operation["parameters"] = [*first, *(p for p in own if p not in first)]
    return result


_WHOLE = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

# (method, schema path) -> {query parameter: its schema}; built once per process from the schema.
_declared: dict[tuple[str, str], dict[str, dict[str, Any]]] | None = None


def _operations() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    global _declared
    if _declared is None:
        from django.conf import settings
        from django.utils import translation

        from .api_schema import built_schema

        # The same schema `/api/schema/` serves (names do not depend on the language).
        with translation.override(settings.LANGUAGE_CODE):
            schema = built_schema()
        _declared = {
            (method.upper(), path): {
                p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p.get("in") == "query"
            }
            for path, operations in schema.get("paths", {}).items()
            for method, operation in operations.items()
            if isinstance(operation, dict) and "responses" in operation
        }
    return _declared


def _schema_path(request: Request) -> str:
    """The request's path as the schema writes it: `/api/v1/regions/{kato}/`."""
    match = request.resolver_match
    segments = request.path_info.split("/")
    for name, value in (match.kwargs if match else {}).items():
        segments = [f"{{{name}}}" if segment == str(value) else segment for segment in segments]
    return "/".join(segments)


def _type_error(name: str, value: str, schema: dict[str, Any]) -> FieldError | None:
    """A number with a fraction where the schema says integer. Text that is no number at
    all is refused by the parameter's own reader (a filter, the pagination), with its code."""
    if schema.get("type") == "integer" and _NUMBER.match(value) and not _WHOLE.match(value):
        message = _("%(value)r is not a whole number") % {"value": value[:40]}
        return {"code": "not_a_whole_number", "params": _json_safe({"value": value}), "message": message}
    return None


def check_query_parameters(request: Request) -> None:
    """400 naming each query parameter the operation does not declare, or whose value its
    declared type refuses; nothing for an operation the schema does not describe."""
    declared = _operations().get(((request.method or "").upper(), _schema_path(request)))
    if declared is None:
        return
    errors: dict[str, list[FieldError]] = {}
    for name in request.query_params:
        schema = declared.get(name)
        if schema is None:
            errors[name] = [
                {
                    "code": "unknown_parameter",
                    "params": _json_safe({"name": name, "accepted": ", ".join(sorted(declared))}),
                    "message": _("this operation takes no parameter %(name)r; it takes %(accepted)s")
                    % {"name": name[:40], "accepted": ", ".join(sorted(declared))},
                }
            ]
            continue
        for value in request.query_params.getlist(name):
            if value != "" and (problem := _type_error(name, value, schema)) is not None:
                errors.setdefault(name, []).append(problem)
    if errors:
        raise CodedValidationError(errors)


class DeclaredParametersOnly:
    """A view mixin: the query parameters are checked against the schema's once the caller
    may use the endpoint (a stranger learns nothing about it from a 400)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        check_query_parameters(request)
