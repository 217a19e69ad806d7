from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projectoffice.model_mixins import in_language

from ..models import Campaign, ImportBatch, Indicator, Initiative, Report, ReportLine, Value
from ..selectors.values import VALUE_COLUMNS
from ..statistics.jobs import import_file_problem, import_job_errors, import_job_progress, import_job_warnings

VALUE_HELP = (
    "The figure as an exact decimal string with the KPI's `decimal_places` "
    '("654" for a count, "12.5" for a share with one place), more places only where the figure has them.'
)


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    name = serializers.CharField(read_only=True)
    owner_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    numerator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    denominator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "unit",
            "direction",
            "aggregation_regions",
            "aggregation_time",
            "frequency",
            "owner_agency",
            "source",
            "numerator",
            "denominator",
            "factor",
            "decimal_places",
            "is_active",
            "updated_at",
        ]


# One KPI's detail (`/kpis/{code}/`), written without building the serializer's fields per
# request: the row of `INDICATOR_ROW` (one query, the three codes joined in) in the
# serializer's shape, field by field (tests/api/test_kpi_detail.py compares the bytes).
# The serializer's own columns (those it writes from a related row or the language are
# joined in or derived below), so a field added to the serializer is read here too.
INDICATOR_ROW = tuple(
    f for f in IndicatorSerializer.Meta.fields if f not in ("name", "owner_agency", "numerator", "denominator")
)
# Built once per process: the fields write a decimal and a moment as the serializer does.
_FACTOR = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
_MOMENT = serializers.DateTimeField(read_only=True)


