"""A coordinator's request that the office reopen a report whose due date has passed.

Reopening stays the office's decision (`report_reopen`); the request only makes sure the
office hears of it, and its history keeps who asked, when, and when it was granted."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from projectoffice.model_mixins import Timestamped


class ReopenRequestQuerySet(models.QuerySet["ReopenRequest"]):
    def waiting(self) -> "ReopenRequestQuerySet":
        """Asked for and not yet granted: what the office has to decide."""
        return self.filter(granted_at__isnull=True)


class ReopenRequest(Timestamped):
    report = models.ForeignKey(
        "initiatives.Report", verbose_name=_("report"), on_delete=models.CASCADE, related_name="reopen_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("why"), blank=True)
    granted_at = models.DateTimeField(_("granted at"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = ReopenRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request to reopen a report")
        verbose_name_plural = _("requests to reopen a report")
        ordering = ["-created_at"]
        constraints = [
            # Asking twice is one request: the office hears of it once.
            models.UniqueConstraint(
                fields=["report"], condition=Q(granted_at__isnull=True), name="reopen_request_one_waiting_per_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} — {self.requested_by}"
