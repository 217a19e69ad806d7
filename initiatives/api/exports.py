"""API v1: exports of KPI values to a file, built by a worker and downloaded when ready.

`POST /exports/` records the job and answers 202; the caller polls `/exports/{id}/` and
fetches `/exports/{id}/download/` once `status` is `ready`. Each caller sees only their
own jobs (a token: its agency's); anyone else's are 404.
"""

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from agencies.api_permissions import scoped
from agencies.models import Agency, TokenScope
from agencies.tokens import is_agency_caller
from projectoffice.api_errors import CodedValidationError, FieldError, django_field_errors
from projectoffice.api_filters import MAX_FILTER_LENGTH
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess

from ..models import Export, ExportFormat, ExportStatus
from ..services.exports import CONTENT_TYPES, TooManyExports, export_download_allowed, export_request
from .examples import ANOTHER_EXAMPLE_KPI, EXAMPLE_KPI
from .filters import ValueFilter

# --- serializers --------------------------------------------------------------------


def _filter_field(name: str) -> "serializers.CharField":
    label = ValueFilter.base_filters[name].label or name
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_FILTER_LENGTH, help_text=f"{label} (a filter of /values/)"
    )


class ExportFiltersSerializer(serializers.Serializer[Any]):
    """The filters of `/api/v1/values/`, by the same names; an unknown name is refused."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {name: _filter_field(name) for name in ValueFilter.base_filters}


class ExportRequestSerializer(serializers.Serializer[Any]):
    """`format`, and the filters of /values/ either in `filters` or at the top level
    (`{"format": "csv", "kpi": "crime.theft"}`), not both for one name."""

    format = serializers.ChoiceField(choices=ExportFormat.choices, help_text="csv or xlsx")
    filters = ExportFiltersSerializer(
        required=False, help_text="The query parameters of /api/v1/values/, e.g. kpi, region, period_from."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields.update({name: _filter_field(name) for name in ValueFilter.base_filters})
        return fields


def _unknown_keys(data: Any) -> dict[str, list[FieldError]]:
    """Names the request body holds that an export does not read: refused, never ignored."""
    if not isinstance(data, dict):
        return {}
    filters = list(ValueFilter.base_filters)
    known = ["format", "filters", *filters]
    unknown = {name: ", ".join(known) for name in data if name not in known}
    nested = data.get("filters")
    if isinstance(nested, dict):
        unknown.update({f"filters.{name}": ", ".join(filters) for name in nested if name not in filters})
    message = _("unknown field; an export reads: %(known)s")
    return {
        name: [{"code": "unknown_field", "params": {"known": allowed}, "message": message % {"known": allowed}}]
        for name, allowed in sorted(unknown.items())
    }


class ExportLinksSerializer(serializers.Serializer[Any]):
    self = serializers.URLField(help_text="This job; poll it until `status` is ready or failed.")
    download = serializers.URLField(help_text="The file, once `status` is ready.")


class ExportSerializer(serializers.ModelSerializer[Export]):
    requested_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    agency: "serializers.SlugRelatedField[Agency]" = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    expired = serializers.SerializerMethodField(help_text="The file was deleted; ask for a new export.")
    links = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "format",
            "filters",
            "status",
            "rows",
            "error",
            "requested_by",
            "agency",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "expired",
            "links",
        ]

    def get_expired(self, export: Export) -> bool:
        return export.has_expired

    @extend_schema_field(ExportLinksSerializer)
    def get_links(self, export: Export) -> dict[str, str]:
        request = self.context.get("request")
        return {
            "self": reverse("export-detail", kwargs={"pk": export.pk}, request=request),
            "download": reverse("export-download", kwargs={"pk": export.pk}, request=request),
        }


# --- errors of a download -----------------------------------------------------------


class ExportNotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"
    default_detail = gettext_lazy("The export is not ready yet.")


class ExportInProgress(ExportNotReady):
    wait = 5  # seconds; the error handler sends it as Retry-After


class TooManyExportsAsked(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_exports"
    default_detail = gettext_lazy("Too many exports are waiting or being built; ask again when one is ready.")


class ExportGone(APIException):
    status_code = status.HTTP_410_GONE
    default_code = "expired"
    default_detail = gettext_lazy("The export's file was deleted; ask for a new export.")


# --- the view -------------------------------------------------------------------------

READY = {
    "id": 41,
    "format": "csv",
    "filters": {"kpi": EXAMPLE_KPI, "period_from": "2025-01", "period_to": "2025-09"},
    "status": "ready",
    "rows": 180,
    "error": "",
    "requested_by": None,
    "agency": "mvd",
    "attempts": 1,
    "created_at": "2026-11-28T12:00:00+05:00",
    "started_at": "2026-11-28T12:00:01+05:00",
    "finished_at": "2026-11-28T12:00:03+05:00",
    "expires_at": "2026-12-05T12:00:03+05:00",
    "expired": False,
    "links": {
        "self": "http://127.0.0.1:8000/api/v1/exports/41/",
        "download": "http://127.0.0.1:8000/api/v1/exports/41/download/",
    },
}
WAITING = {
    **READY,
    "status": "waiting",
    "rows": 0,
    "attempts": 0,
    "started_at": None,
    "finished_at": None,
    "expires_at": None,
}
FAILED = {
    **READY,
    "status": "failed",
    "rows": 0,
    "error": "The token that asked for this export was revoked; nothing was exported.",
    "expires_at": None,
}


@extend_schema_view(
    list=extend_schema(
        summary="Exports of KPI values",
        description=(
            "The caller's own exports, newest first: a person's own, a token's agency's. Filters: `status`, `format`."
        ),
        examples=[
            OpenApiExample(
                "One page",
                value=READY,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One export: its status, and the link to its file",
        description=(
            "Poll this until `status` is `ready` (then download) or `failed` (then `error` says why). "
            "Other callers' exports are 404."
        ),
        examples=[
            OpenApiExample("Ready", value=READY, response_only=True),
            OpenApiExample("Failed", value=FAILED, response_only=True),
        ],
    ),
)
class ExportViewSet(
    MethodBeforeAccess,
    DeclaredParametersOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Export],
):
    serializer_class = ExportSerializer
    # Whoever may read /values/ may export them (tokens need kpi:read).
    permission_classes = [scoped(TokenScope.KPI_READ, may_post=True)]
    parser_classes = [JSONParser]  # the filters are an object
    # A job and its file are not rows of a table: JSON only (`?format=csv` is a 406, before anything is made).
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    # Not `format`: that name picks the answer's renderer (`?format=csv`).
    filterset_fields = ["status"]
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    def get_queryset(self) -> QuerySet[Export]:
        exports = Export.objects.select_related("requested_by", "agency")
        user = self.request.user
        if is_agency_caller(user):
            return exports.filter(agency=user.agency)
        if not user.is_authenticated:  # the schema generator asks without a caller
            return exports.none()
        return exports.filter(requested_by=user)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with the file whatever the client says it accepts
        # (curl -H "Accept: text/csv" on an XLSX must not be a 406).
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        summary="Ask for an export of KPI values (CSV or XLSX)",
        description=(
            "The filters are those of `/api/v1/values/` (`kpi`, `region`, `level`, `period_from`, `period_to`, "
            "`approval_state`, `source`, `updated_since`), in `filters` or beside `format` at the top level, "
            "checked now: a bad one (an unknown KPI or region, an unknown name) answers 400 naming it, and "
            "nothing is recorded. The file is built by a background worker with the rows `/values/` would give "
            "this caller at that moment (the same columns and number format as `/values/?format=csv`). The "
            "answer is 202 with the job and a `Location` to poll; download it from `links.download` once "
            "`status` is `ready`. Files are kept for 7 days. Without a Redis broker (a development set-up) the "
            "file is built before the answer, which then shows it ready."
        ),
        request=ExportRequestSerializer,
        # 400 and 429 (MAX_UNFINISHED_EXPORTS unfinished already) are the `Error` every
        # operation documents (projectoffice/api_schema.py).
        responses={202: ExportSerializer},
        examples=[
            OpenApiExample(
                "Astana's registered offences, January to September 2025",
                value={
                    "format": "xlsx",
                    "filters": {
                        "kpi": EXAMPLE_KPI,
                        "region": "710000000",
                        "period_from": "2025-01",
                        "period_to": "2025-09",
                    },
                },
                request_only=True,
            ),
            OpenApiExample("Accepted, waiting for a worker", value=WAITING, response_only=True, status_codes=["202"]),
            OpenApiExample(
                "Filters at the top level",
                value={"format": "csv", "kpi": ANOTHER_EXAMPLE_KPI, "region": "750000000"},
                request_only=True,
            ),
            OpenApiExample(
                "A bad filter",
                value={
                    "error": {
                        "status": 400,
                        "code": "invalid",
                        "params": {},
                        "message": "filters.region: unknown region '710000001' (a 9-digit KATO code)",
                        "fields": {
                            "filters.region": [
                                {
                                    "code": "unknown_region",
                                    "params": {"value": "710000001"},
                                    "message": "unknown region '710000001' (a 9-digit KATO code)",
                                }
                            ]
                        },
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unknown = _unknown_keys(request.data)
        if unknown:
            raise CodedValidationError(unknown)
        asked = ExportRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        nested = dict(asked.validated_data.get("filters") or {})
        top = {name: value for name, value in asked.validated_data.items() if name in ValueFilter.base_filters}
        twice = sorted(set(nested) & set(top))
        if twice:
            message = _("given both at the top level and in `filters`; give it once")
            raise CodedValidationError(
                {name: [{"code": "given_twice", "params": {}, "message": message}] for name in twice}
            )
        user = request.user
        try:
            export = export_request(
                caller=user if is_agency_caller(user) else cast(User, user),
                file_format=asked.validated_data["format"],
                filters={**nested, **top},
            )
        except DjangoValidationError as exc:  # keyed by filter name (or `format`), named as the caller gave it
            fields = django_field_errors(exc)
            raise CodedValidationError(
                {(f"filters.{name}" if name in nested else name): errors for name, errors in fields.items()}
            ) from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except TooManyExports as exc:
            raise TooManyExportsAsked(str(exc)) from None
        export = self.get_queryset().get(pk=export.pk)  # in-process, it has been built already
        data = self.get_serializer(export).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["links"]["self"]})

    @extend_schema(
        summary="The file of an export",
        description=(
            "The CSV or XLSX file, as an attachment named `values-<id>.csv` or `values-<id>.xlsx`. "
            "409 while the export is waiting or running (`Retry-After` says when to look again) or when it "
            "failed (the message says why); 410 once it has expired."
        ),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            (200, CONTENT_TYPES[ExportFormat.XLSX]): OpenApiResponse(OpenApiTypes.BINARY, description="The XLSX file."),
            409: OpenApiResponse(description="Not ready yet, or failed (the error shape)."),
            410: OpenApiResponse(description="Expired: the file was deleted (the error shape)."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        export = self.get_object()
        if export.status in (ExportStatus.WAITING, ExportStatus.RUNNING):
            raise ExportInProgress(
                _("The export is %(status)s; download it once its status is ready.")
                % {"status": export.get_status_display()}
            )
        if export.status == ExportStatus.FAILED:
            raise ExportNotReady(_("The export failed: %(reason)s") % {"reason": export.error}, code="failed")
        if export.has_expired or not export.file:
            raise ExportGone(self._gone_message(export))
        if not export_download_allowed(export, cast(User, request.user)):
            raise PermissionDenied(_("Your access changed since this export was built; ask for a new export."))
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:
            raise ExportGone(self._gone_message(export)) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=export.download_name,
            content_type=CONTENT_TYPES[ExportFormat(export.format)],
        )

    @staticmethod
    def _gone_message(export: Export) -> str:
        if export.expires_at is None:
            return str(ExportGone.default_detail)
        return _("The export expired on %(date)s and its file was deleted; ask for a new export.") % {
            "date": date_format(export.expires_at, "Y-m-d")
        }
