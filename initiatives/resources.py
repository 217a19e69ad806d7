"""Spreadsheet import and export of the KPI catalogue and targets (django-import-export).

Rows are matched by their stable keys (KPI code; KPI + region KATO + year), so the same
file imported twice changes nothing, and a changed row keeps its old values in history.

A bad cell is reported against its column with its value and what is wrong, in the
reader's language, as the statistics import does (`statistics/file.py`): the widgets raise
ValueError with those words, which django-import-export shows beside the row; the
template (`admin/initiatives/import.html`) numbers rows as the file's lines.
"""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.widgets import DecimalWidget, ForeignKeyWidget, IntegerWidget

from agencies.models import Agency
from projectoffice.cell_safety import safe_cell
from regions.models import Region

from .models import Indicator, Target
from .statistics.file import ValueProblem, parse_value


class PlainDecimalWidget(DecimalWidget):
    """Numbers written the way machines read them (90000, 12.5), whatever the page's
    language; the admin's Russian locale would otherwise write "90000,0000"."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        """A number as the statistics import reads one; ValueError says what is wrong with it."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            value = format(Decimal(str(value)).normalize(), "f")
        try:
            return parse_value(str(value).strip())
        except ValueProblem as problem:
            raise ValueError(str(problem)) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return format(value.normalize(), "f")


class YearWidget(IntegerWidget):
    """A year written as digits; anything else is said in words (not a Python exception)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not text.isdigit() or not 1991 <= int(text) <= 2100:
            raise ValueError(_("%(value)r is not a year from 1991 to 2100") % {"value": text})
        return int(text)


class CodeWidget(ForeignKeyWidget):
    """A record by its code; an unknown code is said with the code, not as a query error."""

    def __init__(self, model: Any, field: str, unknown: Any) -> None:
        super().__init__(model, field=field)
        self.unknown = unknown

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if value is None or not str(value).strip():
            return None
        code = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        found = self.get_queryset(code, row, **kwargs).filter(**{self.field: code}).first()
        if found is None:
            raise ValueError(str(self.unknown) % {"code": code})
        return found


class NameField(fields.Field):
    """The name of a row's related record in the reader's language, beside its code (the
    preview and the export show it; the import ignores it). `nation`: what an empty
    relation means (a national target)."""

    def __init__(self, relation: str, *, column_name: str, nation: Any = None) -> None:
        super().__init__(column_name=column_name, readonly=True)
        self.relation, self.nation = relation, nation

    def get_value(self, obj: Any) -> Any:
        related = getattr(obj, self.relation, None)
        if related is not None:
            return related.name
        return str(self.nation) if self.nation is not None and getattr(obj, "pk", None) is not None else ""

    def export(self, instance: Any, **kwargs: Any) -> str:
        return str(self.get_value(instance) or "")


class PlainResource(resources.ModelResource):
    """A row whose key cannot be read is a new row whose every problem is then reported
    beside its column (rather than the first one as an exception of the whole row)."""

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None


class SafeCellsResource(PlainResource):
    """Every exported cell through the project's formula rule (CSV and XLSX alike):
    a name or note that begins with `=` is not run by the spreadsheet that opens it."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return safe_cell(super().export_field(field, instance, **kwargs))


UNKNOWN_INDICATOR = gettext_lazy("unknown indicator %(code)r")


class IndicatorResource(SafeCellsResource):
    owner_agency = fields.Field(
        attribute="owner_agency",
        column_name="owner_agency",
        widget=CodeWidget(Agency, "code", gettext_lazy("unknown agency %(code)r")),
    )
    numerator = fields.Field(
        attribute="numerator", column_name="numerator", widget=CodeWidget(Indicator, "code", UNKNOWN_INDICATOR)
    )
    denominator = fields.Field(
        attribute="denominator", column_name="denominator", widget=CodeWidget(Indicator, "code", UNKNOWN_INDICATOR)
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
            "role",
            "forecast",
        ]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class TargetResource(SafeCellsResource):
    indicator = fields.Field(
        attribute="indicator", column_name="indicator", widget=CodeWidget(Indicator, "code", UNKNOWN_INDICATOR)
    )
    # Names beside the codes, for the person reading the preview or the export; never read back.
    indicator_name = NameField("indicator", column_name="indicator_name")
    region = fields.Field(
        attribute="region",
        column_name="region",
        widget=CodeWidget(Region, "kato", gettext_lazy("unknown region %(code)r (a 9-digit KATO code)")),
    )
    region_name = NameField("region", column_name="region_name", nation=gettext_lazy("Kazakhstan (national)"))
    year = fields.Field(attribute="year", column_name="year", widget=YearWidget())
    target_value = fields.Field(attribute="target_value", column_name="target_value", widget=PlainDecimalWidget())
    baseline_value = fields.Field(attribute="baseline_value", column_name="baseline_value", widget=PlainDecimalWidget())
    baseline_year = fields.Field(attribute="baseline_year", column_name="baseline_year", widget=YearWidget())

    class Meta:
        model = Target
        import_id_fields = ["indicator", "region", "year"]
        fields = [
            "indicator",
            "indicator_name",
            "region",
            "region_name",
            "year",
            "target_value",
            "baseline_value",
            "baseline_year",
            "note",
        ]
        export_order = [
            "indicator",
            "indicator_name",
            "region",
            "region_name",
            "year",
            "target_value",
            "baseline_value",
            "baseline_year",
            "note",
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("indicator", "region")
