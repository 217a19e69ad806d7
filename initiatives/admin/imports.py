from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ImportBatch, ImportStatus
from ..services.import_jobs import import_job_progress
from .records import RecordAdmin


@admin.register(ImportBatch)
class ImportBatchAdmin(RecordAdmin):
    """What each legal-statistics file did. Read-only: imports are made by the import
    command or the API, and a record of one is never edited afterwards."""

    list_display = [
        "created_at",
        "file_name",
        "status",
        "dry_run",
        "progress",
        "rows",
        "outcome",
        "error_count",
        "uploaded_by",
    ]
    list_filter = ["status", "dry_run", "agency"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by", "agency"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "upload"]
    exclude = ["upload"]  # the file as received is kept for the worker, not served

    @admin.display(description=_("new / replaced / unchanged"))
    def outcome(self, batch: ImportBatch) -> str:
        # One column for three counts: every column of the list fits a laptop's screen.
        return f"{batch.created} / {batch.updated} / {batch.unchanged}"

    @admin.display(description=_("progress"))
    def progress(self, batch: ImportBatch) -> str:
        """Rows done while a worker runs the file; the live figure when the cache has it."""
        if batch.status != ImportStatus.RUNNING:
            return ""
        now = import_job_progress(batch)
        of = f" / {now['total']}" if now["total"] else ""
        return f"{now['stage']}: {now['done']}{of}"
