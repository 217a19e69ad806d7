"""Writing notices into the outbox, and delivering them exactly once."""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from projectoffice.queueing import queue_on_commit

from ..models import OutboxMessage

# A sender that claimed a notice and died releases it after this long.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)


def outbox_add(*, key: str, recipient: str, subject: str, body: str) -> OutboxMessage | None:
    """Write a notice in the caller's transaction; delivery is queued once it commits.
    The same key twice writes one notice. A recipient without an address gets none."""
    if not recipient:
        return None
    message, created = OutboxMessage.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "subject": subject[:255], "body": body}
    )
    if created:
        queue_on_commit("initiatives.tasks.deliver_notice", message.pk)
    return message


def outbox_deliver(*, message_id: int) -> bool:
    """Send one notice if nobody sent or is sending it; True when this call sent it."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT), pk=message_id, sent_at__isnull=True
    ).update(claimed_at=now)
    if claimed != 1:
        return False  # sent already, or another sender holds it
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    except Exception as exc:
        OutboxMessage.objects.filter(pk=message_id).update(
            claimed_at=None, attempts=message.attempts + 1, last_error=str(exc)[:2000]
        )
        raise
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), attempts=message.attempts + 1)
    return True


def outbox_unsent_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
