"""Initiatives under the Concept, and the campaigns that carry them out on the ground."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.access import scoped_to_user
from projectoffice.model_mixins import NamedInThreeLanguages, Timestamped


class ConceptDirection(models.TextChoices):
    """The lines of work of the Concept that initiatives are grouped under."""

    LEGAL_CULTURE = "legal_culture", _("Legal awareness and legal culture")
    PREVENTION = "prevention", _("Prevention of offences")
    PUBLIC_PARTICIPATION = "public_participation", _("Public participation in keeping order")
    SAFE_ENVIRONMENT = "safe_environment", _("Safe environment and healthy lifestyle")
    DIGITAL = "digital", _("Digital safety and digitalisation of law enforcement")


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    COMPLETED = "completed", _("completed")


class Initiative(NamedInThreeLanguages, Timestamped):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[RegexValidator(r"^[a-z][a-z0-9_.-]*$")])
    description_kk = models.TextField(_("description (Kazakh)"), blank=True)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    direction = models.CharField(_("direction of the Concept"), max_length=30, choices=ConceptDirection.choices)
    lead_agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="led_initiatives"
    )
    participating_agencies = models.ManyToManyField(
        "agencies.Agency", verbose_name=_("participating agencies"), blank=True, related_name="initiatives"
    )
    regions = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("regions in scope"),
        blank=True,
        related_name="initiatives",
        help_text=_("Leave empty for a nationwide initiative."),
    )
    indicators = models.ManyToManyField(
        "initiatives.Indicator", verbose_name=_("KPIs"), blank=True, related_name="initiatives"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=InitiativeStatus.choices, default=InitiativeStatus.PLANNED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner in the project office"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_initiatives",
    )

    history = HistoricalRecords(m2m_fields=[participating_agencies, regions, indicators])

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__lte=models.F("end_date")),
                name="initiative_starts_before_it_ends",
            ),
        ]


class CampaignKind(models.TextChoices):
    ALCOHOL_FREE_SETTLEMENT = "alcohol_free", _("Alcohol-free settlement")
    LEGAL_LITERACY = "legal_literacy", _("Legal literacy")
    ANTI_FRAUD = "anti_fraud", _("Fighting internet fraud")
    HEALTHY_LIFESTYLE = "healthy_lifestyle", _("Healthy lifestyle")
    DIGITAL_SAFETY = "digital_safety", _("Digital safety")
    CITIZEN_REPORTING = "citizen_reporting", _("Reward for reporting violations")
    INTOLERANCE = "intolerance", _("Intolerance of offences")
    OTHER = "other", _("Other")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("active")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


class SettlementStage(models.TextChoices):
    """The life of an alcohol-free settlement, from the village assembly onwards."""

    DECLARED = "declared", _("declared (village assembly decision)")
    VERIFIED = "verified", _("verified (evidence checked)")
    SUSTAINED = "sustained", _("sustained")
    LAPSED = "lapsed", _("lapsed")


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def alcohol_free(self) -> "CampaignQuerySet":
        return self.filter(kind=CampaignKind.ALCOHOL_FREE_SETTLEMENT)

    def visible_to(self, user: Any) -> "CampaignQuerySet":
        """Campaigns in the regions this caller may read."""
        return scoped_to_user(self, user)


class Campaign(NamedInThreeLanguages, Timestamped):
    """A concrete action under an initiative, in a region or a single settlement."""

    initiative = models.ForeignKey(
        Initiative, verbose_name=_("initiative"), on_delete=models.PROTECT, related_name="campaigns"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region or settlement"), on_delete=models.PROTECT, related_name="campaigns"
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    # The alcohol-free settlement lifecycle; empty for every other kind.
    settlement_stage = models.CharField(
        _("settlement stage"), max_length=20, choices=SettlementStage.choices, blank=True
    )
    declared_on = models.DateField(_("village assembly decision"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    sustained_on = models.DateField(_("sustained since"), null=True, blank=True)
    lapsed_on = models.DateField(_("lapsed on"), null=True, blank=True)
    evidence = models.TextField(
        _("evidence"), blank=True, help_text=_("The decision, protocol or inspection the stage rests on.")
    )

    history = HistoricalRecords()
    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__lte=models.F("end_date")),
                name="campaign_starts_before_it_ends",
            ),
            models.CheckConstraint(
                condition=(Q(kind="alcohol_free") & ~Q(settlement_stage="") & Q(declared_on__isnull=False))
                | (~Q(kind="alcohol_free") & Q(settlement_stage="")),
                name="campaign_stage_iff_alcohol_free",
            ),
            models.CheckConstraint(
                condition=Q(verified_on__isnull=True) | Q(verified_on__gte=models.F("declared_on")),
                name="campaign_verified_after_declared",
            ),
            models.CheckConstraint(
                condition=Q(sustained_on__isnull=True) | Q(sustained_on__gte=models.F("verified_on")),
                name="campaign_sustained_after_verified",
            ),
            models.CheckConstraint(
                condition=Q(lapsed_on__isnull=True) | Q(lapsed_on__gte=models.F("declared_on")),
                name="campaign_lapsed_after_declared",
            ),
        ]
        indexes = [
            # Serves the campaign list of a region and the alcohol-free count per region.
            models.Index(fields=["kind", "region"], name="campaign_kind_region_idx"),
        ]

    def clean(self) -> None:
        if self.kind == CampaignKind.ALCOHOL_FREE_SETTLEMENT and self.region_id and self.region.level < 3:
            raise ValidationError(
                {
                    "region": _(
                        "An alcohol-free campaign is held in a settlement or rural okrug, "
                        "not a whole region or district."
                    )
                }
            )
        if self.kind == CampaignKind.ALCOHOL_FREE_SETTLEMENT and not self.settlement_stage:
            raise ValidationError({"settlement_stage": _("An alcohol-free settlement needs its stage.")})
        if self.kind != CampaignKind.ALCOHOL_FREE_SETTLEMENT and self.settlement_stage:
            raise ValidationError({"settlement_stage": _("Only alcohol-free settlements have a stage.")})
        if self.settlement_stage and not self.declared_on:
            raise ValidationError({"declared_on": _("Give the date of the village assembly decision.")})
