from django.contrib import admin
from django.http import HttpRequest

from ..models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Exports of KPI values asked for through the API, and how each went. Read-only:
    jobs are made through the API and run by workers; their files are the requesters'."""

    list_display = [
        "created_at",
        "id",
        "format",
        "status",
        "rows",
        "requested_by",
        "agency",
        "attempts",
        "finished_at",
        "expires_at",
    ]
    list_filter = ["status", "format", "agency"]
    search_fields = ["requested_by__username", "error"]
    list_select_related = ["requested_by", "agency"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Export._meta.fields if f.name != "file"]
    exclude = ["file"]  # served only through the API, to the one who asked
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
