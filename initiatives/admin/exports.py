from django.contrib import admin

from ..models import Export
from .records import RecordAdmin


@admin.register(Export)
class ExportAdmin(RecordAdmin):
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
