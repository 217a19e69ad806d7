"""Background work. Tasks take ids, are safe to run twice, and retry with backoff."""

from celery import shared_task

from .services.outbox import outbox_deliver, outbox_unsent_ids


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=3600, max_retries=10)
def deliver_notice(message_id: int) -> bool:
    return outbox_deliver(message_id=message_id)


@shared_task
def deliver_pending_notices() -> int:
    """The sweep: anything not sent yet (queued while the broker was down, or failed)."""
    ids = outbox_unsent_ids()
    for message_id in ids:
        deliver_notice.delay(message_id)
    return len(ids)
