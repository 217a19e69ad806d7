from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..models import ImportBatch, ImportStatus
from ..services.import_jobs import import_job_errors, import_job_progress
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
        "created",
        "updated",
        "unchanged",
        "error_count",
        "uploaded_by",
        "agency",
        "attempts",
    ]
    list_filter = ["status", "dry_run", "agency"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by", "agency"]
    date_hierarchy = "created_at"
    # The problems are stored as codes: shown in words, in the reader's language.
    readonly_fields = [
        *(f.name for f in ImportBatch._meta.fields if f.name not in ("upload", "errors")),
        "problems",
    ]
    exclude = ["upload", "errors"]  # the file as received is kept for the worker, not served

    @admin.display(description=_("problems"))
    def problems(self, batch: ImportBatch) -> SafeString | str:
        found = import_job_errors(batch)
        if not found:
            return "—"
        return format_html(
            '<ul class="import-problems">{}</ul>',
            format_html_join(
                "",
                '<li data-code="{}">{}</li>',
                ((problem.code, str(problem)) for problem in found),
            ),
        )

    @admin.display(description=_("progress"))
    def progress(self, batch: ImportBatch) -> str:
        """Rows done while a worker runs the file; the live figure when the cache has it."""
        if batch.status != ImportStatus.RUNNING:
            return ""
        now = import_job_progress(batch)
        of = f" / {now['total']}" if now["total"] else ""
        return f"{now['stage']}: {now['done']}{of}"
