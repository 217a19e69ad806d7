from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from projectoffice.form_fields import PeriodField

from ..models import Release
from ..periods import period_over
from ..services.releases import ReleaseError, release_confirm, release_erratum, release_publish, release_withdraw
from .filters import say_refused
from .history import WorkflowHistoryAdmin

TITLES = ["title_kk", "title_ru", "title_en"]


class PublishForm(forms.ModelForm[Release]):
    """What a member of the office gives to publish: the period and its title in each
    language (one left empty: "Figures for ..." in that language)."""

    period = PeriodField(
        parse=period_over,
        label=_("period"),
        max_length=Release._meta.get_field("period").max_length,
        help_text=_("Any period form: 2026-09, 2026-Q3, 2026-H1, 2026, 2026-01/2026-09."),
    )

    class Meta:
        model = Release
        fields = ["period", *TITLES]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), required=True, strip=True)


@admin.register(Release)
class ReleaseAdmin(WorkflowHistoryAdmin):
    """Releases: "Add" publishes one (its figures frozen as committed now); a second member
    of the office confirms it before it goes out; a wrong one is withdrawn or followed by
    an erratum, with the reason. Nothing here edits a release's figures, and its history is
    read, never reverted (a revert would save an old state past the services)."""

    list_display = ["title_in_language", "period", "state", "moment", "published_by", "confirmed_by", "confirmed_at"]
    list_filter = ["state", "period"]
    list_select_related = ["published_by", "confirmed_by"]
    actions = ["confirm", "withdraw", "erratum"]
    readonly_fields = [
        *TITLES, "period", "moment", "state", "published_by", "confirmed_by", "confirmed_at", "withdrawn_by",
        "withdrawn_at", "withdrawn_reason", "corrects", "erratum_reason", "downloads",
    ]  # fmt: skip

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PublishForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["period", *TITLES] if obj is None else list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if object_id is None and request.method == "POST":
            # Publishing: not inside the admin's transaction, so the release's checkpoint
            # commits on its own and does not hold off the writers of values meanwhile
            # (services/releases.py); the publish is one transaction of its own.
            response: HttpResponse = self._changeform_view(request, object_id, form_url, extra_context)
            return response
        response = super().changeform_view(request, object_id, form_url, extra_context)
        return response

    def save_model(self, request: HttpRequest, obj: Release, form: Any, change: bool) -> None:
        if change:
            return  # a release is never edited
        release = release_publish(
            period=form.cleaned_data["period"],
            titles={field.removeprefix("title_"): form.cleaned_data[field] for field in TITLES},
            user=request.user,
        )
        obj.pk, obj._state.adding = release.pk, False
        for field in TITLES:
            setattr(obj, field, getattr(release, field))

    @admin.display(description=_("title"))
    def title_in_language(self, obj: Release) -> str:
        return obj.title

    @admin.display(description=_("Figures"))
    def downloads(self, obj: Release) -> str:
        url = reverse("release-figures", args=[obj.pk])
        return format_html('<a href="{}?format=csv">CSV</a> · <a href="{}?format=xlsx">XLSX</a>', url, url)

    @admin.action(description=_("Confirm selected releases (a second member of the office)"), permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[Release]) -> None:
        for release in queryset:
            try:
                release_confirm(release=release, user=request.user)
            except (ReleaseError, PermissionDenied) as exc:
                say_refused(self, request, release, PermissionDenied(str(exc)))
            else:
                self.message_user(request, _("%(release)s confirmed: it is published.") % {"release": release})

    @admin.action(description=_("Withdraw selected releases, with the reason"), permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Release]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "withdraw", _("Withdraw releases"), release_withdraw)

    @admin.action(description=_("Publish an erratum to selected releases, with the reason"), permissions=["change"])
    def erratum(self, request: HttpRequest, queryset: QuerySet[Release]) -> HttpResponse | None:
        return self._with_reason(request, queryset, "erratum", _("Erratum"), release_erratum)

    def _with_reason(
        self, request: HttpRequest, queryset: QuerySet[Release], action: str, title: Any, service: Any
    ) -> HttpResponse | None:
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            for release in queryset:
                try:
                    service(release=release, user=request.user, reason=form.cleaned_data["reason"])
                except (ReleaseError, PermissionDenied) as exc:
                    say_refused(self, request, release, PermissionDenied(str(exc)))
                else:
                    self.message_user(request, _("%(release)s: done.") % {"release": release})
            return None
        return TemplateResponse(
            request,
            "admin/initiatives/release_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "releases": queryset,
                "form": form,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
