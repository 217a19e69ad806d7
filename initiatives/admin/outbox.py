from django.contrib import admin

from ..models import OutboxMessage
from .records import RecordAdmin


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """What was sent to whom, and what is still waiting; read-only."""

    list_display = ["created_at", "recipient", "subject", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
