from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from projectoffice.admin_history import HistoryAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    list_display = ["kato", "name_ru", "name_kk", "name_en", "kind", "level", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["kato", "name_kk", "name_ru", "name_en", "iso_3166_2"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["level", "created_at", "updated_at", "population"]
    list_select_related = ["parent"]
    fieldsets = [
        (None, {"fields": ["kato", "level", "parent", "kind", "iso_3166_2"]}),
        (_("Names"), {"fields": ["name_kk", "name_ru", "name_en"]}),
        (_("Population"), {"fields": ["population"]}),
        (_("Validity"), {"fields": ["valid_from", "valid_to", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        regions: QuerySet[Region] = super().get_queryset(request)  # SimpleHistoryAdmin is untyped
        return regions.select_related("parent")

    @admin.display(description=_("population"))
    def population(self, region: Region) -> SafeString:
        # Population is a KPI's dated values, edited in one place: the admin's KPI values
        # (named by URL: regions knows no other app).
        kept_there = _("Population is kept as dated values of the KPI whose role is population, in KPI values.")
        if region.pk is None:
            return format_html("{}", kept_there)
        url = reverse("admin:initiatives_value_changelist") + "?" + urlencode({"q": region.kato})
        return format_html('{} <a href="{}">{}</a>', kept_there, url, _("This region's KPI values"))
