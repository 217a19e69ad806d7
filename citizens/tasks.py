"""Background work of the citizen register."""

from celery import shared_task

from .services import personal_data_erase_expired


@shared_task
def erase_expired_personal_data() -> int:
    """Nightly: personal data past the retention period are erased (idempotent)."""
    return personal_data_erase_expired()
