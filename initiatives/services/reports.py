"""The progress-report workflow: the one place a report changes state.

draft --save--> draft --submit--> submitted --return--> returned --save/submit--> submitted
submitted --approve--> approved (locked; its values published to the KPI engine)
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from agencies.models import RegionalBranch
from projectoffice.audit import audited
from projectoffice.file_content import check_file_content
from projectoffice.stored_files import file_written, files_removed_on_failure
from regions.kato import kato_prefix
from regions.models import Region

from ..models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Indicator,
    IndicatorSource,
    Initiative,
    KpiRole,
    ReopenRequest,
    Report,
    ReportEvidence,
    ReportKind,
    ReportLine,
    ReportSettlement,
    ReportState,
    SettlementStage,
    ValueSource,
)
from ..periods import Period
from ..selectors.kpi_roles import kpis_of_role
from ..selectors.reports import EDITABLE, closed_reason, due_date_for, may_report_for, report_editable_by
from .notifications import report_notify_coordinators
from .register import alcohol_free_values_sync
from .values import value_set


class StaleReportError(ValidationError):
    """The report changed since the form was opened; the person's input is kept by the caller."""


# How long a reopening lasts when staff grant one.
REOPEN_DAYS = 7


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("branch__region").get(pk=report.pk)


def _check_open(report: Report, user: User) -> Report:
    """The report, locked, once it is certain this person may still change it."""
    report = _locked(report)
    if not report_editable_by(report, user):
        _refuse(report, user)
    return report


def _refuse(report: Report, user: User) -> None:
    """Why `report_editable_by` says no, as the error to raise."""
    if not may_report_for(user, report.branch.region):
        raise PermissionDenied(_("You may report only for your own region."))
    if report.state not in EDITABLE:
        raise ValidationError(
            _("This report is %(state)s and can no longer be changed.") % {"state": report.get_state_display()}
        )
    raise ValidationError(closed_reason(report) or "")


def _check_seen(report: Report, version: int | None) -> None:
    """A reviewer acts on what they saw: a report saved since is refused, not decided unseen."""
    if version is not None and report.version != version:
        raise StaleReportError(
            _(
                "This report changed after you opened it (version %(theirs)s, yours %(yours)s): "
                "nothing was done; reload it and look again."
            )
            % {"theirs": report.version, "yours": version}
        )


@transaction.atomic
def report_create(*, branch: RegionalBranch, kind: str, period: Period, user: User) -> Report:
    if not may_report_for(user, branch.region):
        raise PermissionDenied(_("You may report only for your own region."))
    if kind == ReportKind.HALF_YEARLY and period.kind != "half_year":
        raise ValidationError(_("A half-yearly report covers a half-year, e.g. 2025-H1."))
    if kind == ReportKind.MONTHLY and period.kind != "month":
        raise ValidationError(_("A monthly report covers one month, e.g. 2025-09."))
    period.check_over(timezone.localdate())  # what happened in a period is known once it is over
    report, _created = Report.objects.get_or_create(
        branch=branch,
        kind=kind,
        period_start=period.first_day,
        period_end=period.end.first_day,
        defaults={"due_date": due_date_for(kind, period)},
    )
    return report


@transaction.atomic
def report_save(
    *,
    report: Report,
    version: int,
    values: dict[Indicator, tuple[Decimal | None, str]],
    narrative: str,
    user: User,
) -> Report:
    """Save the coordinator's values and narrative, if nobody saved in between. A value
    of None clears the report's value of that KPI (its history keeps what it was)."""
    report = _check_open(report, user)
    if report.version != version:
        raise StaleReportError(
            _("Someone saved this report after you opened it (version %(theirs)s, yours %(yours)s).")
            % {"theirs": report.version, "yours": version}
        )
    for indicator, (value, comment) in values.items():
        if value is None:
            for cleared in ReportLine.objects.filter(report=report, indicator=indicator):
                audited(cleared, user)
                cleared.delete()
            continue
        if value < 0:
            raise ValidationError(_("%(code)s cannot be negative.") % {"code": indicator.code})
        line, _created = ReportLine.objects.get_or_create(report=report, indicator=indicator, defaults={"value": value})
        if (line.value, line.comment) != (value, comment) or _created:
            line.value, line.comment = value, comment
            audited(line, user)
            line.save()
    report.narrative = narrative
    report.version += 1
    audited(report, user)
    report.save()
    return report