def indicator_as_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of `INDICATOR_ROW` with `owner_code`, `numerator_code`, `denominator_code`,
    as `IndicatorSerializer` writes the KPI (its name in the active language)."""
    factor = row["factor"]
    return {
        "code": row["code"],
        "name": in_language(SimpleNamespace(**row), "name"),
        "name_kk": row["name_kk"],
        "name_ru": row["name_ru"],
        "name_en": row["name_en"],
        "unit": row["unit"],
        "direction": row["direction"],
        "aggregation_regions": row["aggregation_regions"],
        "aggregation_time": row["aggregation_time"],
        "frequency": row["frequency"],
        "owner_agency": row["owner_code"],
        "source": row["source"],
        "numerator": row["numerator_code"],
        "denominator": row["denominator_code"],
        "factor": None if factor is None else _FACTOR.to_representation(factor),
        "decimal_places": row["decimal_places"],
        "is_active": row["is_active"],
        "updated_at": _MOMENT.to_representation(row["updated_at"]),
    }


class InitiativeSerializer(serializers.ModelSerializer[Initiative]):
    name = serializers.CharField(read_only=True)
    lead_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    participating_agencies = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    regions = serializers.SlugRelatedField(slug_field="kato", many=True, read_only=True)
    indicators = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "code",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "direction",
            "status",
            "lead_agency",
            "participating_agencies",
            "regions",
            "indicators",
            "start_date",
            "end_date",
            "updated_at",
        ]


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    name = serializers.CharField(read_only=True)
    initiative = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="kato", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "name_kk",
            "name_ru",
            "name_en",
            "initiative",
            "kind",
            "region",
            "status",
            "start_date",
            "end_date",
            "settlement_stage",
            "declared_on",
            "verified_on",
            "sustained_on",
            "lapsed_on",
            "updated_at",
        ]


class ValueSerializer(serializers.ModelSerializer[Value]):
    """One value (`/values/{id}/`) and the schema of the list, whose rows are written by
    `ValueFormat` (initiatives/selectors/values.py) to the same shape, column by column."""

    kpi = serializers.CharField(source="indicator.code", read_only=True)
    region = serializers.CharField(source="region.kato", read_only=True)
    period = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField(method_name="value_text", help_text=VALUE_HELP)

    class Meta:
        model = Value
        fields = list(VALUE_COLUMNS)

    def get_period(self, obj: Value) -> str:
        return str(obj.period)

    def value_text(self, obj: Value) -> str | None:
        return obj.indicator.exact(obj.value)


class ImportProgressSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField(help_text='"checking" or "writing" while running; empty otherwise.')
    done = serializers.IntegerField(help_text="Rows checked or written so far.")
    total = serializers.IntegerField(help_text="Rows in the file, once known (0 while checking).")


class ImportProblemSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The file's line (1 is the header); 0: the file as a whole.")
    column = serializers.CharField(help_text="The column the problem is in; empty for the row or the file.")
    code = serializers.CharField(
        help_text=(
            "What is wrong, stable for machines: e.g. unknown_region, unknown_indicator, bad_period, "
            "period_not_ended, not_a_number, negative_value, not_whole, duplicate_row, missing_columns, "
            "warnings_strict; for a warning, unusual_value or relation_broken (README lists them all)."
        )
    )
    params = serializers.DictField(
        help_text='The code\'s particulars, e.g. {"code": "710000001"} or {"value": "1,5"} or {"line": 2}.'
    )
    message = serializers.CharField(help_text="The problem in words, in the language asked for (Accept-Language).")


class ImportBatchSerializer(serializers.ModelSerializer[ImportBatch]):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField(
        help_text=(
            "Figures that look wrong but were not refused, in the shape of `errors`: unusual_value (far from the "
            "same months of past years; params value, low, high) and relation_broken (parts adding up to more "
            "than their whole, or districts to more than their region; params kpi, parts, whole). The first "
            "1,000; `warnings_count` counts them all. With `strict` a file with any is refused."
        )
    )

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, batch: ImportBatch) -> dict[str, Any]:
        return import_job_progress(batch)

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_errors(self, batch: ImportBatch) -> list[dict[str, Any]]:
        return [problem.as_json() for problem in import_job_errors(batch)]

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_warnings(self, batch: ImportBatch) -> list[dict[str, Any]]:
        return [warning.as_json() for warning in import_job_warnings(batch)]

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "file_name",
            "status",
            "dry_run",
            "progress",
            "attempts",
            "rows",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "error_count",
            "errors",
            "warnings_count",
            "warnings",
            "agency",
            "uploaded_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


def validate_import_file(file: Any) -> Any:
    problem = import_file_problem(name=str(file.name), size=file.size)  # the admin's upload page's rule too
    if problem is not None:
        raise serializers.ValidationError(problem)
    return file


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="CSV (UTF-8) or XLSX with the columns region, period, indicator, value.",
        validators=[validate_import_file],
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and count what would change; write nothing."
    )
    strict = serializers.BooleanField(
        default=False,
        help_text="Refuse the file (nothing written) if it has warnings: the refusal's errors hold "
        "warnings_strict, its warnings the warnings.",
    )


class SummaryQuerySerializer(serializers.Serializer[Any]):
    region = serializers.CharField(required=False, help_text="KATO code; national when absent.")
    period_from = serializers.CharField(help_text="First month or period, e.g. 2025-01 (any period form).")
    period_to = serializers.CharField(required=False, help_text="Last month or period, e.g. 2025-09.")
    compare = serializers.ChoiceField(choices=["previous_year", "none"], default="previous_year")
    as_of = serializers.DateTimeField(
        required=False,
        help_text="ISO date-time: the figures from the values as committed by then (targets, regions and KPIs as "
        "today); e.g. 2026-10-01T12:00:00+05:00.",
    )


class ReportLineSerializer(serializers.ModelSerializer[ReportLine]):
    kpi = serializers.CharField(source="indicator.code", read_only=True)
    value = serializers.SerializerMethodField(method_name="value_text", help_text=VALUE_HELP)

    def value_text(self, line: ReportLine) -> str | None:
        return line.indicator.exact(line.value)

    class Meta:
        model = ReportLine
        fields = ["kpi", "value", "comment", "return_reason"]


def report_lines_cell(lines: list[dict[str, Any]]) -> str:
    """A report's lines in one CSV cell: `kpi=value` each, space-separated."""
    return " ".join(f"{line['kpi']}={line.get('value')}" for line in lines)


class ReportSerializer(serializers.ModelSerializer[Report]):
    agency = serializers.CharField(source="branch.agency.code", read_only=True)
    region = serializers.CharField(source="branch.region.kato", read_only=True)
    period = serializers.SerializerMethodField()
    lines = ReportLineSerializer(many=True, read_only=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "agency",
            "region",
            "kind",
            "period",
            "due_date",
            "state",
            "narrative",
            "return_reason",
            "submitted_at",
            "approved_at",
            "lines",
            "updated_at",
        ]

    def get_period(self, obj: Report) -> str:
        return str(obj.period)
