from django.contrib import admin
from django.http import HttpRequest

from ..models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What was sent to whom, and what is still waiting; read-only."""

    list_display = ["created_at", "recipient", "subject", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