@transaction.atomic
def report_submit(*, report: Report, version: int, user: User) -> Report:
    """Submit once: a second click on the same version changes nothing."""
    report = _locked(report)
    if not may_report_for(user, report.branch.region):
        raise PermissionDenied(_("You may report only for your own region."))
    if report.state == ReportState.SUBMITTED and report.version == version + 1:
        return report  # the same submission, clicked twice
    if not report_editable_by(report, user):
        _refuse(report, user)
    if report.version != version:
        raise StaleReportError(_("Someone saved this report after you opened it; reload it before submitting."))
    if not report.lines.exists():
        raise ValidationError(_("Enter at least one value before submitting."))
    report.state = ReportState.SUBMITTED
    report.submitted_at = timezone.now()
    report.version += 1
    audited(report, user)
    report.save()
    report_notify_coordinators(report=report, state=ReportState.SUBMITTED)
    return report


@transaction.atomic
def report_return(
    *,
    report: Report,
    reason: str,
    line_reasons: dict[int, str] | None = None,
    version: int | None = None,
    user: User,
) -> Report:
    """Send a submitted report back, with a reason on the report, on single values, or both.
    `version` is the one the reviewer saw (every page a person reviews on passes it)."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office reviews reports."))
    report = _locked(report)
    _check_seen(report, version)
    if report.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be returned."))
    line_reasons = {k: v.strip() for k, v in (line_reasons or {}).items() if v.strip()}
    if not reason.strip() and not line_reasons:
        raise ValidationError(_("Say what to fix: a reason for the report or for at least one value."))
    for line in report.lines.all():
        wanted = line_reasons.get(line.pk, "")
        if line.return_reason != wanted:
            line.return_reason = wanted
            audited(line, user)
            line.save(update_fields=["return_reason", "updated_at"])
    report.state = ReportState.RETURNED
    report.return_reason = reason.strip() or _("See the values marked for revision.")
    report.version += 1
    audited(report, user)
    report.save()
    report_notify_coordinators(report=report, state=ReportState.RETURNED)
    return report


@transaction.atomic
def report_approve(*, report: Report, version: int | None = None, user: User) -> Report:
    """Approve and lock the report, and publish its values to the KPI engine: the values
    of `version`, the one the approver saw (every page a person approves on passes it)."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office approves reports."))
    report = _locked(report)
    _check_seen(report, version)
    if report.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be approved."))
    period = report.period
    for line in report.lines.select_related("indicator").exclude(indicator__source=IndicatorSource.REGISTER):
        # A KPI counted from a register is never typed (a line left from before it was).
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
    if _publish_settlements(report, user):
        alcohol_free_values_sync(user=user)  # the register is the KPI's one source
    report.lines.exclude(return_reason="").update(return_reason="", updated_at=timezone.now())
    report.state = ReportState.APPROVED
    report.approved_at, report.approved_by = timezone.now(), user
    report.return_reason = ""
    report.version += 1
    audited(report, user)
    report.save()
    report_notify_coordinators(report=report, state=ReportState.APPROVED)
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
    audited(report, user)
    report.save(update_fields=["reopened_until", "updated_at"])
    # A coordinator's request to reopen it is answered (its history says by whom).
    for request in ReopenRequest.objects.waiting().filter(report=report):
        request.granted_at, request.granted_by = timezone.now(), user
        audited(request, user)
        request.save(update_fields=["granted_at", "granted_by", "updated_at"])
    return report


# Evidence files: what the office reads, capped (settings.MAX_EVIDENCE_FILE_BYTES) so a
# phone upload cannot fill the disk.
EVIDENCE_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".xlsx")


