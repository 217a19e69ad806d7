"""Progress reports: what a regional branch submits for a period, reviewed by the office.

Workflow: draft -> submitted -> returned (with a reason) -> submitted again -> approved.
An approved report is locked and its values are published to the KPI engine.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Timestamped

from ..periods import Month, Period


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("monthly KPI report")
    HALF_YEARLY = "half_yearly", _("half-yearly action-plan report")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned for revision")
    APPROVED = "approved", _("approved")


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

    @property
    def is_locked(self) -> bool:
        return self.state in (ReportState.SUBMITTED, ReportState.APPROVED)


class ReportLine(Timestamped):
    """One KPI value in a report, with the coordinator's comment and, when the reviewer
    returns it, the reason."""

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(
        "initiatives.Indicator", verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
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
        return f"{self.indicator_id} = {self.value}"
