"""API v1 for initiatives, campaigns, KPIs, values, summaries and statistics imports.

Views stay thin: they pick who may see which rows (agencies.access), and reads go
through selectors and the KPI engine; the one write (an import) goes through its service.
"""

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from agencies.access import region_is_visible
from agencies.api_permissions import CanImportStatistics, scoped
from agencies.models import TokenScope
from agencies.tokens import is_agency_caller
from projectoffice.api_csv import CSVList, CSVRenderer, csv_attachment, csv_lines, wants_csv
from projectoffice.api_errors import coded_validation_error, field_error
from projectoffice.api_pagination import KeysetPagination
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess, ReadOnlyForEveryoneKnown
from projectoffice.body_size import body_limit
from regions.models import Region

from ..forecasts.selectors import forecast_run_for, forecast_runs, node_forecast, tree_forecast
from ..models import Campaign, ImportBatch, Indicator, Initiative, Report, Value
from ..periods import Month, Period, PeriodError, PeriodNotOver
from ..selectors.figures import figure_state, kpi_summary_read, kpi_summary_rendered
from ..selectors.kpi_forecast import kpi_forecast, summary_forecast
from ..selectors.reports import reports_visible_to
from ..selectors.values import (
    ValueFormat,
    period_or_error,
    region_or_error,
    value_rows,
    values_csv,
    values_visible_to,
)
from ..statistics.jobs import import_job_submit
from .examples import CAMPAIGN, EXAMPLE_KPI, FORECAST_EXAMPLE, REFUSED_IMPORT, SUMMARY_EXAMPLE
from .filters import CampaignFilter, InitiativeFilter, ReportFilter, ValueFilter
from .forecast import (
    CSV_HEADER,
    ForecastQuerySerializer,
    ForecastRunSerializer,
    ForecastSerializer,
    forecast_as_dict,
    forecast_csv_rows,
    no_forecast,
    run_as_dict,
)
from .serializers import (
    INDICATOR_ROW,
    CampaignSerializer,
    ImportBatchSerializer,
    ImportUploadSerializer,
    IndicatorSerializer,
    InitiativeSerializer,
    ReportSerializer,
    SummaryQuerySerializer,
    ValueSerializer,
    indicator_as_dict,
    report_lines_cell,
)
from .summary import SummaryCSVRenderer, summary_as_dict


def refuse_unless_visible(request: Request, region: Region | None, national_refused: str) -> None:
    """403 (`national_refused`) for the nation to a caller limited to regions, 404 for a
    region not theirs."""
    if not region_is_visible(request.user, region):
        if region is None:
            raise PermissionDenied(national_refused)
        raise NotFound(_("No such region among yours."))


def origin_or_error(text: str) -> Month:
    """The month `origin` names, if it is over; else the 400 naming `origin`."""
    try:
        period = period_or_error("origin", text)
    except DjangoValidationError as exc:
        raise coded_validation_error(exc) from None
    if period.kind != "month":
        raise field_error(
            "origin", "not_a_period", _("%(value)r is not a month; use YYYY-MM") % {"value": text}, value=text
        )
    if not period.is_over(timezone.localdate()):
        raise field_error("origin", "period_not_ended", str(PeriodNotOver(period)), value=text)
    return period.start


