"""Early warning in the admin: the detection runs, read-only with what each tested, skipped
and raised; the alerts, filtered by month, KPI, kind, withdrawn and reviewed, each with its
history. Detection writes an alert's figures; the one thing a person changes is the office's
review note, saved through `alert_review` (a blank note is still a review)."""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agencies.access import is_project_office

from ..admin.filters import TopRegionFilter
from ..admin.history import WorkflowHistoryAdmin
from ..admin.records import RecordAdmin
from .models import Alert, DetectionRun, DetectionStatus
from .services import alert_review


@admin.register(DetectionRun)
class DetectionRunAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "month",
        "status",
        "progress",
        "trigger",
        "budget_series",
        "tested",
        "skipped",
        "raised",
        "withdrawn",
        "finished_at",
        "reason",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["reason"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in DetectionRun._meta.fields]

    @admin.display(description=_("month"), ordering="period")
    def month(self, run: DetectionRun) -> str:
        return f"{run.period:%Y-%m}"

    @admin.display(description=_("progress"))
    def progress(self, run: DetectionRun) -> str:
        """The stage and steps done while a worker runs it."""
        if run.status != DetectionStatus.RUNNING:
            return ""
        of = f" {run.progress_done} / {run.progress_total}" if run.progress_total else ""
        return f"{run.stage}{of}"


class MonthFilter(admin.SimpleListFilter):
    """The months that hold alerts, newest first."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        days = Alert.objects.order_by().dates("period", "month", order="DESC")
        return [(f"{day:%Y-%m}", f"{day:%Y-%m}") for day in days]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        text = self.value() or ""
        year, _dash, month = text.partition("-")
        if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
            return queryset
        return queryset.filter(period__year=int(year), period__month=int(month))


class ReviewedFilter(admin.SimpleListFilter):
    title = _("reviewed")
    parameter_name = "reviewed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [("yes", str(_("yes"))), ("no", str(_("no")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        return queryset


class AlertReviewForm(forms.ModelForm[Alert]):
    class Meta:
        model = Alert
        fields = ["review_note"]
        widgets = {"review_note": forms.Textarea(attrs={"rows": 3})}


@admin.register(Alert)
class AlertAdmin(WorkflowHistoryAdmin):
    form = AlertReviewForm
    list_display = [
        "month",
        "indicator",
        "region",
        "kind",
        "adverse",
        "observed",
        "expected",
        "upper",
        "p_value",
        "withdrawn",
        "is_reviewed",
        "raised_at",
    ]
    list_filter = [MonthFilter, "indicator", "kind", "adverse", "withdrawn", ReviewedFilter, TopRegionFilter]
    search_fields = ["indicator__code", "region__kato", "region__name_ru", "region__name_kk", "region__name_en"]
    list_select_related = ["indicator", "region"]
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [
        "indicator",
        "region",
        "month",
        "kind",
        "adverse",
        "observed",
        "expected",
        "lower",
        "upper",
        "p_value",
        "persists",
        "model",
        "run",
        "raised_at",
        "withdrawn",
        "withdrawn_at",
        "reviewed_at",
        "reviewed_by",
    ]
    fields = [*readonly_fields, "review_note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # detection raises alerts

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # withdrawn, never deleted

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The review is the office's: other staff read it. Asked of an alert only: the
        # admin's menu asks every model on every page, and the permission it reads there is
        # already loaded, where the office's group would cost a query per page.
        allowed: bool = super().has_change_permission(request, obj)
        return allowed and (obj is None or is_project_office(request.user))

    def save_model(self, request: HttpRequest, obj: Alert, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        saved = alert_review(alert=obj, user=request.user, note=form.cleaned_data.get("review_note") or "")  # type: ignore[arg-type]
        obj.updated_at = saved.updated_at

    @admin.display(description=_("month"), ordering="period")
    def month(self, alert: Alert) -> str:
        return f"{alert.period:%Y-%m}"

    @admin.display(description=_("reviewed"), boolean=True, ordering="reviewed_at")
    def is_reviewed(self, alert: Alert) -> bool:
        return alert.reviewed

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        alerts: QuerySet[Alert] = super().get_queryset(request)
        return alerts.select_related("indicator", "region", "reviewed_by", "run")
