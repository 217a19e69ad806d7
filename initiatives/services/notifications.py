"""E-mails: written from `templates/emails/` (a `<name>_subject.txt` and a `<name>.txt`),
in the language active when they are written, and put in the outbox to be sent."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from agencies.models import Membership, MembershipRole, person_language
from agencies.roles import PROJECT_OFFICE_GROUP

from ..models import ReopenRequest, Report, ReportState
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


def site_link(name: str, *args: Any) -> str:
    """The absolute address of a page, for an e-mail (`SITE_URL`: where people reach the site)."""
    return settings.SITE_URL + reverse(name, args=args)


def report_notify_coordinators(*, report: Report, state: ReportState) -> None:
    """An e-mail to the report's coordinators, written with the change (outbox), each in
    the person's own language; the key makes a repeated change one notice."""
    people = (
        Membership.objects.active()
        .filter(branch=report.branch, role=MembershipRole.COORDINATOR)
        .select_related("user__profile")
    )
    submitted = timezone.localdate(report.submitted_at) if report.submitted_at else None
    # What to fix in single values, beside the reason for the whole report.
    lines = (
        list(report.lines.exclude(return_reason="").select_related("indicator").order_by("indicator__code"))
        if state == ReportState.RETURNED
        else []
    )
    texts: dict[str, tuple[str, str]] = {}
    for membership in people:
        language = person_language(membership.user)
        if language not in texts:
            with translation.override(language):
                texts[language] = notice_text(
                    REPORT_EMAILS[state],
                    {
                        "period": report.period,
                        "reason": report.return_reason,
                        "lines": [(line.indicator.name, line.return_reason) for line in lines],
                        "date": date_format(submitted, "SHORT_DATE_FORMAT") if submitted else "",
                        "link": site_link("report", report.pk),
                    },
                )
        subject, body = texts[language]
        outbox_add(
            key=f"report:{report.pk}:{state.value}:{report.version}:{membership.user_id}",
            recipient=membership.user.email,
            subject=subject,
            body=body,
        )


def reopen_request_notify_office(*, request: ReopenRequest) -> None:
    """An e-mail to each person of the project office, in their own language: a
    coordinator asks to reopen a closed report."""
    people = (
        User.objects.filter(is_active=True, is_staff=True, groups__name=PROJECT_OFFICE_GROUP)
        .exclude(email="")
        .select_related("profile")
        .distinct()
        .order_by("pk")
    )
    report = request.report
    texts: dict[str, tuple[str, str]] = {}
    for person in people:
        language = person_language(person)
        if language not in texts:
            with translation.override(language):
                texts[language] = notice_text(
                    "reopen_requested",
                    {
                        "period": report.period,
                        "branch": str(report.branch),
                        "due": date_format(report.due_date, "SHORT_DATE_FORMAT"),
                        "who": request.requested_by.get_full_name() or request.requested_by.get_username(),
                        "reason": request.reason,
                    },
                )
        subject, body = texts[language]
        outbox_add(key=f"reopen:{request.pk}:{person.pk}", recipient=person.email, subject=subject, body=body)
