"""The forecast runs in the admin: what each run did, its progress while a worker runs it,
and why one failed (the previous run stays what readers read). Runs are made by the
commands, the worker after an import and the schedule, never typed in; so are the
campaign impacts a refresh stores."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..admin.records import RecordAdmin
from .models import CampaignImpact, ForecastRun, ForecastStatus


@admin.register(ForecastRun)
class ForecastRunAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "indicator",
        "kind",
        "origin_month",
        "status",
        "progress",
        "as_of",
        "method",
        "series",
        "trigger",
        "reason",
    ]
    list_filter = ["status", "kind", "trigger", "replay", "indicator"]
    search_fields = ["indicator__code", "reason"]
    list_select_related = ["indicator"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ForecastRun._meta.fields]

    @admin.display(description=_("origin"), ordering="origin")
    def origin_month(self, run: ForecastRun) -> str:
        return f"{run.origin:%Y-%m}"

    @admin.display(description=_("progress"))
    def progress(self, run: ForecastRun) -> str:
        """The stage and steps done while a worker runs it."""
        if run.status != ForecastStatus.RUNNING:
            return ""
        of = f" {run.progress_done} / {run.progress_total}" if run.progress_total else ""
        return f"{run.stage}{of}"


@admin.register(CampaignImpact)
class CampaignImpactAdmin(RecordAdmin):
    list_display = ["campaign", "region", "origin", "months_read", "run", "created_at"]
    search_fields = ["campaign__region__kato", "campaign__name_ru", "campaign__name_kk", "campaign__name_en"]
    list_select_related = ["campaign", "region", "run__indicator"]
    readonly_fields = [f.name for f in CampaignImpact._meta.fields]
