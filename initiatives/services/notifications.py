"""E-mails: written from `templates/emails/` (a `<name>_subject.txt` and a `<name>.txt`),
in the language active when they are written, and put in the outbox to be sent."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from agencies.models import Membership, MembershipRole

from ..models import Report, ReportState
from .outbox import outbox_add

# The e-mail a coordinator gets when their report reaches each of these states.
REPORT_EMAILS = {
    ReportState.SUBMITTED: "report_submitted",
    ReportState.RETURNED: "report_returned",
    ReportState.APPROVED: "report_approved",
}


def notice_text(name: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The subject (one line) and body of the e-mail `name`, in the current language."""
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", dict(context)).split())
    body = render_to_string(f"emails/{name}.txt", dict(context)).strip()
    return subject, body


def report_notify_coordinators(*, report: Report, state: ReportState) -> None:
    """An e-mail to the report's coordinators, written with the change (outbox), in the
    site's language; the key makes a repeated change one notice."""
    people = (
        Membership.objects.active().filter(branch=report.branch, role=MembershipRole.COORDINATOR).select_related("user")
    )
    with translation.override(settings.LANGUAGE_CODE):
        submitted = timezone.localdate(report.submitted_at) if report.submitted_at else None
        subject, body = notice_text(
            REPORT_EMAILS[state],
            {
                "period": report.period,
                "reason": report.return_reason,
                "date": date_format(submitted, "SHORT_DATE_FORMAT") if submitted else "",
            },
        )
    for membership in people:
        outbox_add(
            key=f"report:{report.pk}:{state.value}:{report.version}:{membership.user_id}",
            recipient=membership.user.email,
            subject=subject,
            body=body,
        )
