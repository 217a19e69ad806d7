import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from projectoffice.admin_history import HistoryAdmin

from .accounts import groups_grantable_by, permissions_grantable_by, rights_within
from .models import Agency, AgencyToken, Membership, Profile, RegionalBranch, TokenScope
from .tokens import DEFAULT_TOKEN_DAYS


class RegionalBranchInline(admin.TabularInline[RegionalBranch, Agency]):
    model = RegionalBranch
    fields = ["region", "head", "phone", "email", "is_active"]
    autocomplete_fields = ["region"]
    extra = 0
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(HistoryAdmin):
    list_display = ["code", "name_ru", "name_kk", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    autocomplete_fields = ["parent", "predecessor"]
    list_select_related = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RegionalBranchInline]


class MembershipInline(admin.TabularInline[Membership, RegionalBranch]):
    model = Membership
    fields = ["user", "role", "is_active"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(RegionalBranch)
class RegionalBranchAdmin(HistoryAdmin):
    list_display = ["__str__", "agency", "region", "head", "phone", "is_active"]
    list_filter = ["agency", "is_active", ("region", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["agency__code", "agency__name_ru", "region__kato", "region__name_ru", "region__name_kk", "head"]
    autocomplete_fields = ["agency", "region"]
    list_select_related = ["agency", "region"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "role", "branch", "is_active"]
    list_filter = ["role", "is_active", "branch__agency"]
    search_fields = ["user__username", "user__last_name", "branch__region__name_ru", "branch__agency__code"]
    autocomplete_fields = ["user", "branch"]
    list_select_related = ["user", "branch__agency", "branch__region"]
    readonly_fields = ["created_at", "updated_at"]


class AgencyTokenForm(forms.ModelForm[AgencyToken]):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = AgencyToken
        fields = ["name", "agency", "scopes", "expiry_date", "revoked"]

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            # A token that never expires is a choice to make, not a default (as with the command).
            self.fields["expiry_date"].initial = timezone.now() + datetime.timedelta(days=DEFAULT_TOKEN_DAYS)


@admin.register(AgencyToken)
class AgencyTokenAdmin(APIKeyModelAdmin, HistoryAdmin):
    """Tokens are issued here or with `manage.py issue_api_token`; the key is shown once,
    in the message after saving. Revoking cannot be undone."""

    form = AgencyTokenForm
    list_display = [
        "prefix",
        "name",
        "agency",
        "scopes",
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
        "last_used_at",
    ]
    list_filter = ["agency", "revoked", "created"]
    search_fields = ["name", "prefix", "agency__code"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return (*super().get_readonly_fields(request, obj), "last_used_at", "created_by")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# The library's own key model is not used: every key belongs to an agency.
admin.site.unregister(APIKey)


class ProfileInline(admin.StackedInline[Profile, User]):
    """The language a person's e-mails are written in (set by their own switcher, or by
    their browser until they use it)."""

    model = Profile
    can_delete = False
    extra = 0
    fields = ["language", "language_from_browser"]
    readonly_fields = ["language_from_browser"]


class OfficeUserAdmin(UserAdmin[User]):
    """Accounts are kept by access administrators (the project office only reads them).
    One may change an account, its groups or its password only if its rights are within
    their own, and grant only groups whose every permission they hold; only a superuser
    hands out superuser rights or permissions one by one (the groups carry the roles).
    The admin's log records who created an account, granted or took away which group or
    permission, and set a password."""

    inlines = [ProfileInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The password view asks this too: no one sets the password of a mightier account.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or rights_within(obj, request.user))

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "groups":
            kwargs["queryset"] = groups_grantable_by(request.user)
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = permissions_grantable_by(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def construct_change_message(self, request, form, formsets, add=False):  # type: ignore[no-untyped-def]
        """Besides the fields changed, which groups and permissions were granted and taken away."""
        message: list[Any] = super().construct_change_message(request, form, formsets, add)
        for field, name in (("groups", "group"), ("user_permissions", "permission")):
            if field not in getattr(form, "changed_data", ()) or field not in form.cleaned_data:
                continue
            before, after = set(form.initial.get(field) or ()), set(form.cleaned_data[field])
            message += [{"added": {"name": name, "object": str(o)}} for o in sorted(after - before, key=str)]
            message += [{"deleted": {"name": name, "object": str(o)}} for o in sorted(before - after, key=str)]
        return message


admin.site.unregister(User)
admin.site.register(User, OfficeUserAdmin)
