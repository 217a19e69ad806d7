"""Background work of the citizen register."""

from celery import shared_task

from .services import citizen_kpis_sync, personal_data_erase_expired


@shared_task
def erase_expired_personal_data() -> int:
    """Nightly: personal data past the retention period are erased (idempotent)."""
    return personal_data_erase_expired()


@shared_task
def sync_citizen_kpis() -> int:
    """Nightly, just after midnight (Almaty): the register's KPIs are recounted, so the
    month just over gets its values even if the register did not change (idempotent)."""
    return citizen_kpis_sync()
