from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from agencies.access import is_project_office
from projectoffice.form_fields import PeriodField
from projectoffice.tabular import RowError
from regions.models import Region

from ..admin.records import RecordAdmin
from ..models import ImportBatch, ImportStatus
from ..periods import period_over
from .jobs import import_job_errors, import_job_progress, import_job_warnings
from .selectors import statistics_template_read
from .template import statistics_template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TemplateForm(forms.Form):
    region = forms.ModelChoiceField(Region.objects.filter(level=1).order_by("kato"), label=_("region"))
    period = PeriodField(parse=period_over, label=_("period"), help_text=_("e.g. 2025-09, 2025-Q3, 2025-01/2025-09"))


def _listed(found: list[RowError], css_class: str) -> SafeString | str:
    if not found:
        return "—"
    return format_html(
        '<ul class="{}" style="margin: 0; padding: 0; list-style: none">{}</ul>',
        css_class,
        format_html_join("", '<li data-code="{}">{}</li>', ((problem.code, str(problem)) for problem in found)),
    )


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
    change_list_template = "admin/initiatives/importbatch/change_list.html"
    list_filter = ["status", "dry_run", "agency"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by", "agency"]
    date_hierarchy = "created_at"
    # The problems are stored as codes: shown in words, in the reader's language.
    readonly_fields = [
        *(f.name for f in ImportBatch._meta.fields if f.name not in ("upload", "errors", "warnings")),
        "problems",
        "warnings_found",
    ]
    exclude = ["upload", "errors", "warnings"]  # the file as received is kept for the worker, not served

    @admin.display(description=_("problems"))
    def problems(self, batch: ImportBatch) -> SafeString | str:
        return _listed(import_job_errors(batch), "import-problems")

    @admin.display(description=_("warnings"))
    def warnings_found(self, batch: ImportBatch) -> SafeString | str:
        return _listed(import_job_warnings(batch), "import-warnings")

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

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "template/",
                self.admin_site.admin_view(self.template_view),
                name="initiatives_importbatch_template",
            )
        ]
        return own + super().get_urls()

    def template_view(self, request: HttpRequest) -> HttpResponse:
        """A pre-filled statistics template for a region and period: the project office's."""
        if not is_project_office(request.user):
            raise PermissionDenied
        form = TemplateForm(request.GET or None)
        if form.is_valid():
            region, period = form.cleaned_data["region"], form.cleaned_data["period"]
            data = statistics_template_xlsx(statistics_template_read(region=region, period=period))
            response = HttpResponse(data, content_type=XLSX)
            name = f"statistics-{region.kato}-{str(period).replace('/', '-')}.xlsx"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Pre-filled statistics template"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/initiatives/importbatch/template_form.html", context)
