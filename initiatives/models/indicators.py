"""KPI definitions (indicators) and their yearly targets and baselines."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import NamedInThreeLanguages, Timestamped
from projectoffice.numbers import exact_text

indicator_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$",
    _("Use lower-case words of Latin letters, digits and '_', joined by dots, e.g. crime.registered."),
)


class Unit(models.TextChoices):
    COUNT = "count", _("count")
    PERCENT = "percent", _("percent")
    PER_10K = "per_10k", _("per 10,000 population")
    TENGE = "tenge", _("tenge")
    PEOPLE = "people", _("people")

    @property
    def is_counted(self) -> bool:
        """Values of this unit are counted (events held, people reached): whole numbers,
        never "12.5"; the one place this is decided (the form, the import, the rates)."""
        return self in (Unit.COUNT, Unit.PEOPLE)


class Direction(models.TextChoices):
    LOWER_IS_BETTER = "lower", _("lower is better")
    HIGHER_IS_BETTER = "higher", _("higher is better")


class Aggregation(models.TextChoices):
    SUM = "sum", _("sum (flows, e.g. offences registered)")
    LAST = "last", _("last value (stocks, e.g. alcohol-free settlements)")
    RECOMPUTE = "recompute", _("recomputed from its formula (ratios)")
    NONE = "none", _("does not add up")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")


class IndicatorSource(models.TextChoices):
    COORDINATOR_REPORTS = "reports", _("coordinator reports")
    LEGAL_STATISTICS = "statistics", _("legal-statistics import")
    COMPUTED = "computed", _("computed from a formula")
    REGISTER = "register", _("counted from a register (campaigns, citizens' reports)")


class IndicatorGroup(models.TextChoices):
    """What a KPI is about, for the dashboard's comparisons ("what moved most" reads the
    offence group): recorded in the catalogue, never guessed from a code's prefix."""

    OFFENCES = "offences", _("offences")
    CAMPAIGNS = "campaigns", _("campaigns")
    CONTEXT = "context", _("context")


class KpiRole(models.TextChoices):
    """What the code asks of a KPI, kept in the catalogue (its `role` column), never as a
    KPI code in the code: read through `selectors.kpi_roles`. A KPI may have several
    roles (space-separated); every role but `card` belongs to one KPI at most."""

    HEADLINE = "headline", _("headline (the dashboard's and the public page's first KPI)")
    CARD = "card", _("a card on the coordinator's home page")
    POPULATION = "population", _("population (the rate per 10,000 divides by it)")
    OUTCOME = "outcome", _("the villages' outcome (offences before and after a village's start)")
    ALCOHOL_FREE = "alcohol_free", _("alcohol-free villages (counted from the register)")
    CITIZEN_REPORTS_RECEIVED = "citizen_reports_received", _("citizens' reports received (counted from the register)")
    CITIZEN_REPORTS_CONFIRMED = (
        "citizen_reports_confirmed",
        _("citizens' reports confirmed (counted from the register)"),
    )
    CITIZEN_REPORTS_REWARDED = "citizen_reports_rewarded", _("citizens' reports rewarded (counted from the register)")


# Roles several KPIs may share; each other role names one KPI at most.
SHARED_ROLES = frozenset({KpiRole.CARD})


def roles_of(text: str) -> list[str]:
    """The roles written in a `role` cell: words separated by spaces."""
    return text.split()


def validate_roles(text: str) -> None:
    known = set(KpiRole.values)
    words = roles_of(text)
    unknown = [w for w in words if w not in known]
    if unknown:
        raise ValidationError(
            _("Unknown role(s): %(roles)s. Known roles: %(known)s.")
            % {"roles": ", ".join(unknown), "known": ", ".join(KpiRole.values)}
        )
    if len(set(words)) != len(words):
        raise ValidationError(_("A role is named twice."))


def with_role_q(role: str) -> Q:
    """The KPIs whose space-separated roles include `role`."""
    return Q(role=role) | Q(role__startswith=f"{role} ") | Q(role__endswith=f" {role}") | Q(role__contains=f" {role} ")


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def active(self) -> "IndicatorQuerySet":
        return self.filter(is_active=True)

    def with_role(self, *roles: str) -> "IndicatorQuerySet":
        """The KPIs with any of these roles."""
        found = Q(pk__in=[])
        for role in roles:
            found |= with_role_q(role)
        return self.filter(found)

    def forecast(self) -> "IndicatorQuerySet":
        """The KPIs the forecasting centre forecasts: the monthly counts of the offences
        group summed over time, and any KPI the catalogue marks (`forecast`)."""
        offences = Q(group=IndicatorGroup.OFFENCES, unit=Unit.COUNT)
        # Months that add up to a year: the forecasts' year-end is their sum.
        monthly_flow = Q(aggregation_time=Aggregation.SUM, frequency=Frequency.MONTHLY, numerator__isnull=True)
        return self.active().filter(offences | Q(forecast=True), monthly_flow).order_by("code")

    def monthly_counts(self) -> "IndicatorQuerySet":
        """The KPIs early warning tests: active counts by month, summed over time, not a
        formula (docs/early-warning.md)."""
        return self.active().filter(
            unit=Unit.COUNT, aggregation_time=Aggregation.SUM, frequency=Frequency.MONTHLY, numerator__isnull=True
        )

    def without_role(self, role: str) -> "IndicatorQuerySet":
        return self.exclude(with_role_q(role))


