"""The register in the admin, for the project office: reports with their counts, personal
data masked. Holders of the permission "view citizens' personal data" open a report's
data in clear on a page of its own (each opening recorded), correct them, and answer
citizens' requests; nobody else sees those pages or the requests at all.

Reports are read-only here: they are registered and decided in the branches' portal or
loaded with `import_citizen_reports`, so the KPIs counted from them change with them.
An old version's page (simple-history's) shows personal fields masked and is never
saved back.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from simple_history.admin import SimpleHistoryAdmin

from initiatives.admin.filters import TopRegionFilter
from projectoffice.admin_history import NeverReverted

from .identity import MASK
from .models import VIEW_PERSONAL_DATA, CitizenReport, PersonalDataRequest, PersonalDataReveal
from .portal.forms import PersonalDataForm
from .selectors import register_counts
from .services import (
    personal_data_correct,
    personal_data_request_answer,
    personal_data_request_record,
    personal_data_reveal,
)


class BranchRegionFilter(TopRegionFilter):
    region_field = "branch__region"


class DeclaredFiltersChangeList(ChangeList):
    """A list that filters only by what its admin offers (`list_filter`, `date_hierarchy`).
    Django lets any lookup on the model's own fields through the query string: here that
    was `?iin_hash__startswith=a`, which gives the keyed hash away a character at a time
    and links one person's reports across branches. A parameter that no offered filter
    takes answers 400, as Django answers a lookup it refuses."""

    def get_filters(self, request: HttpRequest) -> Any:
        asked = set(self.get_filters_params())
        found = super().get_filters(request)
        # What is left after every offered filter took its own parameters.
        left = set(found[2])
        undeclared = sorted(asked & left)
        if undeclared:
            raise DisallowedModelAdminLookup(f"Filtering by {', '.join(undeclared)} is not offered")
        return found


class DeclaredFiltersOnly:
    """For an admin whose list must not be filtered by anything it does not offer."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DeclaredFiltersChangeList


class PersonalDataHistoryAdmin(NeverReverted, SimpleHistoryAdmin):
    """History of a record with personal data. History never holds the personal fields, so
    simple-history's page of an old version fills them from today's record, in clear,
    without the reveal and its record: there every field is read-only and the personal
    ones (`masked_on_history`: field -> a display method of this admin) show masked. An
    old version is never saved back ("Revert" would write the register past its services,
    and its KPIs would not follow)."""

    masked_on_history: dict[str, str] = {}

    def _reading_old_version(self, request: HttpRequest) -> bool:
        match = request.resolver_match
        opts = self.model._meta
        return match is not None and match.url_name == f"{opts.app_label}_{opts.model_name}_simple_history"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[Any]:
        fields: Sequence[Any] = super().get_fields(request, obj)
        if not self._reading_old_version(request):
            return fields

        def masked(name: Any) -> Any:
            if isinstance(name, (list, tuple)):
                return tuple(masked(n) for n in name)
            return self.masked_on_history.get(name, name)

        return [masked(name) for name in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        readonly: Sequence[str] = super().get_readonly_fields(request, obj)
        if not self._reading_old_version(request):
            return readonly
        every: list[str] = []
        for name in self.get_fields(request, obj):
            every += list(name) if isinstance(name, (list, tuple)) else [name]
        return every

    def revert_refused(self) -> str:
        return gettext("An old version is read here, never saved back: nothing was changed.")


def _masked_text(text: str | None) -> str:
    return MASK if text else "—"


@admin.register(CitizenReport)
class CitizenReportAdmin(DeclaredFiltersOnly, PersonalDataHistoryAdmin):
    list_display = [
        "pk",
        "branch",
        "received_on",
        "channel",
        "offence",
        "status",
        "decided_on",
        "reward",
        "amount_kzt",
        "iin_masked",
    ]
    list_filter = ["status", "reward", "channel", "offence", "branch__agency", BranchRegionFilter]
    list_select_related = ["branch__agency", "branch__region"]
    date_hierarchy = "received_on"
    fields = [
        "branch",
        ("received_on", "channel", "offence"),
        ("status", "decided_on", "decision_no", "decided_by"),
        ("reward", "amount_kzt", "awarded_on", "paid_on", "rewarded_by"),
        "law_enforcement_staff",
        ("iin_masked", "full_name_masked", "phone_masked"),
        ("personal_data_changed_at", "personal_data_erased_at"),
        ("created_at", "updated_at"),
    ]
    readonly_fields = [
        "branch",
        "received_on",
        "channel",
        "offence",
        "status",
        "decided_on",
        "decision_no",
        "decided_by",
        "reward",
        "amount_kzt",
        "awarded_on",
        "paid_on",
        "rewarded_by",
        "law_enforcement_staff",
        "iin_masked",
        "full_name_masked",
        "phone_masked",
        "personal_data_changed_at",
        "personal_data_erased_at",
        "created_at",
        "updated_at",
    ]
    # The table is long: counting every row for the paginator is not worth it here.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("IIN"))
    def iin_masked(self, obj: CitizenReport) -> str:
        return obj.iin_masked

    @admin.display(description=_("full name"))
    def full_name_masked(self, obj: CitizenReport) -> str:
        return obj.full_name_masked

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: CitizenReport) -> str:
        return obj.phone_masked

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        if request.user.has_perm(VIEW_PERSONAL_DATA) and str(object_id).isdigit():
            extra_context["personal_data_url"] = reverse(
                "admin:citizens_citizenreport_personal_data", args=[int(object_id)]
            )
        response: HttpResponse = super().change_view(request, object_id, form_url, extra_context)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response: HttpResponse = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["register_counts"] = register_counts(context["cl"].queryset)
        return response

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/personal-data/",
                self.admin_site.admin_view(self.personal_data_view),
                name="citizens_citizenreport_personal_data",
            )
        ]
        theirs: list[URLPattern] = super().get_urls()
        return own + theirs

    @method_decorator(sensitive_post_parameters("iin", "full_name", "phone"))
    @method_decorator(sensitive_variables("data"))
    def personal_data_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERSONAL_DATA):
            raise PermissionDenied
        report = get_object_or_404(CitizenReport.objects.select_related("branch"), pk=pk)
        form = PersonalDataForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                personal_data_correct(report=report, user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The personal data were corrected; history records that they changed."))
                return redirect("admin:citizens_citizenreport_change", pk)
        data = personal_data_reveal(report=report, user=request.user, where="admin")  # type: ignore[arg-type]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Personal data of report %(pk)s") % {"pk": report.pk},
            "report": report,
            "data": data,
            "form": form,
        }
        return TemplateResponse(request, "admin/citizens/citizenreport/personal_data.html", context)


