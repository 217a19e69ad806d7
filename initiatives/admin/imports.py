from django.contrib import admin
from django.http import HttpRequest

from ..models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """What each legal-statistics file did. Read-only: imports are made by the import
    command or the API, and a record of one is never edited afterwards."""

    list_display = [
        "created_at",
        "file_name",
        "status",
        "rows",
        "created",
        "updated",
        "unchanged",
        "error_count",
        "uploaded_by",
        "agency",
    ]
    list_filter = ["status", "agency"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by", "agency"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
