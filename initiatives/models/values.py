"""KPI values: one number for (KPI, region, period), with where it came from."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Timestamped

from ..periods import Month, Period
from ..value_bound import validate_value_bound


class ValueSource(models.TextChoices):
    REPORT = "report", _("coordinator report")
    IMPORT = "import", _("legal-statistics import")
    MANUAL = "manual", _("entered by the project office")
    COMPUTED = "computed", _("computed")


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")


class ValueQuerySet(models.QuerySet["Value"]):
    def approved(self) -> "ValueQuerySet":
        return self.filter(approval_state=ApprovalState.APPROVED)

    def official(self) -> "ValueQuerySet":
        """The official figures (`Value.is_official`)."""
        return self.filter(source=ValueSource.IMPORT, approval_state=ApprovalState.APPROVED)

    def for_period(self, period: Period) -> "ValueQuerySet":
        return self.filter(period_start=period.first_day, period_end=period.end.first_day)

    def within_span(self, period: Period) -> "ValueQuerySet":
        """Values whose whole period lies inside `period`."""
        return self.filter(period_start__gte=period.first_day, period_end__lte=period.end.first_day)


class Value(Timestamped):
    """One number for a KPI, a region and a period of whole months.

    The period is kept as the first day of its first month and the first day of its last
    month, so a month, a quarter and a year-to-date range are all one row shape.
    """

    # No index of their own on the KPI and the region: the unique constraint leads with
    # the KPI, value_region_period_idx with the region. Every index costs every write.
    # db_constraint=False: on PostgreSQL the references of a value (KPI, region, import,
    # approving user) are held by statement triggers (migration 0016), checked once per
    # statement instead of once per row at COMMIT; SQLite keeps its foreign keys.
    indicator = models.ForeignKey(
        "initiatives.Indicator",
        verbose_name=_("KPI"),
        on_delete=models.PROTECT,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )
    period_start = models.DateField(_("first month"))
    period_end = models.DateField(_("last month"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, validators=[validate_value_bound])
    source = models.CharField(_("source"), max_length=20, choices=ValueSource.choices)
    approval_state = models.CharField(
        _("approval"), max_length=20, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # value_approved_by_idx
        db_constraint=False,
    )
    comment = models.TextField(_("comment"), blank=True)
    report = models.ForeignKey(
        "initiatives.Report",
        verbose_name=_("report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_values",
        db_index=False,  # value_report_idx
    )
    import_batch = models.ForeignKey(
        "initiatives.ImportBatch",
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="values",
        db_constraint=False,
    )

    # History is read by value (its `id`), by date and by who: the indexes a history
    # table gets for every foreign key would cost each import row and serve no query.
    history = HistoricalRecords(no_db_index=["indicator", "region", "approved_by", "report", "import_batch"])
    objects = ValueQuerySet.as_manager()

    @property
    def is_official(self) -> bool:
        """An approved figure of the legal-statistics import: corrected only by importing
        again, never by hand (the services refuse it; the admin shows it read-only)."""
        return self.source == ValueSource.IMPORT and self.approval_state == ApprovalState.APPROVED

    @property
    def version(self) -> str:
        """What a person saw, to pin an edit or an approval to it: every write of a value
        (the services, the admin, the import's SQL) sets `updated_at`, under the row's lock."""
        return self.updated_at.isoformat() if self.updated_at else ""

    class Meta:
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        ordering = ["indicator_id", "region_id", "period_start", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "period_start", "period_end"], name="value_one_per_kpi_region_period"
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="value_period_in_order"),
            models.CheckConstraint(
                condition=Q(period_start__day=1) & Q(period_end__day=1), name="value_period_whole_months"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="value_not_negative"),
            models.CheckConstraint(
                condition=Q(approval_state="approved", approved_at__isnull=False) | ~Q(approval_state="approved"),
                name="value_approved_has_a_time",
            ),
        ]
        indexes = [
            # The KPI engine's question: one KPI, a set of regions, periods inside a span.
            # The unique constraint above already serves (indicator, region, period...).
            # Incremental pulls: `?updated_since=`.
            models.Index(fields=["updated_at"], name="value_updated_idx"),
            # "All values of this region", for region pages and the region filter.
            models.Index(fields=["region", "period_start"], name="value_region_period_idx"),
            # What deleting a user or a report sets to NULL; partial, so imported values
            # (no report, and no user when a command imports) cost them nothing.
            models.Index(fields=["approved_by"], name="value_approved_by_idx", condition=Q(approved_by__isnull=False)),
            models.Index(fields=["report"], name="value_report_idx", condition=Q(report__isnull=False)),
        ]

    def __str__(self) -> str:
        # As people name it: "Astana · Thefts · 2026-01" (the number is on the page beside it).
        return f"{self.region} · {self.indicator} · {self.period}"

    def clean(self) -> None:
        if self.indicator_id and self.indicator.is_formula:
            raise ValidationError(
                {
                    "indicator": _(
                        "%(code)s is computed from its formula; record its numerator and denominator instead"
                    )
                    % {"code": self.indicator.code}
                }
            )
        if self.region_id and self.period_start and self.period_end:
            region, period = self.region, self.period
            if period.overlaps_days(region.valid_from, region.valid_to):
                return
            if region.valid_from and region.valid_from > period.last_day:
                raise ValidationError(
                    _("%(region)s exists only from %(date)s, after the period %(period)s")
                    % {"region": region.kato, "date": region.valid_from, "period": period}
                )
            if region.valid_to and region.valid_to < period.first_day:
                raise ValidationError(
                    _("%(region)s ceased to exist on %(date)s, before the period %(period)s")
                    % {"region": region.kato, "date": region.valid_to, "period": period}
                )

    @property
    def period(self) -> Period:
        return Period(Month.from_date(self.period_start), Month.from_date(self.period_end))

    @period.setter
    def period(self, period: Period) -> None:
        self.period_start = period.first_day
        self.period_end = period.end.first_day
