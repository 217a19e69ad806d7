"""E-mail notices written in the same transaction as the event they tell of.

A broker outage cannot lose a notice: the row is there; delivery is retried until
`sent_at` is set, and a notice is claimed by one sender at a time, so a task that runs
twice sends one e-mail.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projectoffice.model_mixins import Timestamped


class OutboxMessage(Timestamped):
    # Identifies the event, so the same notice is never written twice (e.g. "report:12:returned:5").
    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("e-mail notice")
        verbose_name_plural = _("e-mail notices")
        ordering = ["-created_at"]
        indexes = [
            # The sweep that retries what is not sent yet.
            models.Index(fields=["created_at"], name="outbox_unsent_idx", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"