@extend_schema_view(
    list=extend_schema(
        summary="KPI definitions", description="The KPI catalogue, with units, directions and formulas."
    ),
    retrieve=extend_schema(summary="One KPI, by its code"),
)
class IndicatorViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Indicator]):
    queryset = Indicator.objects.select_related("owner_agency", "numerator", "denominator")
    serializer_class = IndicatorSerializer
    csv_name = "kpis"
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "code"
    lookup_value_regex = r"[a-z0-9_.]+"
    filterset_fields = ["unit", "source", "frequency", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One KPI: its row with the three codes in one query, written as the serializer
        writes it. The list's filter backends are not run (a retrieve declares none of
        their parameters, so they would only build django-filter's form), nor are the
        serializer's fields built per request."""
        row = (
            Indicator.objects.filter(code=kwargs.get(self.lookup_field, ""))
            .values(
                *INDICATOR_ROW,
                owner_code=F("owner_agency__code"),
                numerator_code=F("numerator__code"),
                denominator_code=F("denominator__code"),
            )
            .first()
        )
        if row is None:
            raise Http404  # as `get_object` answered
        return Response(indicator_as_dict(row))

    @extend_schema(
        summary="The summary of a KPI over a span",
        description=(
            "Value over the span, the same span a year before and the change in %, the rate per 10,000 people "
            "where population is known, the target with a traffic-light status, a year-end estimate (labelled, "
            "with its method), completeness with what is missing, and the breakdown by child regions. National "
            "when `region` is absent. Only approved values count. An incomplete figure has `value: null` and "
            "lists what is missing; `partial_value` is what is there, never the answer. `forecast`, beside "
            "`estimate`: `{run, year_end, lower_80, upper_80, probability_meets_target}` (2 places) from the latest "
            "finished forecast run whose year-end is the year of the span's end (with `as_of`, among runs that read "
            "values committed by then), null without one. `status_method`: `forecast_probability` where the KPI's "
            "backtest found the forecast's year-end closer than the estimate's and the year is still estimated "
            "(`status` on_track from a probability of 0.7, at_risk from 0.4, off_track below), else `estimate`."
        ),
        parameters=[
            OpenApiParameter(
                "region",
                str,
                description="KATO code; national when absent",
                examples=[OpenApiExample("Astana", value="710000000")],
            ),
            OpenApiParameter("period_from", str, required=True, description="first month, e.g. 2025-01"),
            OpenApiParameter("period_to", str, description="last month, e.g. 2025-09"),
            OpenApiParameter("compare", str, enum=["previous_year", "none"], description="default previous_year"),
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATETIME,
                description="figures from the values as committed by this moment (ISO 8601); the answer says it",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("National year to date", value=SUMMARY_EXAMPLE, response_only=True)],
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[scoped(TokenScope.KPI_READ)],
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer, SummaryCSVRenderer],
    )
    def summary(self, request: Request, code: str | None = None) -> Response | HttpResponse:
        # Counters and catalogue in one query: a cached summary needs no KPI row.
        state = figure_state()
        indicator_id = state.indicator_id(code or "")
        if indicator_id is None:
            raise NotFound(_("No KPI with the code %(code)s.") % {"code": code})
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region = None
        try:
            if query.validated_data.get("region"):
                region = region_or_error("region", query.validated_data["region"])
            # Each end read on its own, so an error names the parameter that holds it.
            first = period_or_error("period_from", query.validated_data["period_from"])
            to = query.validated_data.get("period_to")
            last = period_or_error("period_to", to) if to else first
        except DjangoValidationError as exc:
            raise coded_validation_error(exc) from None
        refuse_unless_visible(
            request, region, _("The national summary is for the project office and agencies; give your region.")
        )
        compare = query.validated_data["compare"] == "previous_year"
        try:
            span = Period(first.start, last.end)
        except PeriodError as exc:  # the end before the start
            raise field_error("period_to", "period_to_before_period_from", str(exc), value=str(last)) from None
        as_of = query.validated_data.get("as_of")
        try:
            asked = {
                "state": state,
                "indicator_id": indicator_id,
                "region": region,
                "span": span,
                "compare": compare,
                "as_of": as_of,
            }
            if request.accepted_renderer.format != "json":  # CSV, the browsable API
                summary = kpi_summary_read(**asked)
                return Response(summary_as_dict(summary, summary_forecast(summary), compare=compare))
            renderer, media_type = request.accepted_renderer, request.accepted_media_type
            body = kpi_summary_rendered(
                **asked,
                media_type=media_type,
                render=lambda summary, forecast: renderer.render(
                    summary_as_dict(summary, forecast, compare=compare), media_type, self.get_renderer_context()
                ),
            )
            return HttpResponse(body, content_type=renderer.media_type)
        except PeriodError as exc:  # a span too near the calendar's ends for its year before
            raise field_error("period_from", "period_out_of_range", str(exc), value=str(span)) from None

    def _forecast_asked(self, request: Request, code: str | None) -> tuple[Indicator, dict[str, Any]]:
        """The KPI and the query of a forecast endpoint, each checked as the summary's are."""
        indicator = Indicator.objects.filter(code=code or "").first()
        if indicator is None:
            raise NotFound(_("No KPI with the code %(code)s.") % {"code": code})
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked: dict[str, Any] = {"region": None, "origin": None, "run": query.validated_data.get("run")}
        if query.validated_data.get("region"):
            try:
                asked["region"] = region_or_error("region", query.validated_data["region"])
            except DjangoValidationError as exc:
                raise coded_validation_error(exc) from None
        refuse_unless_visible(
            request,
            asked["region"],
            _("The national forecast is for the project office and agencies; give your region."),
        )
        if query.validated_data.get("origin"):
            asked["origin"] = origin_or_error(query.validated_data["origin"])
        asked["tree"] = query.validated_data["tree"]
        return indicator, asked

    @extend_schema(
        summary="The forecast of a KPI",
        description=(
            "A stored forecast run's 12 months ahead for one node (national when `region` is absent), each with its "
            "80% and 95% ranges, coherent across the region tree; the year-end (the actual figure to the origin plus "
            "the forecasts to December) with its own ranges from the backtest's errors of the same total, the "
            "target and the probability of meeting it; and the track record at the node's level against seasonal "
            "naive. The run: `run` when given, else the latest successful run of `origin`, else of the latest "
            "origin. Figures are decimal strings with 2 places whatever the KPI's. 404 `no_forecast` when there is "
            "no such run or it has no forecast for the node. `format=csv` writes the months "
            "(`kpi,kato,origin,run,made_at,period,horizon,value,lower_80,upper_80,lower_95,upper_95`); with "
            "`tree=1`, of the node and every node below it."
        ),
        parameters=[
            OpenApiParameter(
                "region",
                str,
                description="KATO code; national when absent",
                examples=[OpenApiExample("Astana", value="710000000")],
            ),
            OpenApiParameter("origin", str, description="YYYY-MM: the last month the run read; the latest when absent"),
            OpenApiParameter("run", int, description="a run's id (see forecast/runs/); the latest when absent"),
            OpenApiParameter("tree", bool, description="with format=csv: the node and every node below it"),
        ],
        responses={200: ForecastSerializer},
        examples=[OpenApiExample("Astana, October's run", value=FORECAST_EXAMPLE, response_only=True)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="forecast",
        url_name="forecast",
        permission_classes=[scoped(TokenScope.KPI_READ)],
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer, CSVRenderer],
    )
    def forecast(self, request: Request, code: str | None = None) -> Response | StreamingHttpResponse:
        indicator, asked = self._forecast_asked(request, code)
        region = asked["region"]
        kato = region.kato if region else None
        run = forecast_run_for(indicator, origin=asked["origin"], run=asked["run"])
        if run is None:
            raise no_forecast(indicator, kato)
        if asked["tree"] and not wants_csv(request):
            raise field_error("tree", "csv_only", _("tree=1 is for format=csv"), value="1")
        nodes = tree_forecast(run, region) if asked["tree"] else [n for n in [node_forecast(run, region)] if n]
        if not nodes or nodes[0].region != region:
            raise no_forecast(indicator, kato)
        if wants_csv(request):
            name = f"{indicator.code}-forecast-{run.pk}-{kato or 'KZ'}{'-tree' if asked['tree'] else ''}"
            return csv_attachment(csv_lines(CSV_HEADER, forecast_csv_rows(nodes)), name)
        return Response(forecast_as_dict(kpi_forecast(nodes[0])))

    @extend_schema(
        summary="The forecast runs of a KPI",
        description="Every forecast run of the KPI, newest origin first, in any state (a failed one says so; "
        "readers keep reading the previous one); only those of `origin` when given.",
        parameters=[OpenApiParameter("origin", str, description="YYYY-MM: only the runs of this origin")],
        responses={200: ForecastRunSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="forecast/runs",
        url_name="forecast-runs",
        permission_classes=[scoped(TokenScope.KPI_READ)],
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer, CSVRenderer],
        pagination_class=None,
    )
    def forecast_run_list(self, request: Request, code: str | None = None) -> Response:
        indicator = Indicator.objects.filter(code=code or "").first()
        if indicator is None:
            raise NotFound(_("No KPI with the code %(code)s.") % {"code": code})
        text = request.query_params.get("origin")
        origin = origin_or_error(text) if text else None
        return Response([run_as_dict(r) for r in forecast_runs(indicator, origin=origin)])


