from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Agency, Membership, RegionalBranch


class RegionalBranchInline(admin.TabularInline):
    model = RegionalBranch
    fields = ["region", "head", "phone", "email", "is_active"]
    autocomplete_fields = ["region"]
    extra = 0
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_ru", "name_kk", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_kk", "name_ru", "name_en"]
    autocomplete_fields = ["parent", "predecessor"]
    list_select_related = ["parent"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RegionalBranchInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "is_active"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(RegionalBranch)
class RegionalBranchAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "agency", "region", "head", "phone", "is_active"]
    list_filter = ["agency", "is_active", ("region", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["agency__code", "agency__name_ru", "region__kato", "region__name_ru", "region__name_kk", "head"]
    autocomplete_fields = ["agency", "region"]
    list_select_related = ["agency", "region"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "branch", "is_active"]
    list_filter = ["role", "is_active", "branch__agency"]
    search_fields = ["user__username", "user__last_name", "branch__region__name_ru", "branch__agency__code"]
    autocomplete_fields = ["user", "branch"]
    list_select_related = ["user", "branch__agency", "branch__region"]
    readonly_fields = ["created_at", "updated_at"]
