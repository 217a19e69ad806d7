from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import NamedInThreeLanguages, Timestamped

from .kato import KatoCodeError, kato_ancestors, kato_level, kato_prefix, validate_kato


def kato_validator(value: str) -> None:
    try:
        validate_kato(value)
    except KatoCodeError as exc:
        raise ValidationError(str(exc)) from exc


class RegionKind(models.TextChoices):
    REGION = "region", _("Oblast")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    CITY_DISTRICT = "city_district", _("City district")
    RURAL_OKRUG = "rural_okrug", _("Rural okrug")
    SETTLEMENT = "settlement", _("Settlement")


class RegionQuerySet(models.QuerySet["Region"]):
    def top_level(self) -> "RegionQuerySet":
        return self.filter(level=1)

    def children_of(self, region: "Region") -> "RegionQuerySet":
        return self.filter(parent=region)

    def descendants_of(self, region: "Region") -> "RegionQuerySet":
        """Everything below `region`, at any depth, found by the KATO prefix."""
        return self.filter(kato__startswith=kato_prefix(region.kato), level__gt=region.level)

    def within(self, region: "Region") -> "RegionQuerySet":
        """`region` and everything below it."""
        return self.filter(kato__startswith=kato_prefix(region.kato), level__gte=region.level)

    def ancestors_of(self, region: "Region") -> "RegionQuerySet":
        codes = [region.kato[:end].ljust(9, "0") for end in (2, 4, 6)]
        return self.filter(kato__in=codes, level__lt=region.level)


class Region(NamedInThreeLanguages, Timestamped):
    """An administrative-territorial unit, coded by KATO."""

    kato = models.CharField(_("KATO code"), max_length=9, unique=True, validators=[kato_validator])
    level = models.PositiveSmallIntegerField(_("level"), editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RegionKind.choices)
    iso_3166_2 = models.CharField(_("ISO 3166-2 code"), max_length=6, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    history = HistoricalRecords()
    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["kato"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=4), name="region_level_1_to_4"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="region_parent_iff_below_top",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
                name="region_valid_from_before_to",
            ),
            models.UniqueConstraint(
                fields=["iso_3166_2"], condition=~Q(iso_3166_2=""), name="region_iso_3166_2_unique"
            ),
        ]
        # descendants_of / within filter by `kato LIKE 'AB%'`: on PostgreSQL the unique
        # `kato` column already gets a varchar_pattern_ops ("_like") index from Django.
        indexes = [
            # Serves children lists and the API's `?parent=` filter.
            models.Index(fields=["parent", "kato"], name="region_parent_idx"),
        ]

    def clean(self) -> None:
        try:
            ancestors = kato_ancestors(self.kato)
        except KatoCodeError:
            return  # the field validator reports the code itself
        if self.parent_id is None and ancestors:
            raise ValidationError({"parent": _("A region below the top level needs a parent.")})
        if self.parent is not None and self.parent.kato not in ancestors:
            raise ValidationError(
                {
                    "parent": _("%(parent)s is not above %(code)s in KATO.")
                    % {"parent": self.parent.kato, "code": self.kato}
                }
            )

    def save(self, *args: object, **kwargs: object) -> None:
        self.level = kato_level(self.kato)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
