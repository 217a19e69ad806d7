"""Releases: the figures of a period frozen at a moment, confirmed by a second member of
the office before anyone outside sees them, and never edited afterwards.

A release's figures (`ReleaseFigure`) and what the public page shows of them
(`PublicFigure`, small counts suppressed) are written once, when the release is published
and confirmed; the database refuses to change, delete, add to or truncate them, and to
change a confirmed release's period, moment, people or titles (migrations 0026 and
`release_duties_in_the_database`). A wrong release is withdrawn, or followed by an
erratum (a new release that names the one it corrects and why), never edited.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Timestamped, in_language

from ..periods import Month, Period


class ReleaseState(models.TextChoices):
    PENDING = "pending", _("awaiting confirmation")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ReleaseQuerySet(models.QuerySet["Release"]):
    def published(self) -> "ReleaseQuerySet":
        """Confirmed and not withdrawn: what the public may see."""
        return self.filter(state=ReleaseState.PUBLISHED)

    def ever_public(self) -> "ReleaseQuerySet":
        """Confirmed at some time, withdrawn since or not: what the public may have seen."""
        return self.filter(confirmed_at__isnull=False)


class Release(Timestamped):
    # The public page and the API read the title in the reader's language (`title`).
    title_kk = models.CharField(_("title (Kazakh)"), max_length=200, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    period = models.CharField(_("period"), max_length=20)
    period_start = models.DateField(_("first month"))
    period_end = models.DateField(_("last month"))
    # The figures are those of the values as committed at this moment.
    moment = models.DateTimeField(_("figures as of"))
    state = models.CharField(_("state"), max_length=20, choices=ReleaseState.choices, default=ReleaseState.PENDING)
    # None only on releases from before the command line named its publisher: such a
    # release, if still pending, can no longer be confirmed (the database refuses).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("erratum to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="errata",
    )
    erratum_reason = models.TextField(_("reason for the erratum"), blank=True)

    history = HistoricalRecords()
    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-moment", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="pending") | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="release_confirmed_by_someone",
            ),
            # The two-person rule: whoever published a release cannot confirm it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | Q(published_by__isnull=True)
                | ~Q(confirmed_by=F("published_by")),
                name="release_two_people",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | (Q(withdrawn_at__isnull=False) & ~Q(withdrawn_reason="")),
                name="release_withdrawn_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(erratum_reason=""), name="release_erratum_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period})"

    @property
    def title(self) -> str:
        """The title in the active language, else in another."""
        return in_language(self, "title")

    @property
    def span(self) -> Period:
        return Period(Month.from_date(self.period_start), Month.from_date(self.period_end))


FIGURE_DIGITS = 32


class FrozenFigure(models.Model):
    """A KPI's figures for a region (None: the nation) as a release froze them: what the
    release keeps and what the public page shows of it have the same numbers."""

    indicator = models.ForeignKey("initiatives.Indicator", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Wide enough for whatever bounded values (initiatives/value_bound.py: below 10^12)
    # make: a national sum over every region and month of a span (below 10^18), its rate
    # per 10,000 people (below 10^22 with a population of 1) and its change in % from the
    # smallest previous figure, 0.0001 (below 10^24). A figure that does not fit would
    # make publishing fail.
    value = models.DecimalField(max_digits=FIGURE_DIGITS, decimal_places=4, null=True, blank=True)
    previous = models.DecimalField(max_digits=FIGURE_DIGITS, decimal_places=4, null=True, blank=True)
    change_percent = models.DecimalField(max_digits=FIGURE_DIGITS, decimal_places=1, null=True, blank=True)
    rate_per_10k = models.DecimalField(max_digits=FIGURE_DIGITS, decimal_places=1, null=True, blank=True)
    target = models.DecimalField(max_digits=FIGURE_DIGITS, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["release_id", "indicator_id", "region_id"]

    def __str__(self) -> str:
        # As people name it: "Release title · Astana · Thefts" (the nation: "Kazakhstan").
        return f"{self.release} · {self.region or _('Kazakhstan')} · {self.indicator}"  # type: ignore[attr-defined]


class ReleaseFigure(FrozenFigure):
    """A KPI's figures for a region (None: the nation) in a release, as they stood at its moment."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="figures")

    class Meta(FrozenFigure.Meta):
        verbose_name = _("release figure")
        verbose_name_plural = _("release figures")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "indicator", "region"], name="release_figure_once", condition=Q(region__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["release", "indicator"], name="release_figure_national_once", condition=Q(region__isnull=True)
            ),
        ]


class Suppression(models.TextChoices):
    SHOWN = "", _("shown")
    BELOW_THRESHOLD = "below", _("below the threshold")
    SECONDARY = "secondary", _("hidden to protect another figure")


class PublicFigure(FrozenFigure):
    """What the public page shows of a release figure: the same numbers, except that a
    count below the threshold, and whatever would let one be worked out, is withheld
    (`engine/disclosure.py`). Written when the release is confirmed, never changed."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="public_figures")
    value_suppressed = models.CharField(max_length=20, choices=Suppression.choices, blank=True)
    previous_suppressed = models.CharField(max_length=20, choices=Suppression.choices, blank=True)

    class Meta(FrozenFigure.Meta):
        verbose_name = _("public figure")
        verbose_name_plural = _("public figures")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "indicator", "region"], name="public_figure_once", condition=Q(region__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["release", "indicator"], name="public_figure_national_once", condition=Q(region__isnull=True)
            ),
            models.CheckConstraint(
                condition=Q(value_suppressed="") | Q(value__isnull=True), name="public_figure_hidden_is_empty"
            ),
            models.CheckConstraint(
                condition=Q(previous_suppressed="") | Q(previous__isnull=True),
                name="public_figure_hidden_previous_is_empty",
            ),
        ]
