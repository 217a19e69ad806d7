"""Writes to initiatives."""

from django.contrib.auth.models import User
from django.db import transaction

from ..models import Initiative


@transaction.atomic
def initiatives_set_status(*, initiatives: list[Initiative], status: str, user: User | None) -> int:
    """Set the status of several initiatives, one history row each; returns how many changed."""
    changed = 0
    for initiative in Initiative.objects.select_for_update().filter(pk__in=[i.pk for i in initiatives]).order_by("pk"):
        if initiative.status != status:
            initiative.status = status
            initiative._history_user = user  # type: ignore[attr-defined]
            initiative.save(update_fields=["status", "updated_at"])
            changed += 1
    return changed
