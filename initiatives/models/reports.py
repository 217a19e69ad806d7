"""Progress reports: what a regional branch submits for a period, reviewed by the office.

Workflow: draft -> submitted -> returned (with a reason) -> submitted again -> approved.
An approved report is locked and its values are published to the KPI engine.
"""

import datetime
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.access import scoped_to_user
from agencies.tokens import is_agency_caller
from projectoffice.model_mixins import Timestamped

from ..periods import Month, Period
from ..value_bound import validate_value_bound


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("monthly KPI report")
    HALF_YEARLY = "half_yearly", _("half-yearly action-plan report")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned for revision")
    APPROVED = "approved", _("approved")


class ReportQuerySet(models.QuerySet["Report"]):
    def visible_to(self, user: Any) -> "ReportQuerySet":
        """Reports this caller may read: the office all, a coordinator their region's, an
        agency's system the approved ones (a draft is not yet a figure anybody may rely on)."""
        if is_agency_caller(user):
            return self.filter(state=ReportState.APPROVED)
        return scoped_to_user(self, user, field="branch__region")

    def submitted(self) -> "ReportQuerySet":
        """Handed in and waiting for the office's review."""
        return self.filter(state=ReportState.SUBMITTED)


class ReportingCycle(Timestamped):
    """When each kind of report is due: on `due_day` of the `months_after`-th month after
    its period; and who owes it: every active branch of the `agencies` named, whether or
    not it has a coordinator (one without is counted missing and the office is told).
    Staff change these in the admin; reports already created keep their due dates."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices, unique=True)
    due_day = models.PositiveSmallIntegerField(_("due day of the month"), default=15)
    months_after = models.PositiveSmallIntegerField(_("months after the period"), default=1)
    agencies = models.ManyToManyField(
        "agencies.Agency",
        verbose_name=_("agencies whose branches owe it"),
        blank=True,
        related_name="reporting_cycles",
        help_text=_(
            "Every active regional branch of these agencies owes this report, whether or not it has a "
            "coordinator: a branch without one is counted missing on the reporting grid, and the project "
            "office is asked to assign one."
        ),
    )

    history = HistoricalRecords(m2m_fields=[agencies])

    class Meta:
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(due_day__gte=1, due_day__lte=28), name="cycle_due_day_in_every_month"),
            models.CheckConstraint(condition=Q(months_after__lte=6), name="cycle_due_within_half_a_year"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Report(Timestamped):
    branch = models.ForeignKey(
        "agencies.RegionalBranch", verbose_name=_("regional branch"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    period_start = models.DateField(_("first month"))
    period_end = models.DateField(_("last month"))
    due_date = models.DateField(_("due date"))
    state = models.CharField(_("state"), max_length=20, choices=ReportState.choices, default=ReportState.DRAFT)
    narrative = models.TextField(_("narrative"), blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    # Raised by every save of the form: two tabs cannot silently overwrite each other.
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Staff may reopen a report past its deadline until this moment (a time-boxed exception).
    reopened_until = models.DateTimeField(_("reopened until"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = ReportQuerySet.as_manager()
    # Templates compare with the choices too: `report.state == report.State.SUBMITTED`.
    State = ReportState

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period_start", "branch_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "kind", "period_start", "period_end"], name="report_one_per_branch_kind_period"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="report_period_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(approved_at__isnull=False), name="report_approved_has_a_time"
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(return_reason=""), name="report_returned_has_a_reason"
            ),
        ]
        indexes = [
            # The review queue: reports in a state, newest period first.
            models.Index(fields=["state", "period_start"], name="report_state_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.branch} — {self.period} ({self.get_state_display()})"

    @property
    def period(self) -> Period:
        return Period(Month.from_date(self.period_start), Month.from_date(self.period_end))

    def reopened_at(self, moment: datetime.datetime) -> bool:
        """Does a reopening granted by staff (`report_reopen`) still hold at `moment`?"""
        return self.reopened_until is not None and moment <= self.reopened_until

    def reopened_on(self, day: datetime.date) -> bool:
        """Does it hold on any part of `day` (the site's calendar)? The daily reminders ask."""
        return self.reopened_until is not None and timezone.localdate(self.reopened_until) >= day


class ReportLine(Timestamped):
    """One KPI value in a report, with the coordinator's comment and, when the reviewer
    returns it, the reason."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(
        "initiatives.Indicator", verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, validators=[validate_value_bound])
    comment = models.TextField(_("comment"), blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report value")
        verbose_name_plural = _("report values")
        ordering = ["report_id", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="report_line_one_per_kpi"),
            models.CheckConstraint(condition=Q(value__gte=0), name="report_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.indicator.shown(self.value)}"


def evidence_path(instance: "ReportEvidence", filename: str) -> str:
    # Stored under MEDIA_ROOT, outside the web root; served only through the portal's view.
    return f"evidence/{instance.report_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ReportEvidence(Timestamped):
    """A file backing a report: a village assembly's decision, a photo, a spreadsheet."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["report_id", "created_at"]

    def __str__(self) -> str:
        return self.name


class ReportSettlement(Timestamped):
    """A village that joined the alcohol-free campaign, as the coordinator reports it;
    the campaign is created when the office approves the report."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="settlements")
    settlement = models.ForeignKey(
        "regions.Region", verbose_name=_("settlement"), on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("village assembly decision"))
    note = models.CharField(_("evidence"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("village joining the alcohol-free campaign")
        verbose_name_plural = _("villages joining the alcohol-free campaign")
        ordering = ["report_id", "decided_on"]
        constraints = [
            models.UniqueConstraint(fields=["report", "settlement"], name="report_settlement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.settlement} ({self.decided_on})"