class Indicator(NamedInThreeLanguages, Timestamped):
    """A KPI: what is measured, in what unit, which way is better, and how it adds up.

    A formula KPI is `numerator / denominator x factor`, evaluated after both sides are
    aggregated (a ratio of sums, never a sum of ratios).
    """

    code = models.CharField(_("code"), max_length=80, unique=True, validators=[indicator_code_validator])
    description_kk = models.TextField(_("description (Kazakh)"), blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    aggregation_regions = models.CharField(
        _("across regions"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    aggregation_time = models.CharField(
        _("across time"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY)
    owner_agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("owner agency"), on_delete=models.PROTECT, related_name="indicators"
    )
    source = models.CharField(_("data source"), max_length=20, choices=IndicatorSource.choices)
    numerator = models.ForeignKey(
        "self", verbose_name=_("numerator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    denominator = models.ForeignKey(
        "self", verbose_name=_("denominator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    factor = models.DecimalField(_("factor"), max_digits=12, decimal_places=2, null=True, blank=True)
    group = models.CharField(_("group"), max_length=20, choices=IndicatorGroup.choices, blank=True)
    decimal_places = models.PositiveSmallIntegerField(_("decimal places shown"), default=0)
    role = models.CharField(
        _("role"),
        max_length=200,
        blank=True,
        validators=[validate_roles],
        help_text=_(
            "What the tracker uses this KPI for, as words separated by spaces (e.g. 'headline card'); "
            "empty for most KPIs. Every role but 'card' belongs to one KPI at most."
        ),
    )
    # Forecast by the forecasting centre although not a count of the offences group (those are always).
    forecast = models.BooleanField(
        _("forecast"),
        default=False,
        help_text=_("Forecast monthly with ranges (the offence counts are forecast whatever this says)."),
    )
    # KPIs that add up to others (form 1-M's structure): this KPI is a part of `part_of`;
    # `parts_add_up`: this KPI's parts add up to it exactly (else they are only part of it).
    # Read by the import's warnings and the public page's disclosure control.
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text=_("The KPI this one is a part of (e.g. crimes are part of offences registered)."),
    )
    parts_add_up = models.BooleanField(
        _("parts add up to it"),
        default=False,
        help_text=_("Its parts (the KPIs that are part of it) add up to it exactly."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(numerator__isnull=True, denominator__isnull=True, factor__isnull=True)
                | Q(numerator__isnull=False, denominator__isnull=False, factor__isnull=False),
                name="indicator_formula_complete_or_absent",
            ),
            models.CheckConstraint(
                condition=Q(source="computed", numerator__isnull=False)
                | (~Q(source="computed") & Q(numerator__isnull=True)),
                name="indicator_computed_iff_formula",
            ),
            models.CheckConstraint(
                condition=Q(factor__isnull=True) | Q(factor__gt=0), name="indicator_factor_positive"
            ),
        ]

    def clean(self) -> None:
        super().clean()
        taken = []
        for role in roles_of(self.role):
            if role in SHARED_ROLES:
                continue
            if Indicator.objects.with_role(role).exclude(pk=self.pk).exists():
                taken.append(role)
        if taken:
            raise ValidationError(
                {"role": _("Another KPI already has the role(s): %(roles)s.") % {"roles": ", ".join(taken)}}
            )
        self._clean_part_of()

    def _clean_part_of(self) -> None:
        """A KPI is not a part of itself, nor of one of its own parts (no cycle)."""
        if self.part_of_id is None:
            return
        seen: set[int | None] = {self.pk} if self.pk is not None else set()
        whole: int | None = self.part_of_id
        # Up the chain of wholes (two or three steps in form 1-M), one query a step.
        while whole is not None:
            if whole in seen:
                raise ValidationError({"part_of": _("A KPI cannot be a part of itself or of one of its own parts.")})
            seen.add(whole)
            whole = Indicator.objects.filter(pk=whole).values_list("part_of_id", flat=True).first()

    def has_role(self, role: str) -> bool:
        return role in roles_of(self.role)

    @property
    def is_formula(self) -> bool:
        return self.numerator_id is not None

    @property
    def has_rate_per_10k(self) -> bool:
        """A rate per 10,000 population means something for a count of offences among
        that population; not for a count of villages, a share, a rate itself or money."""
        return Unit(self.unit).is_counted and self.group == IndicatorGroup.OFFENCES

    @property
    def number_format(self) -> str:
        """The template's `floatformat` for this KPI's figures: its places, grouped by thousands."""
        return f"{self.decimal_places}g"

    def shown(self, value: Decimal | None) -> str:
        """A figure of this KPI for people: its places, grouped by thousands, in the active
        language's way ("11 616", "12,5"); a dash where there is none."""
        if value is None:
            return "—"
        return str(floatformat(value, self.number_format))

    def exact(self, value: Decimal | None) -> str | None:
        """A figure of this KPI for machines (CSV, XLSX, JSON): its places, never fewer digits
        than it holds ("654" for a count, "12.5" for a share with one place)."""
        return None if value is None else exact_text(value, self.decimal_places)


class Target(Timestamped):
    """The target and baseline of a KPI for a year, for one region or (no region) the nation."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="targets")
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        help_text=_("Empty for the national target."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    target_value = models.DecimalField(_("target value"), max_digits=20, decimal_places=4, null=True, blank=True)
    baseline_value = models.DecimalField(_("baseline"), max_digits=20, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator__code", "year", "region__kato"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year"],
                condition=Q(region__isnull=False),
                name="target_unique_per_kpi_region_year",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=Q(region__isnull=True),
                name="target_unique_national_per_kpi_year",
            ),
            models.CheckConstraint(condition=Q(year__gte=1991, year__lte=2100), name="target_year_plausible"),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_year__lte=models.F("year")),
                name="target_baseline_not_after_year",
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=False) | Q(baseline_value__isnull=False),
                name="target_has_a_target_or_a_baseline",
            ),
        ]

    def __str__(self) -> str:
        where = str(self.region) if self.region else str(_("Kazakhstan (national)"))
        return f"{where} · {self.indicator.name} · {self.year}"
