"""The progress-report workflow: the one place a report changes state.

draft --save--> draft --submit--> submitted --return--> returned --save/submit--> submitted
submitted --approve--> approved (locked; its values published to the KPI engine)
"""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import is_project_office, region_is_visible
from agencies.models import RegionalBranch
from agencies.tokens import is_agency_caller

from ..models import Indicator, Report, ReportKind, ReportLine, ReportState, ValueSource
from ..periods import Period
from .values import value_set

# Reports are due on this day of the month after their period (Decree No. 200 for the
# half-yearly action-plan reports; the office uses the same rule for monthly ones).
DUE_DAY = 15
EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)


class StaleReportError(ValidationError):
    """The report changed since the form was opened; the person's input is kept by the caller."""


def due_date_for(period: Period) -> datetime.date:
    following = period.end.plus(1)
    return datetime.date(following.year, following.month, DUE_DAY)


# How long a reopening lasts when staff grant one.
REOPEN_DAYS = 7


def closed_reason(report: Report, now: datetime.datetime | None = None) -> str | None:
    """Why the coordinator can no longer change this report, in words; None when open."""
    now = now or timezone.now()
    if report.state == ReportState.APPROVED:
        return _("This report was approved on %(date)s and is locked.") % {
            "date": timezone.localtime(report.approved_at).date().isoformat() if report.approved_at else ""
        }
    if report.state == ReportState.SUBMITTED:
        return _("This report was submitted and is waiting for the project office's review.")
    deadline_passed = timezone.localdate(now) > report.due_date
    reopened = report.reopened_until is not None and now <= report.reopened_until
    if deadline_passed and not reopened:
        return _(
            "The due date, %(due)s, has passed, so the report is closed. "
            "The project office can reopen it for a limited time."
        ) % {"due": report.due_date.isoformat()}
    return None


def _may_edit(user: Any, report: Report) -> bool:
    if is_agency_caller(user):
        return False  # agency systems read reports; people write them
    return is_project_office(user) or region_is_visible(user, report.branch.region)


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("branch__region").get(pk=report.pk)


@transaction.atomic
def report_create(*, branch: RegionalBranch, kind: str, period: Period, user: User) -> Report:
    if is_agency_caller(user) or not (is_project_office(user) or region_is_visible(user, branch.region)):
        raise PermissionDenied(_("You may report only for your own region."))
    if kind == ReportKind.HALF_YEARLY and period.kind != "half_year":
        raise ValidationError(_("A half-yearly report covers a half-year, e.g. 2025-H1."))
    if kind == ReportKind.MONTHLY and period.kind != "month":
        raise ValidationError(_("A monthly report covers one month, e.g. 2025-09."))
    report, _created = Report.objects.get_or_create(
        branch=branch,
        kind=kind,
        period_start=period.first_day,
        period_end=period.end.first_day,
        defaults={"due_date": due_date_for(period)},
    )
    return report


@transaction.atomic
def report_save(
    *,
    report: Report,
    version: int,
    values: dict[Indicator, tuple[Decimal, str]],
    narrative: str,
    user: User,
) -> Report:
    """Save the coordinator's values and narrative, if nobody saved in between."""
    report = _locked(report)
    if not _may_edit(user, report):
        raise PermissionDenied(_("You may report only for your own region."))
    if report.state not in EDITABLE:
        raise ValidationError(
            _("This report is %(state)s and can no longer be changed.") % {"state": report.get_state_display()}
        )
    reason = closed_reason(report)
    if reason and not is_project_office(user):
        raise ValidationError(reason)
    if report.version != version:
        raise StaleReportError(
            _("Someone saved this report after you opened it (version %(theirs)s, yours %(yours)s).")
            % {"theirs": report.version, "yours": version}
        )
    for indicator, (value, comment) in values.items():
        if value < 0:
            raise ValidationError(_("%(code)s cannot be negative.") % {"code": indicator.code})
        line, _created = ReportLine.objects.get_or_create(report=report, indicator=indicator, defaults={"value": value})
        if (line.value, line.comment) != (value, comment) or _created:
            line.value, line.comment = value, comment
            line._history_user = user  # type: ignore[attr-defined]
            line.save()
    report.narrative = narrative
    report.version += 1
    report._history_user = user  # type: ignore[attr-defined]
    report.save()
    return report


@transaction.atomic
def report_submit(*, report: Report, version: int, user: User) -> Report:
    """Submit once: a second click on the same version changes nothing."""
    report = _locked(report)
    if not _may_edit(user, report):
        raise PermissionDenied(_("You may report only for your own region."))
    if report.state == ReportState.SUBMITTED and report.version == version + 1:
        return report  # the same submission, clicked twice
    if report.state not in EDITABLE:
        raise ValidationError(_("This report is %(state)s.") % {"state": report.get_state_display()})
    reason = closed_reason(report)
    if reason and not is_project_office(user):
        raise ValidationError(reason)
    if report.version != version:
        raise StaleReportError(_("Someone saved this report after you opened it; reload it before submitting."))
    if not report.lines.exists():
        raise ValidationError(_("Enter at least one value before submitting."))
    report.state = ReportState.SUBMITTED
    report.submitted_at = timezone.now()
    report.version += 1
    report._history_user = user  # type: ignore[attr-defined]
    report.save()
    return report


@transaction.atomic
def report_return(*, report: Report, reason: str, line_reasons: dict[int, str] | None = None, user: User) -> Report:
    """Send a submitted report back, with a reason on the report, on single values, or both."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office reviews reports."))
    report = _locked(report)
    if report.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be returned."))
    line_reasons = {k: v.strip() for k, v in (line_reasons or {}).items() if v.strip()}
    if not reason.strip() and not line_reasons:
        raise ValidationError(_("Say what to fix: a reason for the report or for at least one value."))
    for line in report.lines.all():
        wanted = line_reasons.get(line.pk, "")
        if line.return_reason != wanted:
            line.return_reason = wanted
            line._history_user = user  # type: ignore[attr-defined]
            line.save(update_fields=["return_reason", "updated_at"])
    report.state = ReportState.RETURNED
    report.return_reason = reason.strip() or _("See the values marked for revision.")
    report.version += 1
    report._history_user = user  # type: ignore[attr-defined]
    report.save()
    return report


@transaction.atomic
def report_approve(*, report: Report, user: User) -> Report:
    """Approve and lock the report, and publish its values to the KPI engine."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office approves reports."))
    report = _locked(report)
    if report.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be approved."))
    period = report.period
    for line in report.lines.select_related("indicator"):
        value_set(
            indicator=line.indicator,
            region=report.branch.region,
            period=period,
            value=line.value,
            source=ValueSource.REPORT,
            user=user,
            approved=True,
            comment=line.comment,
            report=report,
        )
    report.lines.exclude(return_reason="").update(return_reason="", updated_at=timezone.now())
    report.state = ReportState.APPROVED
    report.approved_at, report.approved_by = timezone.now(), user
    report.return_reason = ""
    report.version += 1
    report._history_user = user  # type: ignore[attr-defined]
    report.save()
    return report


@transaction.atomic
def report_reopen(*, report: Report, days: int = REOPEN_DAYS, user: User) -> Report:
    """Staff grant a time-boxed exception to a report's deadline; history records who and when."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office reopens reports."))
    report = _locked(report)
    if report.state not in EDITABLE:
        raise ValidationError(_("Only a draft or returned report can be reopened."))
    report.reopened_until = timezone.now() + datetime.timedelta(days=days)
    report._history_user = user  # type: ignore[attr-defined]
    report.save(update_fields=["reopened_until", "updated_at"])
    return report
