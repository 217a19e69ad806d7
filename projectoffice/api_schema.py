"""The OpenAPI schema: the error shape as a component on every operation, and the schema
built once per process.

Every operation may answer 400, 401, 403, 404, 405, 406 and 429 in the shape of
`projectoffice/api_errors.py`; the hook documents them all (and any other 4xx an
operation declares without a body) with the `Error` component, so a generated client
can read every answer. The schema depends only on the code and the language it is
written in, so `CachedSchemaView` builds it once per process and language.
"""

from typing import Any

from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

# What each status means, for the documentation.
ERROR_STATUSES = {
    "400": "Bad input: `fields` names each bad parameter or field, with its code and params.",
    "401": "No valid log-in or token.",
    "403": "Logged in, but not allowed (e.g. `missing_scope`).",
    "404": "No such record among those the caller may see.",
    "405": "The endpoint does not take this method.",
    "406": "The format asked for (`?format=` or Accept) is not offered here.",
    "429": "Too many requests; `retry_after_seconds` says when to try again.",
}


# The shape of projectoffice/api_errors.py, as JSON Schema.
ERROR_COMPONENTS: dict[str, Any] = {
    "FieldError": {
        "type": "object",
        "required": ["code", "params", "message"],
        "properties": {
            "code": {
                "type": "string",
                "description": "Stable, for machines: e.g. unknown_kpi, unknown_region, not_a_number, not_a_period.",
            },
            "params": {
                "type": "object",
                "additionalProperties": {},
                "description": 'The values the message names, e.g. {"value": "crime.nosuch"}.',
            },
            "message": {"type": "string", "description": "For people, in the language asked for."},
        },
    },
    "ErrorBody": {
        "type": "object",
        "required": ["status", "code", "params", "message"],
        "properties": {
            "status": {"type": "integer", "description": "The HTTP status, again."},
            "code": {
                "type": "string",
                "description": (
                    "Stable: invalid (see `fields`), not_authenticated, authentication_failed, permission_denied, "
                    "missing_scope, not_found, no_forecast, method_not_allowed, not_acceptable, throttled, not_ready, "
                    "failed, expired."
                ),
            },
            "params": {
                "type": "object",
                "additionalProperties": {},
                "description": "The values the message names (e.g. scope, method, wait).",
            },
            "message": {"type": "string", "description": "For people, in the language asked for."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                "description": "Validation errors: each bad parameter or field (nested: `filters.kpi`) -> its errors.",
            },
            "retry_after_seconds": {"type": "integer", "description": "429 only."},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}},
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: the `Error` component, and every error status on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_COMPONENTS)
    error_content = {"application/json": {"schema": ERROR_REF}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if str(code).startswith("4"):
                    response["content"] = error_content
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


# What a file answer is, whatever the JSON answer beside it looks like.
FILE_CONTENT: dict[str, dict[str, Any]] = {
    "text/csv": {
        "type": "string",
        "description": "CSV in UTF-8, a header row, then a row per record (a list streams all its records).",
    },
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"type": "string", "format": "binary"},
}


def document_files(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: a CSV or XLSX answer is a file, not the JSON object the
    operation's serializer describes (drf-spectacular gives every renderer that schema)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for media_type, content in response.get("content", {}).items():
                    if media_type in FILE_CONTENT:
                        content["schema"] = dict(FILE_CONTENT[media_type])
    return result


_built: dict[tuple[str, str, bool], dict[str, Any]] = {}


def built_schema(
    *, version: str = "", public: bool = True, generator_class: Any = None, **options: Any
) -> dict[str, Any]:
    """The OpenAPI schema, built once per process, language, version and audience (its
    text is translated), then kept in memory: it changes only with the code. Served by
    `/api/schema/` and read by the parameter check (`api_parameters`)."""
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator

    key = (translation.get_language() or "", version, public)
    schema = _built.get(key)
    if schema is None:
        generator = (generator_class or SchemaGenerator)(api_version=version or None, **options)
        schema = _built[key] = generator.get_schema(request=None, public=public)
    return schema


class CachedSchemaView(SpectacularAPIView):
    """`/api/schema/`, from `built_schema`."""

    _built = _built  # the same store, for whoever must start afresh (a test)

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        schema = built_schema(
            version=str(version or ""),
            public=bool(self.serve_public),
            generator_class=self.generator_class,
            urlconf=self.urlconf,
            patterns=self.patterns,
        )
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
