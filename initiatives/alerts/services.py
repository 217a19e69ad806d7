"""The office's review of an alert: marked reviewed with a note, kept in the alert's history.

Detection never touches a review: a later run that changes an alert's figures, or
withdraws it, leaves who reviewed it, when and why as they were."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import Alert


def alert_review(*, alert: Alert, user: User, note: str) -> Alert:
    """Mark the alert reviewed by `user` with `note` (a second review replaces the first;
    the history keeps both)."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = user
        locked.review_note = note.strip()
        locked._change_reason = "review"  # type: ignore[attr-defined]
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    return locked


def alert_review_clear(*, alert: Alert, user: User) -> Alert:
    """Take a review back (its note stays in the history)."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        locked.reviewed_at = None
        locked.reviewed_by = None
        locked.review_note = ""
        locked._change_reason = f"review cleared by {user.get_username()}"  # type: ignore[attr-defined]
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    return locked
