from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from projectoffice.admin_history import HistoryAdmin, HistoryEntry, timeline

from ..models import Report, ReportingCycle, ReportLine
from ..services.reports import report_approve, report_reopen, report_return
from .filters import TopRegionFilter, say_refused
from .history import WorkflowHistoryAdmin


class ReportLineInline(admin.TabularInline[ReportLine, Report]):
    model = ReportLine
    fields = ["indicator", "value_shown", "comment", "return_reason"]
    readonly_fields = ["indicator", "value_shown", "comment", "return_reason"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportLine]:
        return super().get_queryset(request).select_related("indicator")

    @admin.display(description=_("value"))
    def value_shown(self, line: ReportLine) -> str:
        return line.indicator.shown(line.value)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What to fix"), widget=forms.Textarea(attrs={"rows": 4}), required=True, strip=True
    )


@admin.register(Report)
class ReportAdmin(WorkflowHistoryAdmin):
    """The review queue. Reports are written by coordinators; here the office approves
    them or returns them with a reason, through the workflow's services."""

    list_display = ["__str__", "kind", "state_seen", "due_date", "submitted_at", "approved_at"]
    search_fields = ["branch__region__kato", "branch__region__name_ru", "branch__agency__code", "narrative"]
    list_select_related = ["branch__agency", "branch__region"]
    readonly_fields = [
        "branch", "kind", "period_start", "period_end", "due_date", "reopened_until", "state", "narrative",
        "return_reason",
        "version", "submitted_at", "approved_at", "approved_by", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [ReportLineInline]
    actions = ["approve", "return_for_revision", "reopen"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def extra_history_entries(self, request: HttpRequest, obj: Report) -> list[HistoryEntry]:
        """The report's values change with it (210 -> 23): their history is the report's too."""
        records = ReportLine.history.filter(report_id=obj.pk).select_related("history_user", "indicator")
        by_line: dict[int, list[Any]] = {}
        for record in records:
            by_line.setdefault(record.id, []).append(record)
        entries = []
        for line_records in by_line.values():
            indicator = line_records[-1].indicator
            entries.extend(
                timeline(
                    line_records,
                    ReportLine,
                    subject=str(indicator) if indicator else "",
                    created_with=["value", "comment"],
                )
            )
        return entries

    def get_list_filter(self, request: HttpRequest) -> list[object]:
        class BranchRegionFilter(TopRegionFilter):
            region_field = "branch__region"

        return ["state", "kind", BranchRegionFilter, "branch__agency"]

    @admin.display(description=_("state"), ordering="state")
    def state_seen(self, obj: Report) -> SafeString:
        """The state, and the version of the report the list shows: a decision is on what was seen."""
        return format_html(
            '{}<input type="hidden" name="seen_{}" value="{}">', obj.get_state_display(), obj.pk, obj.version
        )

    def _seen(self, request: HttpRequest, queryset: QuerySet[Report]) -> list[tuple[Report, int]]:
        """The selected reports with the version the list (or the confirmation page) showed;
        one not shown there is refused, not decided unseen."""
        chosen = []
        for report in queryset.select_related("branch__region", "branch__agency"):
            seen = request.POST.get(f"seen_{report.pk}", "")
            if seen.isdigit():
                chosen.append((report, int(seen)))
            else:
                self.message_user(
                    request,
                    _("%(report)s was not shown on this page: nothing was done with it.") % {"report": report},
                    messages.ERROR,
                )
        return chosen

    @admin.action(description=_("Approve selected reports and publish their values"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report, seen in self._seen(request, queryset):
            try:
                report_approve(report=report, version=seen, user=request.user)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                say_refused(self, request, report, exc)
            else:
                self.message_user(request, _("%(report)s approved.") % {"report": report})

    @admin.action(description=_("Reopen selected reports for 7 days from now"), permissions=["change"])
    def reopen(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset.select_related("branch__region", "branch__agency"):
            try:
                report = report_reopen(report=report, user=request.user)  # type: ignore[arg-type]
            except (ValidationError, PermissionDenied) as exc:
                say_refused(self, request, report, exc)
            else:
                until = timezone.localtime(report.reopened_until).strftime("%Y-%m-%d %H:%M")
                self.message_user(
                    request, _("%(report)s reopened until %(until)s.") % {"report": report, "until": until}
                )

    @admin.action(description=_("Return selected reports for revision"), permissions=["change"])
    def return_for_revision(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse | None:
        form = ReturnForm(request.POST if "reason" in request.POST else None)
        chosen = self._seen(request, queryset)
        if form.is_valid():
            for report, seen in chosen:
                try:
                    report_return(
                        report=report,
                        reason=form.cleaned_data["reason"],
                        version=seen,
                        user=request.user,  # type: ignore[arg-type]
                    )
                except (ValidationError, PermissionDenied) as exc:
                    say_refused(self, request, report, exc)
                else:
                    self.message_user(request, _("%(report)s returned for revision.") % {"report": report})
            return None
        return TemplateResponse(
            request,
            "admin/initiatives/report_return.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Return for revision"),
                "chosen": chosen,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(ReportingCycle)
class ReportingCycleAdmin(HistoryAdmin):
    list_display = ["kind", "due_day", "months_after", "owed_by", "updated_at"]
    fields = ["kind", "due_day", "months_after", "agencies"]
    autocomplete_fields = ["agencies"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportingCycle]:
        cycles: QuerySet[ReportingCycle] = super().get_queryset(request)
        return cycles.prefetch_related("agencies")

    @admin.display(description=_("agencies whose branches owe it"))
    def owed_by(self, cycle: ReportingCycle) -> str:
        return ", ".join(str(agency) for agency in cycle.agencies.all()) or "—"
