from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from agencies.access import is_project_office
from projectoffice.body_size import body_limit
from projectoffice.form_fields import PeriodField
from projectoffice.tabular import RowError
from regions.models import Region

from ..admin.records import RecordAdmin
from ..models import ImportBatch, ImportStatus
from ..periods import period_over
from .jobs import (
    ImportNotConfirmable,
    import_check_unconfirmable,
    import_file_problem,
    import_job_confirm,
    import_job_errors,
    import_job_progress,
    import_job_submit,
    import_job_warnings,
)
from .selectors import statistics_template_read
from .template import statistics_template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Problems and warnings a page lists at most (the counts say how many there were).
SHOWN_PROBLEMS = 100
STAGES = {"checking": _("checking the rows"), "writing": _("writing the values")}


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


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statistics file"),
        help_text=_("CSV (UTF-8) or XLSX with the columns region, period, indicator, value; a filled-in template too."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    strict = forms.BooleanField(
        label=_("Refuse the file if it has warnings"),
        required=False,
        help_text=_(
            "Warnings are figures that look wrong but are not errors (an unusual value, a part larger than its whole)."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        problem = import_file_problem(name=str(upload.name), size=upload.size)
        if problem is not None:
            raise forms.ValidationError(problem)
        return upload


@admin.register(ImportBatch)
class ImportBatchAdmin(RecordAdmin):
    """What each legal-statistics file did. Read-only: imports are made by the import
    command, the API or the upload page here (a check, then its confirmation), and a
    record of one is never edited afterwards."""

    list_display = [
        "created_at",
        "file",
        "status",
        "dry_run",
        "progress",
        "rows",
        "outcome",
        "found",
        "uploaded_by",
    ]
    change_list_template = "admin/initiatives/importbatch/change_list.html"
    list_filter = ["status", "dry_run", "agency"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by", "agency"]
    date_hierarchy = "created_at"
    # The problems are stored as codes: shown in words, in the reader's language.
    readonly_fields = [
        "page",
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

    @admin.display(description=_("problems / warnings"))
    def found(self, batch: ImportBatch) -> str:
        # One column for both counts, as for the outcome: the list fits a laptop's screen.
        return f"{batch.error_count} / {batch.warnings_count}"

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

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportBatch]:
        # The import that confirmed each check, in the list's own query.
        first_confirmation = ImportBatch.objects.filter(confirms=OuterRef("pk")).order_by("pk").values("pk")[:1]
        batches: QuerySet[ImportBatch] = super().get_queryset(request)
        return batches.annotate(confirmed_by=Subquery(first_confirmation))

    @admin.display(description=_("file"), ordering="file_name")
    def file(self, batch: ImportBatch) -> SafeString:
        """The file, and which import confirms which check, each a link to its page (under
        the file's name: every column of the list fits a laptop's screen)."""
        confirmed_by = getattr(batch, "confirmed_by", None)  # annotated by get_queryset
        if batch.confirms_id is not None:
            other, words = batch.confirms_id, _("confirms the check #%(id)s") % {"id": batch.confirms_id}
        elif confirmed_by is not None:
            other, words = confirmed_by, _("confirmed by the import #%(id)s") % {"id": confirmed_by}
        else:
            return format_html("{}", batch.file_name)
        return format_html(
            '{}<br><a class="import-confirmation" href="{}">{}</a>',
            batch.file_name,
            reverse("admin:initiatives_importbatch_check", args=[other]),
            words,
        )

    @admin.display(description=_("page"))
    def page(self, batch: ImportBatch) -> SafeString:
        words = _("The check's page: its result, and its confirmation") if batch.dry_run else _("The import's page")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:initiatives_importbatch_check", args=[batch.pk]), words
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {**(extra_context or {}), "may_upload": is_project_office(request.user)}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "template/",
                self.admin_site.admin_view(self.template_view),
                name="initiatives_importbatch_template",
            ),
            path("upload/", self.admin_site.admin_view(self.upload_view), name="initiatives_importbatch_upload"),
            path(
                "<int:pk>/check/",
                self.admin_site.admin_view(self.check_view),
                name="initiatives_importbatch_check",
            ),
        ]
        return own + super().get_urls()

    @body_limit(
        "MAX_IMPORT_FILE_BYTES",
        refused=_("The request is %(size)s MB; a statistics file may be at most %(limit)s MB."),
    )
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """The project office sends a file in: it is kept and checked (a dry run) by a
        worker; the check's page shows what it would change, and confirms it."""
        if not is_project_office(request.user):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            check = import_job_submit(
                upload=form.cleaned_data["file"],
                user=cast(User, request.user),
                agency=None,
                dry_run=True,
                strict=form.cleaned_data["strict"],
            )
            return HttpResponseRedirect(reverse("admin:initiatives_importbatch_check", args=[check.pk]), status=303)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Upload a statistics file"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/initiatives/importbatch/upload_form.html", context)

    def check_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A check's page (its progress, then what the file would change and a button to
        confirm it), or an import's (its progress, then what it changed). POST confirms."""
        if not is_project_office(request.user):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by", "confirms"), pk=pk)
        if request.method == "POST":
            try:
                batch = import_job_confirm(check=batch, user=cast(User, request.user))
            except ImportNotConfirmable as refused:
                messages.error(request, str(refused))
            return HttpResponseRedirect(reverse("admin:initiatives_importbatch_check", args=[batch.pk]), status=303)
        return TemplateResponse(
            request, "admin/initiatives/importbatch/check.html", self._check_context(request, batch)
        )

    def _check_context(self, request: HttpRequest, batch: ImportBatch) -> dict[str, Any]:
        running = batch.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
        progress = import_job_progress(batch) if running else None
        confirmation = batch.confirmations.order_by("pk").first() if batch.dry_run else None
        title = _("Check of %(file)s") if batch.dry_run else _("Import of %(file)s")
        return {
            **self.admin_site.each_context(request),
            "title": title % {"file": batch.file_name},
            "opts": self.model._meta,
            "batch": batch,
            "running": running,
            "progress": progress,
            "stage": STAGES.get(progress["stage"], progress["stage"]) if progress else "",
            "errors": import_job_errors(batch)[:SHOWN_PROBLEMS],
            "warnings": [RowError.read(stored) for stored in (batch.warnings or [])[:SHOWN_PROBLEMS]],
            "confirmation": confirmation,
            "unconfirmable": import_check_unconfirmable(batch) if batch.dry_run and not running else None,
            "shown": SHOWN_PROBLEMS,
        }

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
