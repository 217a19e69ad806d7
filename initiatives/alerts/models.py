"""What early warning stores: each detection run (a job) and the alerts it raised."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Job, JobStatuses, Timestamped


class DetectionStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class DetectionTrigger(models.TextChoices):
    COMMAND = "command", _("command")
    IMPORT = "import", _("after a statistics import")


class DetectionRun(Job):
    """One month tested: every monthly count KPI (or those asked for) by region and district.
    It records how many series it tested and skipped, the budget's N and the two tail
    probabilities it flagged at (docs/early-warning.md)."""

    statuses = JobStatuses(
        DetectionStatus.WAITING, DetectionStatus.RUNNING, DetectionStatus.DONE, DetectionStatus.FAILED
    )

    status = models.CharField(
        _("status"), max_length=20, choices=DetectionStatus.choices, default=DetectionStatus.WAITING
    )
    # The month tested (its first day).
    period = models.DateField(_("month"))
    # KPI codes asked for; empty: every monthly count KPI.
    kpis = models.JSONField(_("KPIs"), default=list, blank=True)
    trigger = models.CharField(_("started by"), max_length=10, choices=DetectionTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    import_batch = models.ForeignKey(
        "initiatives.ImportBatch",
        verbose_name=_("statistics import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="detection_runs",
    )
    # Send the e-mail digest of the alerts it raised (after an import: always; the command: --notify).
    notify = models.BooleanField(_("send the digest"), default=False)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps in all"), default=0)
    # N: the series a national run tests that month, which the budget is shared among.
    budget_series = models.PositiveIntegerField(_("series in the budget (N)"), default=0)
    tested = models.PositiveIntegerField(_("series tested"), default=0)
    skipped = models.PositiveIntegerField(_("series skipped"), default=0)
    # The tail probabilities flagged at, with B the budget: 4B/(5N) for a month alone,
    # sqrt(B/(5N)) for each of two running (docs/early-warning.md).
    single_level = models.FloatField(_("single-month tail"), null=True, blank=True)
    persistent_level = models.FloatField(_("persistent-move tail"), null=True, blank=True)
    raised = models.PositiveIntegerField(_("alerts raised or kept"), default=0)
    withdrawn = models.PositiveIntegerField(_("alerts withdrawn"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    # Skipped by reason, tested by KPI and by model (forecast run or GLM).
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("detection run")
        verbose_name_plural = _("detection runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} ({self.get_status_display()})"


class AlertKind(models.TextChoices):
    SINGLE = "single", _("an unexpected month")
    PERSISTENT = "persistent", _("a move that persists")


class Adverse(models.TextChoices):
    RISE = "rise", _("rise")
    FALL = "fall", _("fall")


class Alert(Timestamped):
    """An adverse move of one KPI in one region or district in one month: observed beyond
    what the series' own past made expected, at the budget's threshold. One per (KPI,
    region, month, kind); a later run updates its figures in place, and withdraws it
    (never deletes it) when a correction took the move away. A review stays through both."""

    indicator = models.ForeignKey(
        "initiatives.Indicator", verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="alerts"
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=12, choices=AlertKind.choices)
    adverse = models.CharField(_("adverse move"), max_length=4, choices=Adverse.choices)
    observed = models.DecimalField(_("observed"), max_digits=18, decimal_places=2)
    expected = models.DecimalField(_("expected"), max_digits=18, decimal_places=2)
    # The predictive distribution's quantiles at the alert's tail (its band); the observed
    # count lies beyond one of them, on the adverse side.
    lower = models.DecimalField(_("lower bound"), max_digits=18, decimal_places=2)
    upper = models.DecimalField(_("upper bound"), max_digits=18, decimal_places=2)
    # The probability of a count at least this adverse under the expected distribution.
    p_value = models.FloatField(_("p-value"))
    # The month before moved beyond the persistence threshold too.
    persists = models.BooleanField(_("persists"), default=False)
    # Where the expected value came from: "forecast" (a forecast run's one-step-ahead) or "glm".
    model = models.CharField(_("model"), max_length=10)
    forecast_run = models.ForeignKey(
        "initiatives.ForecastRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(
        DetectionRun,
        verbose_name=_("last detection run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    # The series around the month, for the alert's small chart: months, observed, expected, band.
    chart = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    history = HistoricalRecords(excluded_fields=["chart"])

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-period", "-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "period", "kind"], name="alert_once"),
            models.CheckConstraint(condition=Q(lower__lte=models.F("upper")), name="alert_band_ordered"),
        ]
        indexes = [models.Index(fields=["period", "indicator"], name="alert_period_kpi")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.region.kato} {self.period:%Y-%m} {self.kind}"

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None
