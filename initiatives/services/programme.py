"""Writes to initiatives."""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from projectoffice.audit import audited

from ..models import Initiative


@transaction.atomic
def initiatives_set_status(*, initiatives: list[Initiative], status: str, user: User | None) -> int:
    """Set the status of several initiatives, one history row each; returns how many changed."""
    if user is not None and not is_project_office(user):
        raise PermissionDenied(_("Only the project office changes an initiative's status."))
    changed = 0
    for initiative in Initiative.objects.select_for_update().filter(pk__in=[i.pk for i in initiatives]).order_by("pk"):
        if initiative.status != status:
            initiative.status = status
            audited(initiative, user)
            initiative.save(update_fields=["status", "updated_at"])
            changed += 1
    return changed