@files_removed_on_failure()
@transaction.atomic
def report_add_evidence(*, report: Report, upload: "UploadedFile[bytes]", user: User) -> ReportEvidence:
    """Attach a PDF, JPEG, PNG or XLSX file; its whole content must be a readable file of its kind."""
    report = _check_open(report, user)
    name = Path(upload.name or "file").name
    suffix = Path(name).suffix.lower()
    if suffix not in EVIDENCE_SUFFIXES:
        raise ValidationError(_("%(name)s: attach a PDF, JPEG, PNG or XLSX file.") % {"name": name})
    if (upload.size or 0) > settings.MAX_EVIDENCE_FILE_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": settings.MAX_EVIDENCE_FILE_BYTES // 10**6}
        )
    check_file_content(upload, suffix=suffix, name=name)
    evidence = ReportEvidence(report=report, name=name[:255], size=upload.size or 0, uploaded_by=user)
    evidence.file.save(name, upload, save=False)
    file_written(evidence.file)
    audited(evidence, user)
    evidence.save()
    return evidence


@transaction.atomic
def report_add_settlement(
    *, report: Report, settlement: Region, decided_on: datetime.date, note: str, user: User
) -> ReportSettlement:
    """A village of the report's region joined the alcohol-free campaign (to be confirmed on approval)."""
    report = _check_open(report, user)
    region = report.branch.region
    if settlement.level < 3 or not settlement.kato.startswith(kato_prefix(region.kato)):
        raise ValidationError(
            _("%(place)s is not a settlement of %(region)s.") % {"place": settlement, "region": region}
        )
    if decided_on > timezone.localdate():
        raise ValidationError(_("The village assembly's decision cannot be in the future."))
    entry, _created = ReportSettlement.objects.update_or_create(
        report=report, settlement=settlement, defaults={"decided_on": decided_on, "note": note}
    )
    return entry


@dataclass(frozen=True)
class SettlementJoined:
    """A village of the report's region whose assembly decided to join the alcohol-free campaign."""

    settlement: Region
    decided_on: datetime.date
    note: str = ""


@files_removed_on_failure()
@transaction.atomic
def report_save_all(
    *,
    report: Report,
    version: int,
    values: dict[Indicator, tuple[Decimal | None, str]],
    narrative: str,
    evidence: "UploadedFile[bytes] | None" = None,
    settlement: SettlementJoined | None = None,
    submit: bool = False,
    user: User,
) -> Report:
    """The coordinator's whole save from the report page: values and narrative, the
    evidence file, the village, and the submission, all or nothing. A refused file or
    village leaves the values as they were, and the file of a save that fails is removed."""
    report = report_save(report=report, version=version, values=values, narrative=narrative, user=user)
    if evidence is not None:
        report_add_evidence(report=report, upload=evidence, user=user)
    if settlement is not None:
        report_add_settlement(
            report=report,
            settlement=settlement.settlement,
            decided_on=settlement.decided_on,
            note=settlement.note,
            user=user,
        )
    if submit:
        report = report_submit(report=report, version=report.version, user=user)
    return report


def _publish_settlements(report: Report, user: User) -> bool:
    """On approval: each reported village becomes a declared alcohol-free campaign.
    Returns whether the register changed."""
    entries = list(report.settlements.select_related("settlement"))
    if not entries:
        return False
    initiative = (
        Initiative.objects.filter(indicators__in=kpis_of_role(KpiRole.ALCOHOL_FREE)).order_by("start_date").first()
        or Initiative.objects.order_by("start_date").first()
    )
    if initiative is None:
        raise ValidationError(
            _("No initiative exists to hold the alcohol-free campaigns; the office creates one first.")
        )
    for entry in entries:
        if (
            Campaign.objects.alcohol_free()
            .filter(region=entry.settlement)
            .exclude(settlement_stage=SettlementStage.LAPSED)
            .exists()
        ):
            continue
        campaign = Campaign(
            initiative=initiative,
            kind=CampaignKind.ALCOHOL_FREE_SETTLEMENT,
            region=entry.settlement,
            name_kk=f"{entry.settlement.name_kk}: ішімдіксіз ауыл",
            name_ru=f"{entry.settlement.name_ru}: село без алкоголя",
            name_en=f"{entry.settlement.name_en or entry.settlement.name_ru}: alcohol-free village",
            start_date=entry.decided_on,
            status=CampaignStatus.ACTIVE,
            settlement_stage=SettlementStage.DECLARED,
            declared_on=entry.decided_on,
            evidence=f"{entry.decided_on}: {entry.note}".strip(": "),
        )
        audited(campaign, user)
        campaign.save()
    return True
