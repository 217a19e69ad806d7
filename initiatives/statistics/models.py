"""A record of each legal-statistics file sent in: who, when, how far it got, what it changed.

Files pushed through the API are kept (`upload`) and imported by a worker; the batch is
the job's state, which the caller polls: waiting, running (with progress), imported or
refused (with every bad row).
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projectoffice.model_mixins import Job, JobStatuses


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("imported")
    FAILED = "failed", _("refused")


def upload_path(instance: "ImportBatch", filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ImportBatch(Job):
    statuses = JobStatuses(ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.SUCCEEDED, ImportStatus.FAILED)

    file_name = models.CharField(_("file"), max_length=255)
    # The file as received, for the worker to read (empty for files imported from a terminal).
    upload = models.FileField(_("uploaded file"), upload_to=upload_path, blank=True, max_length=255)
    dry_run = models.BooleanField(_("check only"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
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
        related_name="import_batches",
    )
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("values created"), default=0)
    updated = models.PositiveIntegerField(_("values replaced"), default=0)
    unchanged = models.PositiveIntegerField(_("values unchanged"), default=0)
    # Rows of a pre-filled template left without a value.
    skipped = models.PositiveIntegerField(_("rows skipped (no value)"), default=0)
    # Every problem found, as [{"line": 12, "column": "region", "message": "..."}]; capped.
    errors = models.JSONField(_("problems"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    # Figures that look wrong but are not refused (an unusual value, a part larger than its
    # whole), stored as the errors are; capped, the count says how many.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    warnings_count = models.PositiveIntegerField(_("warnings found"), default=0)
    # Asked to refuse the file when it has warnings (`--strict`, `strict=true`, the admin's box).
    strict = models.BooleanField(_("refuse on warnings"), default=False)
    # The dry run whose kept file this import writes (the admin's upload page: check, then
    # confirm), and how many of the file's values changed between that check and this import.
    confirms = models.ForeignKey(
        "self",
        verbose_name=_("confirms the check"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="confirmations",
    )
    changed_since_check = models.PositiveIntegerField(_("values changed since the check"), default=0)
    # When the import's writes were committed (its transaction's last statement): figures
    # as of a moment count its values from then, however long it ran (engine/asof.py).
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    # The file recognised when it comes again (services.py, `_recognised`): a hash of its
    # bytes, of the agency importing it and of the versions of the regions and the KPIs it
    # was checked against; empty when the import could not vouch that nothing else was
    # written to the values while it ran.
    file_hash = models.CharField(_("file hash"), max_length=64, blank=True, default="", db_index=True)
    # Progress while running: the stage ("checking", "writing") and rows done of rows in all.
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)

    class Meta:
        verbose_name = _("statistics import")
        verbose_name_plural = _("statistics imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(error_count=0), name="import_succeeded_without_errors"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
