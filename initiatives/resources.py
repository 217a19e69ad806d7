"""Spreadsheet import and export of the KPI catalogue and targets (django-import-export).

Rows are matched by their stable keys (KPI code; KPI + region KATO + year), so the same
file imported twice changes nothing, and a changed row keeps its old values in history.
"""

from typing import Any

from import_export import fields, resources
from import_export.widgets import DecimalWidget, ForeignKeyWidget

from agencies.models import Agency
from projectoffice.cell_safety import safe_cell
from regions.models import Region

from .models import Indicator, Target


class PlainDecimalWidget(DecimalWidget):
    """Numbers written the way machines read them (90000, 12.5), whatever the page's
    language; the admin's Russian locale would otherwise write "90000,0000"."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return format(value.normalize(), "f")


class SafeCellsResource(resources.ModelResource):
    """Every exported cell through the project's formula rule (CSV and XLSX alike):
    a name or note that begins with `=` is not run by the spreadsheet that opens it."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return safe_cell(super().export_field(field, instance, **kwargs))


class IndicatorResource(SafeCellsResource):
    owner_agency = fields.Field(
        attribute="owner_agency", column_name="owner_agency", widget=ForeignKeyWidget(Agency, field="code")
    )
    numerator = fields.Field(
        attribute="numerator", column_name="numerator", widget=ForeignKeyWidget(Indicator, field="code")
    )
    denominator = fields.Field(
        attribute="denominator", column_name="denominator", widget=ForeignKeyWidget(Indicator, field="code")
    )
    factor = fields.Field(attribute="factor", column_name="factor", widget=PlainDecimalWidget())

    class Meta:
        model = Indicator
        import_id_fields = ["code"]
        fields = [
            "code",
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
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class TargetResource(SafeCellsResource):
    indicator = fields.Field(
        attribute="indicator", column_name="indicator", widget=ForeignKeyWidget(Indicator, field="code")
    )
    region = fields.Field(attribute="region", column_name="region", widget=ForeignKeyWidget(Region, field="kato"))
    target_value = fields.Field(attribute="target_value", column_name="target_value", widget=PlainDecimalWidget())
    baseline_value = fields.Field(attribute="baseline_value", column_name="baseline_value", widget=PlainDecimalWidget())

    class Meta:
        model = Target
        import_id_fields = ["indicator", "region", "year"]
        fields = ["indicator", "region", "year", "target_value", "baseline_value", "baseline_year", "note"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("indicator", "region")
