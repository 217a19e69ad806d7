"""A coordinator asks the office to reopen a report whose due date has passed."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Membership, MembershipRole, RegionalBranch
from projectoffice.audit import audited

from ..models import ReopenRequest, Report
from ..periods import Period
from ..selectors.reports import EDITABLE, closed_reason
from .notifications import reopen_request_notify_office
from .reports import report_create


@transaction.atomic
def reopen_request_create(
    *, branch: RegionalBranch, kind: str, period: Period, user: Any, reason: str = ""
) -> ReopenRequest:
    """The branch's coordinator asks; the office hears of it by e-mail and on its home page.
    Asking again while a request waits is the same request. Only a draft or returned
    report whose due date has passed can be asked for."""
    if not Membership.objects.active().filter(user=user, branch=branch, role=MembershipRole.COORDINATOR).exists():
        raise PermissionDenied(_("Only the branch's coordinator asks to reopen its reports."))
    report = report_create(branch=branch, kind=kind, period=period, user=user)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state not in EDITABLE or closed_reason(report) is None:
        raise ValidationError(_("This report is not closed by its due date; there is nothing to reopen."))
    waiting = ReopenRequest.objects.waiting().filter(report=report).first()
    if waiting is not None:
        return waiting
    request = ReopenRequest(report=report, requested_by=user, reason=reason.strip())
    audited(request, user)
    request.save()
    reopen_request_notify_office(request=request)
    return request
