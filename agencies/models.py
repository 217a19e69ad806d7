from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import NamedInThreeLanguages, Timestamped, in_language
from regions.models import Region

agency_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_.-]*$",
    _("Use lower-case Latin letters, digits, '.', '_' or '-', starting with a letter."),
)


class AgencyKind(models.TextChoices):
    PROSECUTION = "prosecution", _("Prosecution service")
    MINISTRY = "ministry", _("Ministry")
    STATE_AGENCY = "state_agency", _("State agency")
    COMMITTEE = "committee", _("Committee")
    JUDICIARY = "judiciary", _("Judiciary")
    LOCAL_EXECUTIVE = "local_executive", _("Local executive bodies")


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> "AgencyQuerySet":
        return self.filter(is_active=True)


class Agency(NamedInThreeLanguages, Timestamped):
    """A state body. Renamed or reorganised bodies keep their code; a successor points to
    its predecessor."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[agency_code_validator])
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subdivisions",
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("predecessor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
    )
    is_active = models.BooleanField(_("active"), default=True)
    website = models.URLField(_("website"), blank=True)

    history = HistoricalRecords()
    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def clean(self) -> None:
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An agency cannot be part of itself.")})
        if self.pk and self.predecessor_id == self.pk:
            raise ValidationError({"predecessor": _("An agency cannot be its own predecessor.")})


class RegionalBranch(Timestamped):
    """An agency's office in a region; coordinators belong to branches."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="branches")
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="branches"
    )
    name_kk = models.CharField(_("name (Kazakh)"), max_length=255, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    head = models.CharField(_("head"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("regional branch")
        verbose_name_plural = _("regional branches")
        ordering = ["agency__code", "region__kato"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "region"], name="branch_one_per_agency_and_region"),
        ]

    def __str__(self) -> str:
        return in_language(self, "name") or f"{self.agency} — {self.region}"


class MembershipRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Regional coordinator")
    REGIONAL_HEAD = "regional_head", _("Regional head")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, branch__is_active=True, branch__agency__is_active=True)


class Membership(Timestamped):
    """Ties a person to a regional branch, and so to its region, in a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        RegionalBranch, verbose_name=_("regional branch"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=MembershipRole.choices)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["branch__region__kato", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "branch", "role"], name="membership_unique_role_in_branch"),
        ]
        indexes = [
            # Serves "which regions may this person see", asked on every portal request.
            models.Index(fields=["user", "is_active"], name="membership_user_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.branch}"

    @property
    def region(self) -> "Region":
        return self.branch.region


class TokenScope(models.TextChoices):
    KPI_READ = "kpi:read", _("read KPIs, values and summaries")
    REPORTS_READ = "reports:read", _("read approved reports")
    STATISTICS_IMPORT = "statistics:import", _("push legal statistics")


def validate_scopes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValidationError(_("Scopes are a list of names."))
    unknown = sorted(set(value) - set(TokenScope.values))
    if unknown:
        raise ValidationError(
            _("Unknown scope(s): %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(TokenScope.values)}
        )


class AgencyTokenManager(BaseAPIKeyManager):
    def get_usable_keys(self) -> "models.QuerySet[AgencyToken]":
        return super().get_usable_keys().select_related("agency")


class AgencyToken(AbstractAPIKey):
    """An agency system's key to the API: named, scoped, expiring, revocable.

    Only a hash is stored (djangorestframework-api-key); the key itself is shown once.
    """

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="tokens")
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["last_used_at"])
    objects = AgencyTokenManager()  # type: ignore[assignment,misc]

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("agency API token")  # type: ignore[assignment]
        verbose_name_plural = _("agency API tokens")  # type: ignore[assignment]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class Profile(Timestamped):
    """The language the site and a person's e-mails speak to them: their last choice in
    the language switcher, or, until they make one, what their browser asks for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    # Until the person chooses with the switcher, the language their browser asks for
    # (agencies.browser_language), so their e-mails are not in the site's default.
    language_from_browser = models.BooleanField(
        _("language from the browser"),
        default=False,
        help_text=_("Set from what the person's browser asks for, until they choose a language with the switcher."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        ordering = ["user_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="profile_language_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_language_display()})"


def person_language(user: Any) -> str:
    """The language to write to `user` in: their own choice, else their browser's, else the site's."""
    try:
        return str(user.profile.language)
    except (AttributeError, Profile.DoesNotExist):
        return str(settings.LANGUAGE_CODE)
