"""What the forecasting centre stores: runs (each one a job), their forecasts, the
backtests that score them and calibrate their ranges (docs/forecasting.md), and what the
alcohol-free villages' campaigns were expected to see had they not decided."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from projectoffice.model_mixins import Job, JobStatuses, Timestamped


def figure() -> "models.DecimalField[Decimal, Decimal]":
    """A figure a run stores: two decimal places, whatever the KPI's places."""
    return models.DecimalField(max_digits=18, decimal_places=2)


class ForecastStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ForecastKind(models.TextChoices):
    FORECAST = "forecast", _("forecast")
    BACKTEST = "backtest", _("backtest")
    # The alcohol-free villages' single series, each at its decision (`CampaignImpact`).
    IMPACT = "impact", _("campaign impact")


class ForecastTrigger(models.TextChoices):
    COMMAND = "command", _("command")
    IMPORT = "import", _("after a statistics import")
    SCHEDULE = "schedule", _("schedule")
    FORECAST = "forecast", _("by a forecast run")


class ForecastLevel(models.IntegerChoices):
    NATION = 0, _("nation")
    REGION = 1, _("regions")
    DISTRICT = 2, _("districts")


class ForecastRun(Job):
    """One run for one KPI. A forecast reads the values of months up to `origin` as they
    had been committed at `as_of` and stores 12 months ahead for every node of the tree;
    a backtest refits at each of the `origins` months before `origin` and stores the
    errors it made, which later forecasts calibrate their ranges on and the track record
    reads. A failed run stores nothing: readers keep reading the previous one."""

    statuses = JobStatuses(ForecastStatus.WAITING, ForecastStatus.RUNNING, ForecastStatus.DONE, ForecastStatus.FAILED)

    indicator = models.ForeignKey(
        "initiatives.Indicator", verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="forecast_runs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ForecastKind.choices, default=ForecastKind.FORECAST)
    status = models.CharField(
        _("status"), max_length=20, choices=ForecastStatus.choices, default=ForecastStatus.WAITING
    )
    # The last month whose values the run read (its first day).
    origin = models.DateField(_("origin"))
    # The moment whose committed values the run read (docs/publishing.md's rule).
    # Null until the run starts when none was asked: then the moment it starts.
    as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    # Asked for with a moment (`forecast --as-of`): a replay of what could have been known
    # then, listed with the runs and read by its id, never what readers read as the latest.
    replay = models.BooleanField(_("replay"), default=False)
    # A backtest: how many rolling origins before `origin` it refits at.
    origins = models.PositiveSmallIntegerField(_("backtest origins"), default=0)
    trigger = models.CharField(_("started by"), max_length=10, choices=ForecastTrigger.choices)
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
        related_name="forecast_runs",
    )
    # A forecast: the backtest whose errors gave its ranges and chose its method.
    calibration = models.ForeignKey(
        "self",
        verbose_name=_("backtest used"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The reconciliation the run chose on the backtest's errors (fitting.METHODS).
    method = models.CharField(_("reconciliation"), max_length=20, blank=True)
    # Progress while running, for the admin: the stage and steps done of steps in all.
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps in all"), default=0)
    series = models.PositiveIntegerField(_("series"), default=0)
    # Why a run failed, in words for the office.
    reason = models.TextField(_("reason"), blank=True)
    # What the run found worth keeping: base models used, errors per method, ...
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The latest successful run of a KPI (at an origin): every forecast read.
            models.Index(fields=["indicator", "kind", "status", "origin"], name="forecastrun_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ForecastKind.FORECAST) | Q(origins__gt=0), name="forecastrun_backtest_has_origins"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.indicator.code} {self.origin:%Y-%m} ({self.get_status_display()})"


class ForecastPoint(models.Model):
    """One node's forecast for one month: coherent across the tree (the districts' add up
    to their region's, the regions' to the nation's), with nested non-negative ranges."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="points")
    # None: the nation.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(choices=ForecastLevel.choices)
    period = models.DateField()  # the month's first day
    horizon = models.PositiveSmallIntegerField()
    value = figure()
    lower_80 = figure()
    upper_80 = figure()
    lower_95 = figure()
    upper_95 = figure()
    # Seasonal naive (the same month last year): the benchmark every forecast is scored against.
    benchmark = figure()

    class Meta:
        ordering = ["run", "level", "region", "horizon"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "region", "horizon"], condition=Q(region__isnull=False), name="forecastpoint_once"
            ),
            models.UniqueConstraint(
                fields=["run", "horizon"], condition=Q(region__isnull=True), name="forecastpoint_nation_once"
            ),
            models.CheckConstraint(condition=Q(horizon__gte=1, horizon__lte=12), name="forecastpoint_horizon_1_12"),
            models.CheckConstraint(
                condition=Q(lower_95__gte=0)
                & Q(lower_80__gte=F("lower_95"))
                & Q(value__gte=F("lower_80"))
                & Q(upper_80__gte=F("value"))
                & Q(upper_95__gte=F("upper_80")),
                name="forecastpoint_ranges_nested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.region_id or 'KZ'} {self.period:%Y-%m}"


class ForecastYearEnd(models.Model):
    """Where a node's calendar year (that of the month after the origin) will end: the
    actual figure to the origin plus the forecasts to December, with ranges from the
    backtest's errors of the same total (ranges of months do not add). `errors` and
    `scale` keep the predictive distribution the probability of meeting a target is
    read from, so a target set later is judged without a new run."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="year_ends")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(choices=ForecastLevel.choices)
    year = models.PositiveSmallIntegerField()
    months_left = models.PositiveSmallIntegerField()
    actual_to_origin = figure()
    value = figure()
    lower_80 = figure()
    upper_80 = figure()
    lower_95 = figure()
    upper_95 = figure()
    # The same year-end from seasonal naive, and from the summary's estimate rule.
    benchmark = figure()
    # Signed errors (actual minus forecast) of the rest-of-year total in the backtest,
    # each divided by its series' scale; and this node's scale.
    errors = models.JSONField(default=list)
    scale = models.FloatField()

    class Meta:
        ordering = ["run", "level", "region"]
        constraints = [
            models.UniqueConstraint(fields=["run", "region"], condition=Q(region__isnull=False), name="yearend_once"),
            models.UniqueConstraint(fields=["run"], condition=Q(region__isnull=True), name="yearend_nation_once"),
            models.CheckConstraint(
                condition=Q(lower_95__gte=0)
                & Q(lower_80__gte=F("lower_95"))
                & Q(upper_80__gte=F("lower_80"))
                & Q(upper_95__gte=F("upper_80")),
                name="yearend_ranges_nested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.region_id or 'KZ'} {self.year}"


class BacktestScore(Timestamped):
    """How a method did at one backtest origin, for one level and horizon: the sums the
    track record is computed from (so that any set of origins is summed exactly).

    `benchmark_abs_error_sum` is seasonal naive's on the same node-months; relative MAE
    is `abs_error_sum / benchmark_abs_error_sum`; MASE `scaled_abs_error_sum / count`;
    bias `error_sum / count`; coverage `inside_80 / ranged`. `ranged` counts the errors
    that had a range (ranges come from earlier origins' errors, so the first have none)."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey("initiatives.Indicator", on_delete=models.CASCADE, related_name="+")
    origin = models.DateField()
    level = models.PositiveSmallIntegerField(choices=ForecastLevel.choices)
    horizon = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=20)
    count = models.PositiveIntegerField()
    abs_error_sum = models.FloatField()
    benchmark_abs_error_sum = models.FloatField()
    scaled_abs_error_sum = models.FloatField()
    error_sum = models.FloatField()
    ranged = models.PositiveIntegerField(default=0)
    inside_80 = models.PositiveIntegerField(default=0)
    inside_95 = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "method", "level", "origin", "horizon"]
        constraints = [
            models.UniqueConstraint(fields=["run", "origin", "level", "horizon", "method"], name="backtestscore_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.method} {self.origin:%Y-%m} level {self.level} h{self.horizon}"


class BacktestErrors(models.Model):
    """The errors one method made at one backtest origin, level and horizon, each divided
    by its series' scale (the pool conformal ranges are read from). `cumulative`: errors
    of the total of months 1..horizon (the year-end's ranges). `actual` is the month of
    the actual (origin + horizon): a forecast at origin O uses only errors with actual <= O."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="errors")
    origin = models.DateField()
    actual = models.DateField()
    level = models.PositiveSmallIntegerField(choices=ForecastLevel.choices)
    horizon = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=20)
    cumulative = models.BooleanField(default=False)
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "method", "level", "origin", "horizon"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "origin", "level", "horizon", "method", "cumulative"], name="backtesterrors_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.method} {self.origin:%Y-%m} level {self.level} h{self.horizon}"


class CampaignImpact(Timestamped):
    """What an alcohol-free village (or its okrug) was expected to see in the 12 months
    after its decision, had the series gone on as before: the refresh
    (`forecasts/impact.py`) fits the place's own monthly series of the outcome KPI and
    forecasts it 12 months ahead.

    `origin` is the decision's month and the last month read: the series up to and
    including it is what the place looked like before (a decision taken during the month
    can only have lowered that month, so the effect read from it errs small, never
    large). The 12 months forecast are those after it, the same 12 months the plain
    before/after of the register calls "after".

    `months`: 12 dicts {period (first day), value, lower_80, upper_80, benchmark}, the
    month's forecast with its 80% range (seasonal naive beside it); `totals`: 12 dicts
    {months, value, lower_80, upper_80}, the total of the first `months` months with the
    range of that total (ranges of months do not add: it comes from the backtest errors of
    the same total), so a register read when only some months are over compares like with
    like. Ranges are null where the pooled errors were too few for one.

    `errors[h - 1][k - 1]`: the signed error (actual minus forecast) of the total of
    months 1..h made at the backtest origin k months before `origin`, divided by `scale`;
    null where the place's series gave none. Kept so the campaign's overall effect can
    add the villages' errors origin by origin (`impact_selectors.py`)."""

    campaign = models.OneToOneField(
        "initiatives.Campaign", verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="impact"
    )
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="impacts")
    # The settlement or its okrug whose figures were read.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("measured over"), on_delete=models.PROTECT, related_name="+"
    )
    origin = models.DateField(_("decision month"))
    months_read = models.PositiveSmallIntegerField(_("months read"))
    scale = models.FloatField()
    months = models.JSONField(default=list)
    totals = models.JSONField(default=list)
    errors = models.JSONField(default=list)

    class Meta:
        verbose_name = _("campaign impact")
        verbose_name_plural = _("campaign impacts")
        ordering = ["campaign"]
        constraints = [
            models.CheckConstraint(condition=Q(scale__gt=0), name="campaignimpact_scale_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.origin:%Y-%m}"