class WithPersonalDataPermission:
    """Admin pages only for holders of "view citizens' personal data"."""

    def _allowed(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_PERSONAL_DATA)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)


class PersonalDataRequestForm(forms.ModelForm[PersonalDataRequest]):
    class Meta:
        model = PersonalDataRequest
        fields = ["report", "kind", "received_on", "request_text", "answer_text", "answered_on"]
        widgets = {"request_text": forms.Textarea(attrs={"rows": 4}), "answer_text": forms.Textarea(attrs={"rows": 4})}


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(WithPersonalDataPermission, DeclaredFiltersOnly, PersonalDataHistoryAdmin):
    form = PersonalDataRequestForm
    list_display = ["pk", "report", "kind", "received_on", "status", "answered_on", "answered_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["report", "answered_by"]
    raw_id_fields = ["report"]
    fields = ["report", "kind", "received_on", "request_text", "answer_text", "answered_on", "status", "answered_by"]
    readonly_fields = ["status", "answered_by"]
    masked_on_history = {"request_text": "request_text_masked", "answer_text": "answer_text_masked"}

    @admin.display(description=_("what was asked"))
    def request_text_masked(self, obj: PersonalDataRequest) -> str:
        return _masked_text(obj.request_text)

    @admin.display(description=_("answer"))
    def answer_text_masked(self, obj: PersonalDataRequest) -> str:
        return _masked_text(obj.answer_text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request) and (obj is None or obj.status == "open")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        request_row = get_object_or_404(PersonalDataRequest.objects.select_related("report"), pk=object_id)
        if self._allowed(request):
            personal_data_reveal(report=request_row.report, user=request.user, where="admin request")  # type: ignore[arg-type]
        response: HttpResponse = super().change_view(request, object_id, *args, **kwargs)
        return response

    def save_model(self, request: HttpRequest, obj: PersonalDataRequest, form: Any, change: bool) -> None:
        answer = form.cleaned_data.get("answer_text") or ""
        if not change:
            obj = personal_data_request_record(
                report=obj.report,
                kind=obj.kind,
                received_on=obj.received_on,
                request_text=obj.request_text or "",
                user=request.user,  # type: ignore[arg-type]
            )
            form.instance = obj
        if answer.strip():
            personal_data_request_answer(
                request=obj,
                answer_text=answer,
                answered_on=form.cleaned_data.get("answered_on") or timezone.localdate(),
                user=request.user,  # type: ignore[arg-type]
            )


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(WithPersonalDataPermission, DeclaredFiltersOnly, admin.ModelAdmin[PersonalDataReveal]):
    list_display = ["revealed_at", "user", "report", "where"]
    list_filter = ["where"]
    list_select_related = ["user", "report"]
    date_hierarchy = "revealed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
