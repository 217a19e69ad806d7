"""Exports of KPI values to a file (CSV or XLSX), built by a worker and downloaded when ready.

The record is the job's state, which the caller polls: waiting, running, ready (with the
file and the number of rows) or failed (with the reason). Who asked is kept so the worker
can apply the requester's rights as they are when the file is built, and so only they
can read the job back. Files are private and deleted after they expire.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projectoffice.model_mixins import Job, JobStatuses


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    RUNNING = "running", _("running")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


def export_path(instance: "Export", filename: str) -> str:
    # A random name: the path says nothing about who asked or what, and cannot be guessed.
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Export(Job):
    statuses = JobStatuses(ExportStatus.WAITING, ExportStatus.RUNNING, ExportStatus.READY, ExportStatus.FAILED)

    # A person, or an agency's token (with its agency, which outlives the token): never both.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    token = models.ForeignKey(
        "agencies.AgencyToken",
        verbose_name=_("agency token"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exports",
    )
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    # The query parameters of /api/v1/values/, checked when the export was asked for.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.WAITING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to=export_path, blank=True, max_length=255)
    error = models.TextField(_("error"), blank=True)
    # The rights the file was built under, for a person: {"office": bool, "regions": [KATO]}.
    # A download needs them still (a coordinator moved elsewhere cannot fetch the old file).
    scope = models.JSONField(_("built for"), default=dict, blank=True)
    # Set when the file is ready; after it, the file is gone (or about to be).
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export of values")
        verbose_name_plural = _("exports of values")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_by__isnull=True) | Q(token__isnull=True, agency__isnull=True),
                name="export_person_or_agency",
            ),
            models.CheckConstraint(
                condition=Q(token__isnull=True) | Q(agency__isnull=False), name="export_token_has_its_agency"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(finished_at__isnull=False, expires_at__isnull=False),
                name="export_ready_has_its_times",
            ),
        ]
        indexes = [
            # "My exports", newest first: a person's, and an agency's.
            models.Index(fields=["requested_by", "-created_at"], name="export_person_idx"),
            models.Index(fields=["agency", "-created_at"], name="export_agency_idx"),
            # The sweep: jobs nobody queued or whose worker died.
            models.Index(
                fields=["created_at"], name="export_unfinished_idx", condition=Q(status__in=["waiting", "running"])
            ),
            # The sweep: files past their expiry.
            models.Index(fields=["expires_at"], name="export_file_expiry_idx", condition=~Q(file="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def download_name(self) -> str:
        return f"values-{self.pk}.{self.format}"
