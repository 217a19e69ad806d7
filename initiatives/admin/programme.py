from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projectoffice.admin_history import HistoryAdmin

from ..models import Campaign, Initiative, InitiativeStatus, SettlementStage
from ..services.campaigns import campaign_advance_settlement
from ..services.programme import initiatives_set_status
from ..services.register import alcohol_free_values_sync
from .filters import TopRegionFilter, say_refused
from .history import WorkflowHistoryAdmin

# What campaign_advance_settlement changes (checking the order and the dates); a form
# may set a new settlement's first stage, never move an existing one.
STAGE_FIELDS = ("settlement_stage", "verified_on", "sustained_on", "lapsed_on")


class CampaignForm(forms.ModelForm[Campaign]):
    class Meta:
        model = Campaign
        fields = [
            "initiative", "kind", "status", "region", "start_date", "end_date",
            "name_kk", "name_ru", "name_en", "description", "evidence",
            "settlement_stage", "declared_on", "verified_on", "sustained_on", "lapsed_on",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and any(name in self.changed_data for name in STAGE_FIELDS):
            raise forms.ValidationError(
                _(
                    "A settlement moves through its stages with the actions on the list of campaigns "
                    "(mark verified, sustained or lapsed), which check the order and the dates."
                )
            )
        return data


class CampaignInline(admin.StackedInline[Campaign, Initiative]):
    model = Campaign
    form = CampaignForm
    fields = [
        ("kind", "status"),
        ("name_kk", "name_ru", "name_en"),
        "region",
        ("start_date", "end_date"),
        ("settlement_stage", "declared_on"),
    ]
    autocomplete_fields = ["region"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).select_related("region")


@admin.register(Initiative)
class InitiativeAdmin(HistoryAdmin):
    # What fits a laptop's 1366 px: the name in the reader's language, the dates in one column.
    list_display = ["code", "name_shown", "direction", "lead_agency", "status", "dates", "owner"]
    list_filter = ["status", "direction", "lead_agency"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    autocomplete_fields = ["lead_agency", "participating_agencies", "regions", "indicators", "owner"]
    list_select_related = ["lead_agency", "owner"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["code", "direction", "status", "owner", ("start_date", "end_date")]}),
        (_("Names"), {"fields": ["name_kk", "name_ru", "name_en"]}),
        (
            _("Descriptions"),
            {"classes": ["collapse"], "fields": ["description_kk", "description_ru", "description_en"]},
        ),
        (_("Who and where"), {"fields": ["lead_agency", "participating_agencies", "regions"]}),
        (_("Measured by"), {"fields": ["indicators"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [CampaignInline]

    @admin.display(description=_("name"), ordering="name_ru")
    def name_shown(self, obj: Initiative) -> str:
        return obj.name

    @admin.display(description=_("dates"), ordering="start_date")
    def dates(self, obj: Initiative) -> str:
        start = date_format(obj.start_date, "SHORT_DATE_FORMAT")
        return f"{start} – {date_format(obj.end_date, 'SHORT_DATE_FORMAT')}" if obj.end_date else start

    actions = ["mark_active", "mark_completed", "mark_suspended"]

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Initiative], status: str) -> None:
        changed = initiatives_set_status(initiatives=list(queryset), status=status, user=request.user)  # type: ignore[arg-type]
        self.message_user(
            request,
            ngettext("%(count)d initiative is now %(status)s.", "%(count)d initiatives are now %(status)s.", changed)
            % {"count": changed, "status": InitiativeStatus(status).label},
        )

    @admin.action(description=_("Mark selected initiatives active"), permissions=["change"])
    def mark_active(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self._set_status(request, queryset, InitiativeStatus.ACTIVE)

    @admin.action(description=_("Mark selected initiatives completed"), permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self._set_status(request, queryset, InitiativeStatus.COMPLETED)

    @admin.action(description=_("Suspend selected initiatives"), permissions=["change"])
    def mark_suspended(self, request: HttpRequest, queryset: QuerySet[Initiative]) -> None:
        self._set_status(request, queryset, InitiativeStatus.SUSPENDED)


@admin.register(Campaign)
class CampaignAdmin(WorkflowHistoryAdmin):
    form = CampaignForm
    list_display = [
        "__str__",
        "kind",
        "region",
        "status",
        "settlement_stage",
        "declared_on",
        "initiative",
    ]
    list_filter = ["kind", "status", "settlement_stage", TopRegionFilter, "initiative"]
    search_fields = ["name_kk", "name_ru", "name_en", "region__kato", "region__name_ru", "region__name_kk"]
    autocomplete_fields = ["initiative", "region"]
    list_select_related = ["region", "initiative"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["initiative", "kind", "status", "region", ("start_date", "end_date")]}),
        (_("Names"), {"fields": ["name_kk", "name_ru", "name_en", "description"]}),
        (
            _("Alcohol-free settlement"),
            {"fields": ["settlement_stage", "declared_on", "verified_on", "sustained_on", "lapsed_on", "evidence"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]
    actions = ["mark_verified", "mark_sustained", "mark_lapsed"]

    # The register is the alcohol-free KPI's one source: an edit here changes the figures.
    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        alcohol_free_values_sync(user=request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        super().delete_model(request, obj)
        alcohol_free_values_sync(user=request.user)  # type: ignore[arg-type]

    def _advance(self, request: HttpRequest, queryset: QuerySet[Campaign], stage: str) -> None:
        today = timezone.localdate()
        done = 0
        for campaign in queryset.select_related("region"):
            try:
                campaign_advance_settlement(campaign=campaign, stage=stage, on_date=today, user=request.user)  # type: ignore[arg-type]
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                say_refused(self, request, campaign, exc)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d settlement is now %(stage)s.", "%(count)d settlements are now %(stage)s.", done)
                % {"count": done, "stage": SettlementStage(stage).label},
            )

    @admin.action(description=_("Mark selected settlements verified today"), permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._advance(request, queryset, SettlementStage.VERIFIED)

    @admin.action(description=_("Mark selected settlements sustained today"), permissions=["change"])
    def mark_sustained(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._advance(request, queryset, SettlementStage.SUSTAINED)

    @admin.action(description=_("Mark selected settlements lapsed today"), permissions=["change"])
    def mark_lapsed(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._advance(request, queryset, SettlementStage.LAPSED)
