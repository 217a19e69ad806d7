from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from projectoffice.admin_history import HistoryAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    list_display = ["kato", "name_ru", "name_kk", "name_en", "kind", "level", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["kato", "name_kk", "name_ru", "name_en", "iso_3166_2"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["level", "created_at", "updated_at"]
    list_select_related = ["parent"]
    fieldsets = [
        (None, {"fields": ["kato", "level", "parent", "kind", "iso_3166_2"]}),
        (_("Names"), {"fields": ["name_kk", "name_ru", "name_en"]}),
        (_("Validity"), {"fields": ["valid_from", "valid_to", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        regions: QuerySet[Region] = super().get_queryset(request)  # SimpleHistoryAdmin is untyped
        return regions.select_related("parent")
