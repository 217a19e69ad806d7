from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from projectoffice.admin_history import HistoryEntry, person
from projectoffice.form_fields import PeriodField
from regions.models import Region

from ..models import ImportBatch, Indicator, Value, ValueSource
from ..periods import Period, period_over
from ..services.values import ValueExists, value_check_version, value_delete, value_set, values_approve, values_delete
from .filters import TopRegionFilter, YearFilter
from .history import WorkflowHistoryAdmin


class ValueAdminForm(forms.ModelForm[Value]):
    """Staff type the period the way the brief writes it (2025-09, 2025-Q3, 2025-01/2025-09)."""

    period = PeriodField(
        parse=period_over, label=_("period"), help_text=_("2025-09, 2025-Q3, 2025-H1, 2025 or 2025-01/2025-09")
    )
    # The version the person opened: a save over someone else's newer one is refused.
    seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Value
        fields = ["indicator", "region", "value", "source", "comment"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # By hand, staff enter their own figures; imports and reports arrive by their own roads
        # (a value that came by one of them keeps saying so).
        sources = [ValueSource.MANUAL]
        if self.instance.pk:
            self.initial["period"] = str(self.instance.period)
            self.initial["seen_version"] = self.instance.version
            self.initial["value"] = self.instance.indicator.exact(self.instance.value)
            if self.instance.source != ValueSource.MANUAL:
                sources.insert(0, ValueSource(self.instance.source))
        if "source" in self.fields:
            self.fields["source"].choices = [(s.value, s.label) for s in sources]  # type: ignore[attr-defined]
            self.fields["source"].initial = sources[0]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if is_official(self.instance):
            raise forms.ValidationError(
                _("This is an official figure from the legal-statistics import; it is corrected by importing.")
            )
        if self.instance.pk:
            # Locks the row until the admin's save commits (the change view is one transaction).
            value_check_version(value=self.instance, version=data.get("seen_version") or "")
        self._refuse_a_key_taken(data)
        return data

    def _refuse_a_key_taken(self, data: dict[str, object]) -> None:
        """One value per KPI, region and period: a form for a key that has one already is
        refused with the way to the one there (the database's refusal was a 500 that lost
        the input), and never overwrites it."""
        indicator, region, period = data.get("indicator"), data.get("region"), data.get("period")
        if not (isinstance(indicator, Indicator) and isinstance(region, Region) and isinstance(period, Period)):
            return
        there = (
            Value.objects.filter(indicator=indicator, region=region)
            .for_period(period)
            .exclude(pk=self.instance.pk)
            .select_related("indicator", "region")
            .first()
        )
        if there is not None:  # the service's refusal, in its words, with the way there
            link = reverse("admin:initiatives_value_change", args=[there.pk])
            raise forms.ValidationError(
                format_html('{} <a href="{}">{}</a>', ValueExists(there).message, link, _("Open it to change it.")),
                code="value_exists",
            )

    def clean_value(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("value")
        if value is not None and value < 0:
            # Said here in the reader's words; the database's own refusal names only its constraint.
            raise forms.ValidationError(_("A KPI value cannot be negative."), code="negative")
        return value

    def _post_clean(self) -> None:
        if isinstance(self.cleaned_data.get("period"), Period):
            self.instance.period = self.cleaned_data["period"]
        super()._post_clean()  # type: ignore[misc]


def created_by_import(batch: ImportBatch) -> str:
    """A value's first version when the statistics import created it, in the reader's language."""
    return gettext("created by import %(number)s (%(file)s, %(user)s) at %(time)s") % {
        "number": batch.pk,
        "file": batch.file_name,
        "user": person(batch.uploaded_by),
        "time": date_format(timezone.localtime(batch.committed_at), "DATETIME_FORMAT"),
    }


def is_official(value: Value | None) -> bool:
    """An official figure (`Value.is_official`): the admin opens it read-only."""
    return value is not None and value.is_official


@admin.register(Value)
class ValueAdmin(WorkflowHistoryAdmin):
    form = ValueAdminForm
    list_display = ["indicator", "region", "period_label", "value_seen", "source", "approval_state", "updated_at"]
    list_filter = ["approval_state", "source", YearFilter, TopRegionFilter, "indicator"]
    search_fields = ["indicator__code", "region__kato", "region__name_ru"]
    autocomplete_fields = ["indicator", "region"]
    list_select_related = ["indicator", "region"]
    readonly_fields = [
        "approval_state",
        "approved_at",
        "approved_by",
        "import_batch",
        "report",
        "created_at",
        "updated_at",
    ]
    fields = ["indicator", "region", "period", "value", "source", "comment", "seen_version", *readonly_fields]
    actions = ["approve"]
    # The fact table grows to millions of rows: no full COUNT(*) on every list page.
    show_full_result_count = False
    list_per_page = 100

    def has_change_permission(self, request: HttpRequest, obj: Value | None = None) -> bool:
        # An official figure opens read-only, with the way to correct it said on the page.
        return not is_official(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Value | None = None) -> bool:
        # Read-only means not deleted by hand either: an import replaces it.
        return not is_official(obj) and super().has_delete_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Value | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if is_official(obj):  # read-only: the figure as people read it, in its KPI's places
            fields[fields.index("value")] = "value_shown"
            fields[fields.index("period")] = "period_label"
            fields.remove("seen_version")  # nothing is saved from this page
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Value | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if is_official(obj):  # the words of get_fields(): shown, never a form field (an old version's page too)
            fields += ["value_shown", "period_label"]
        return fields

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        value = self.get_object(request, object_id)
        context = {**(extra_context or {}), "official": is_official(value)}
        response: HttpResponse = super().change_view(request, object_id, form_url, context)
        return response

    def save_model(self, request: HttpRequest, obj: Value, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        # Through the service: the version seen is checked again and an add over a value
        # already there refused (the form said both first, in the person's words); a
        # number changed by hand is no longer the one that was approved.
        data = form.cleaned_data
        saved = value_set(
            indicator=data["indicator"],
            region=data["region"],
            period=data["period"],
            value=data["value"],
            source=data["source"],
            comment=data.get("comment") or "",
            report=obj.report,
            user=request.user,  # type: ignore[arg-type]
            value_id=obj.pk if change else None,
            version=(data.get("seen_version") or "") if change else "",
        )
        obj.pk, obj.updated_at = saved.pk, saved.updated_at  # for the admin's message and redirect

    def delete_model(self, request: HttpRequest, obj: Value) -> None:
        value_delete(value=obj, user=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Value]) -> None:
        # Through the service, all or none (the admin lets no official figure get here).
        values_delete(values=queryset.order_by("pk"), user=request.user)  # type: ignore[arg-type]

    def extra_history_entries(self, request: HttpRequest, obj: Value) -> Iterable[HistoryEntry]:
        # A value the statistics import created has no history row until it is first
        # replaced or deleted: its first version is its import (services/value_history.py).
        batch = obj.import_batch
        if batch is not None and batch.committed_at is not None and not Value.history.filter(id=obj.pk).exists():
            yield HistoryEntry(
                when=batch.committed_at, who=person(batch.uploaded_by), action=created_by_import(batch), kind="+"
            )

    def history_entry(self, record: Any, entry: HistoryEntry) -> HistoryEntry:
        # The first version of an imported value, written when it was first replaced: the
        # same words as before it was.
        batch = record.import_batch
        if record.history_type == "+" and batch is not None and record.history_change_reason == f"import {batch.pk}":
            entry.action, entry.reason = created_by_import(batch), ""
        return entry

    def get_history_queryset(self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any) -> Any:
        return (
            super()
            .get_history_queryset(request, history_manager, pk_name, object_id)
            .select_related("import_batch__uploaded_by")
        )

    @admin.display(description=_("period"), ordering="period_start")
    def period_label(self, obj: Value) -> str:
        return str(obj.period)

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, obj: Value) -> str:
        return obj.indicator.shown(obj.value)

    @admin.display(description=_("value"), ordering="value")
    def value_seen(self, obj: Value) -> SafeString:
        """The number, and the version of it the list shows: an approval is of what was seen."""
        return format_html(
            '{}<input type="hidden" name="seen_{}" value="{}">', obj.indicator.shown(obj.value), obj.pk, obj.version
        )

    @admin.action(description=_("Approve selected values"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Value]) -> None:
        seen = {
            int(key[5:]): str(request.POST[key])
            for key in request.POST
            if key.startswith("seen_") and key[5:].isdigit()
        }
        if queryset.exclude(pk__in=list(seen)).exists():
            self.message_user(
                request,
                _("Values not shown on this page were not approved: approve what you have seen, page by page."),
                messages.WARNING,
            )
        chosen = set(queryset.filter(pk__in=list(seen)).values_list("pk", flat=True))
        outcome = values_approve(versions={pk: seen[pk] for pk in chosen}, user=request.user)  # type: ignore[arg-type]
        for stale in outcome.stale:
            self.message_user(request, " ".join(stale.messages), messages.ERROR)
        if outcome.approved or not outcome.stale:
            self.message_user(
                request,
                ngettext("%(count)d value approved.", "%(count)d values approved.", outcome.approved)
                % {"count": outcome.approved},
            )
