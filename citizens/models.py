"""The citizen recognition register: reports citizens made of offences, their verification
by a procedural decision, and the rewards that followed.

The citizen's IIN, full name and phone are personal data: encrypted at rest with keys of
their own (`encryption.py`), left out of history (which records only that they changed,
through `personal_data_changed_at`), shown masked unless the reader holds the permission
"view citizens' personal data", and erased after the retention period. Everything else
(branch, dates, channel, offence, status, reward) is what the KPIs count and stays.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Timestamped

from .encryption import EncryptedCharField, EncryptedTextField
from .identity import MASK, masked

# Left out of every history row: history says they changed, never what they were.
PERSONAL_FIELDS = ("iin", "full_name", "phone")
UNHISTORIED = (*PERSONAL_FIELDS, "iin_hash")
VIEW_PERSONAL_DATA = "citizens.view_citizen_personal_data"


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online")
    IN_PERSON = "in_person", _("in person")
    LETTER = "letter", _("letter")


class Offence(models.TextChoices):
    THEFT = "theft", _("theft")
    FRAUD = "fraud", _("fraud")
    INTERNET_FRAUD = "internet_fraud", _("internet fraud")
    DRUGS = "drugs", _("drugs")
    ALCOHOL_SALES = "alcohol_sales", _("illegal alcohol sales")
    HOOLIGANISM = "hooliganism", _("hooliganism")
    CORRUPTION = "corruption", _("corruption")
    ETHICS = "ethics", _("breach of ethics")
    OTHER = "other", _("other")


class CitizenReportStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    CONFIRMED = "confirmed", _("confirmed")
    NOT_CONFIRMED = "not_confirmed", _("not confirmed")


class Reward(models.TextChoices):
    NONE = "none", _("no reward")
    THANKS = "thanks", _("letter of thanks")
    CERTIFICATE = "certificate", _("certificate")
    MONEY = "money", _("money")


class CitizenReportQuerySet(models.QuerySet["CitizenReport"]):
    def with_personal_data(self) -> "CitizenReportQuerySet":
        return self.filter(personal_data_erased_at__isnull=True)

    def expired(self, cutoff: datetime.date) -> "CitizenReportQuerySet":
        """Decided on or before `cutoff` (or, never decided, received by then)."""
        return self.filter(Q(decided_on__lte=cutoff) | Q(decided_on__isnull=True, received_on__lte=cutoff))


class CitizenReport(Timestamped):
    """A citizen's report of an offence, received by an agency's regional branch."""

    branch = models.ForeignKey(
        "agencies.RegionalBranch",
        verbose_name=_("regional branch"),
        on_delete=models.PROTECT,
        related_name="citizen_reports",
    )
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    offence = models.CharField(_("offence category"), max_length=20, choices=Offence.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CitizenReportStatus.choices, default=CitizenReportStatus.RECEIVED
    )
    decided_on = models.DateField(_("date of the decision"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_no = models.CharField(_("number of the procedural decision"), max_length=100, blank=True)
    reward = models.CharField(_("reward"), max_length=20, choices=Reward.choices, default=Reward.NONE)
    amount_kzt = models.DecimalField(_("amount, tenge"), max_digits=14, decimal_places=2, null=True, blank=True)
    awarded_on = models.DateField(_("date of the award"), null=True, blank=True)
    paid_on = models.DateField(_("date paid"), null=True, blank=True)
    rewarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reward decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    law_enforcement_staff = models.BooleanField(
        _("law-enforcement staff"), default=False, help_text=_("Staff of law-enforcement bodies get no money reward.")
    )
    iin = EncryptedCharField(_("IIN"), max_length=12, null=True, blank=True)
    full_name = EncryptedCharField(_("full name"), max_length=255, null=True, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=32, null=True, blank=True)
    # HMAC-SHA256 of the IIN (identity.iin_hash): repeat reporters without decrypting.
    iin_hash = models.CharField(_("IIN keyed hash"), max_length=64, blank=True, editable=False)
    personal_data_changed_at = models.DateTimeField(_("personal data changed"), null=True, blank=True, editable=False)
    personal_data_erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=list(UNHISTORIED))
    objects = CitizenReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("citizen's report")
        verbose_name_plural = _("citizens' reports")
        ordering = ["-received_on", "-pk"]
        permissions = [("view_citizen_personal_data", _("View citizens' personal data"))]
        indexes = [
            # Serves "other reports of the same person" within a branch.
            models.Index(fields=["iin_hash"], name="citizen_report_iin_hash_idx"),
            # Serves the KPI counts and the retention sweep, both by date.
            models.Index(fields=["received_on"], name="citizen_report_received_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="received", decided_on__isnull=True)
                | (~Q(status="received") & Q(decided_on__isnull=False)),
                name="citizen_report_decided_iff_not_received",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("received_on")),
                name="citizen_report_decided_after_received",
            ),
            models.CheckConstraint(
                condition=Q(reward="none") | Q(status="confirmed"), name="citizen_report_reward_only_if_confirmed"
            ),
            models.CheckConstraint(
                condition=(Q(reward="money") & Q(amount_kzt__gt=0)) | (~Q(reward="money") & Q(amount_kzt__isnull=True)),
                name="citizen_report_amount_iff_money",
            ),
            models.CheckConstraint(
                condition=~Q(reward="money") | Q(law_enforcement_staff=False),
                name="citizen_report_no_money_for_law_enforcement",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(reward="money"), name="citizen_report_paid_only_money"
            ),
            models.CheckConstraint(
                condition=Q(reward="none", awarded_on__isnull=True) | (~Q(reward="none") & Q(awarded_on__isnull=False)),
                name="citizen_report_awarded_iff_reward",
            ),
        ]

    def __str__(self) -> str:
        return f"№{self.pk} · {self.received_on:%Y-%m-%d} · {self.get_offence_display()}"

    @property
    def iin_masked(self) -> str:
        return masked(self.iin or "")

    @property
    def full_name_masked(self) -> str:
        # A name's last letters tell too much; only that there is one.
        return MASK if self.full_name else ""

    @property
    def phone_masked(self) -> str:
        return masked(self.phone or "")


class PersonalDataReveal(models.Model):
    """One look at a report's personal data in clear: who, when, which record. Written
    before the data are shown; never changed."""

    report = models.ForeignKey(
        CitizenReport, verbose_name=_("citizen's report"), on_delete=models.CASCADE, related_name="reveals"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    revealed_at = models.DateTimeField(_("revealed at"), auto_now_add=True)
    where = models.CharField(_("where"), max_length=40)

    class Meta:
        verbose_name = _("reveal of personal data")
        verbose_name_plural = _("reveals of personal data")
        ordering = ["-revealed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} · {self.report_id} · {self.revealed_at:%Y-%m-%d %H:%M}"


class DataRequestKind(models.TextChoices):
    ACCESS = "access", _("to see their data")
    CORRECTION = "correction", _("to correct their data")


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    ANSWERED = "answered", _("answered")


class PersonalDataRequest(Timestamped):
    """A citizen's request to see or correct the data the register holds on them; answered
    by staff with the permission. What was asked and answered may quote personal data, so
    both are encrypted and kept out of history like the report's own fields."""

    report = models.ForeignKey(
        CitizenReport, verbose_name=_("citizen's report"), on_delete=models.PROTECT, related_name="data_requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DataRequestKind.choices)
    received_on = models.DateField(_("received on"))
    request_text = EncryptedTextField(_("what was asked"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DataRequestStatus.choices, default=DataRequestStatus.OPEN
    )
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answer_text = EncryptedTextField(_("answer"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["request_text", "answer_text"])

    class Meta:
        verbose_name = _("citizen's request about their data")
        verbose_name_plural = _("citizens' requests about their data")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", answered_on__isnull=True) | Q(status="answered", answered_on__isnull=False),
                name="personal_data_request_answered_iff_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.received_on:%Y-%m-%d}"