@extend_schema_view(
    list=extend_schema(summary="Initiatives of the Concept"), retrieve=extend_schema(summary="One initiative, by code")
)
class InitiativeViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Initiative]):
    queryset = Initiative.objects.select_related("lead_agency").prefetch_related(
        "participating_agencies", "regions", "indicators"
    )
    serializer_class = InitiativeSerializer
    permission_classes = [ReadOnlyForEveryoneKnown]
    lookup_field = "code"
    filterset_class = InitiativeFilter
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    ordering_fields = ["code", "start_date", "updated_at"]
    csv_name = "initiatives"


@extend_schema_view(
    list=extend_schema(
        summary="Campaigns",
        description="Filters: `region` (KATO, with all below), `kind`, `status`, `initiative`, `updated_since`.",
        examples=[
            OpenApiExample(
                "One page",
                value={"count": 1, "next": None, "previous": None, "results": [CAMPAIGN]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One campaign", examples=[OpenApiExample("An alcohol-free village", value=CAMPAIGN, response_only=True)]
    ),
)
class CampaignViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Campaign]):
    serializer_class = CampaignSerializer
    permission_classes = [scoped(TokenScope.KPI_READ)]
    filterset_class = CampaignFilter
    search_fields = ["name_kk", "name_ru", "name_en"]
    ordering_fields = ["start_date", "updated_at", "id"]
    csv_name = "campaigns"

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.visible_to(self.request.user).select_related("initiative", "region")


class ValuePagination(KeysetPagination):
    """Keyset pagination: no COUNT(*) over the fact table, stable while rows are added."""

    ordering = "id"
    page_size = 500
    max_page_size = 5000


@extend_schema_view(
    list=extend_schema(
        summary="KPI values",
        description=(
            "Filter by `kpi`, `region` (KATO: that region and everything below), `level`, `period_from`/`period_to`, "
            "`approval_state`, `source`, and `updated_since` (ISO time) for incremental pulls. Pages by cursor "
            "(`next`). Coordinators and agency tokens see approved values only. `?format=csv` streams every "
            "matching row as CSV."
        ),
        examples=[
            OpenApiExample(
                "One page",
                value={
                    "next": "http://127.0.0.1:8000/api/v1/values/?cursor=cD0yMzQ%3D",
                    "previous": None,
                    "results": [
                        {
                            "id": 234,
                            "kpi": EXAMPLE_KPI,
                            "region": "710000000",
                            "period": "2025-01/2025-09",
                            "value": "11616",
                            "source": "import",
                            "approval_state": "approved",
                            "approved_at": "2025-10-15T10:00:00+05:00",
                            "import_batch": 12,
                            "updated_at": "2025-10-15T10:00:00+05:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    ),
)
class ValueViewSet(MethodBeforeAccess, DeclaredParametersOnly, viewsets.ReadOnlyModelViewSet[Value]):
    serializer_class = ValueSerializer
    permission_classes = [scoped(TokenScope.KPI_READ)]
    filterset_class = ValueFilter
    pagination_class = ValuePagination
    search_fields: list[str] = []
    ordering_fields: list[str] = []
    csv_name = "values"

    def get_queryset(self) -> QuerySet[Value]:
        return values_visible_to(self.request.user)  # the same rows as an export

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response | StreamingHttpResponse:  # type: ignore[override]
        """Only the list's columns, formatted without model objects or a serializer per row
        (initiatives/selectors/values.py); the CSV is written by the database where it can."""
        values = self.filter_queryset(self.get_queryset())
        if wants_csv(request):
            return csv_attachment(values_csv(values), self.csv_name)
        page = self.paginate_queryset(value_rows(values))
        fmt = ValueFormat()
        return self.get_paginated_response([fmt.as_dict(row) for row in page or []])


@extend_schema_view(
    list=extend_schema(summary="Statistics imports", description="Project office: all; a token: its agency's."),
    retrieve=extend_schema(
        summary="One import, with its row report",
        examples=[OpenApiExample("A refused file", value=REFUSED_IMPORT, response_only=True)],
    ),
)
class ImportViewSet(
    MethodBeforeAccess,
    DeclaredParametersOnly,
    CSVList,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[ImportBatch],
):
    serializer_class = ImportBatchSerializer
    csv_name = "imports"
    permission_classes = [CanImportStatistics]
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[ImportBatch]:
        batches = ImportBatch.objects.select_related("agency", "uploaded_by")
        user = self.request.user
        if is_agency_caller(user):
            return batches.filter(agency=user.agency)
        return batches

    @extend_schema(
        summary="Push legal statistics",
        description=(
            "Multipart upload of a CSV (UTF-8) or XLSX file with the columns region, period, indicator, value. "
            "The file is kept and imported by a background worker: the answer is 202 with the import's record "
            "and a `Location` to poll. `status` goes waiting -> running (with `progress`) -> imported "
            "(`succeeded`) or refused (`failed`, with every bad row in `errors`: line, column, reason). Rows "
            "that change a value are also looked at for figures that seem wrong (an unusual value for the "
            "month, parts adding up to more than their whole): `warnings`, in the shape of `errors`, never a "
            "reason to refuse the file unless `strict` is set. The "
            "whole file is imported or nothing is; imported values are approved at once. With `dry_run` the "
            "file is checked and the counts say what it would change; nothing is written. Without a Redis "
            "broker (a development set-up) the import runs before the answer, which then shows how it ended."
        ),
        request=ImportUploadSerializer,
        responses={202: ImportBatchSerializer},
        examples=[
            OpenApiExample(
                "Accepted, waiting for a worker",
                value={
                    **REFUSED_IMPORT,
                    "status": "pending",
                    "progress": {"stage": "", "done": 0, "total": 0},
                    "attempts": 0,
                    "error_count": 0,
                    "errors": [],
                    "warnings_count": 0,
                    "warnings": [],
                    "started_at": None,
                    "finished_at": None,
                },
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    @body_limit(
        "MAX_IMPORT_FILE_BYTES",
        refused=gettext_lazy("The request is %(size)s MB; a statistics file may be at most %(limit)s MB."),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        user = request.user
        batch = import_job_submit(
            upload=upload.validated_data["file"],
            user=None if is_agency_caller(user) else cast(User, user),
            agency=user.agency if is_agency_caller(user) else None,
            dry_run=upload.validated_data["dry_run"],
            strict=upload.validated_data["strict"],
        )
        batch = self.get_queryset().get(pk=batch.pk)  # in-process, it has run already
        location = reverse("import-detail", kwargs={"pk": batch.pk}, request=request)
        return Response(
            ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


@extend_schema_view(
    list=extend_schema(
        summary="Progress reports",
        description=(
            "Project office: every report. A coordinator: the reports of their own region, in any state. "
            "An agency token with reports:read: approved reports only. Filters: `region` (KATO, with all below), "
            "`state`, `kind`, `agency`, `period_from`/`period_to`, `updated_since`; `?format=csv` for CSV."
        ),
    ),
    retrieve=extend_schema(summary="One report with its values"),
)
class ReportViewSet(MethodBeforeAccess, DeclaredParametersOnly, CSVList, viewsets.ReadOnlyModelViewSet[Report]):
    serializer_class = ReportSerializer
    permission_classes = [scoped(TokenScope.REPORTS_READ)]
    filterset_class = ReportFilter
    ordering_fields = ["period_start", "due_date", "updated_at"]
    csv_name = "reports"
    csv_cells = {"lines": report_lines_cell}

    def get_queryset(self) -> QuerySet[Report]:
        return reports_visible_to(self.request.user).prefetch_related("lines__indicator")
