from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from projectoffice.admin_history import HistoryAdmin
from projectoffice.numbers import exact_text

from ..models import Indicator, Target
from ..resources import IndicatorResource, TargetResource
from .filters import TopRegionFilter


class TargetInlineForm(forms.ModelForm[Target]):
    """A row of the KPI page's targets that fits a laptop's width: numbers written as the
    KPI writes them ("109618", not "109618.0000"), a note of two short lines."""

    class Meta:
        model = Target
        fields = ["year", "region", "target_value", "baseline_value", "baseline_year", "note"]
        widgets = {
            "target_value": forms.TextInput(attrs={"size": 12, "inputmode": "decimal"}),
            "baseline_value": forms.TextInput(attrs={"size": 12, "inputmode": "decimal"}),
            "year": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "baseline_year": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 28}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            places = self.instance.indicator.decimal_places
            for name in ("target_value", "baseline_value"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial[name] = exact_text(value, places)


class TargetInline(admin.TabularInline[Target, Indicator]):
    model = Target
    form = TargetInlineForm
    fields = ["year", "region", "target_value", "baseline_value", "baseline_year", "note"]
    autocomplete_fields = ["region"]
    extra = 0
    ordering = ["-year", "region__kato"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("region")


@admin.register(Indicator)
class IndicatorAdmin(ImportExportMixin, HistoryAdmin):
    resource_classes = [IndicatorResource]
    import_template_name = "admin/initiatives/import.html"
    list_display = [
        "code",
        "name_shown",
        "unit",
        "direction",
        "source",
        "owner_agency",
        "is_active",
    ]
    list_filter = ["unit", "direction", "source", "frequency", "owner_agency", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    autocomplete_fields = ["owner_agency", "numerator", "denominator", "part_of"]
    list_select_related = ["owner_agency"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "unit", "direction", "frequency", "owner_agency", "source", "is_active", "role"]}),
        (_("Names"), {"fields": ["name_kk", "name_ru", "name_en"]}),
        (
            _("Descriptions"),
            {"classes": ["collapse"], "fields": ["description_kk", "description_ru", "description_en"]},
        ),
        (_("How it adds up"), {"fields": ["aggregation_regions", "aggregation_time", "decimal_places"]}),
        (_("Formula: numerator / denominator x factor"), {"fields": ["numerator", "denominator", "factor"]}),
        (_("Parts and wholes"), {"fields": ["part_of", "parts_add_up"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [TargetInline]

    @admin.display(description=_("name"), ordering="name_ru")
    def name_shown(self, obj: Indicator) -> str:
        return obj.name


@admin.register(Target)
class TargetAdmin(ImportExportMixin, HistoryAdmin):
    resource_classes = [TargetResource]
    import_template_name = "admin/initiatives/import.html"
    list_display = [
        "indicator",
        "region_or_nation",
        "year",
        "target_shown",
        "baseline_shown",
        "baseline_year",
        "updated_at",
    ]
    list_filter = ["year", TopRegionFilter, "indicator__source", "indicator"]
    search_fields = ["indicator__code", "indicator__name_ru", "region__kato", "region__name_ru"]
    autocomplete_fields = ["indicator", "region"]
    list_select_related = ["indicator", "region"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("target value"), ordering="target_value")
    def target_shown(self, obj: Target) -> str:
        return obj.indicator.shown(obj.target_value)

    @admin.display(description=_("baseline"), ordering="baseline_value")
    def baseline_shown(self, obj: Target) -> str:
        return obj.indicator.shown(obj.baseline_value)

    @admin.display(description=_("region"), ordering="region__kato")
    def region_or_nation(self, obj: Target) -> str:
        return str(obj.region) if obj.region else str(_("Kazakhstan (national)"))
