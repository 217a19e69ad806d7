"""Rollup checkpoints: the rollups as they stood at a moment, so that a figure "as of" a
past moment starts from the nearest one and puts back only the few changes between
(`initiatives/engine/asof.py`), whatever the number of corrections since.

A checkpoint copies every non-empty rollup cell (`Rollup`) and, as cells of depth 0, the
approved values of the first-level regions (the own values a national figure reads), in
one statement, in a transaction that first waits for every writer of values to commit
(`initiatives/services/checkpoints.py`), so its moment is consistent with what it copied.
Taken at each release (kept for ever), after each statistics import that changed values,
and when `ROLLUP_CHECKPOINT_CHANGES` history rows have been written since the last;
the others are deleted after `ROLLUP_CHECKPOINT_DAYS`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckpointReason(models.TextChoices):
    RELEASE = "release", _("release")
    IMPORT = "import", _("statistics import")
    CHANGES = "changes", _("changes accumulated")
    MANUAL = "manual", _("by hand")


class RollupCheckpoint(models.Model):
    moment = models.DateTimeField(_("figures as of"), db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=CheckpointReason.choices)
    release = models.ForeignKey(
        "initiatives.Release", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_batch = models.ForeignKey(
        "initiatives.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept whatever its age (a release's).
    kept = models.BooleanField(_("kept"), default=False)
    # The `regions` figure version at the moment: a checkpoint is used only while the
    # region tree it summed over is the tree of today (as the reader's is).
    regions_version = models.BigIntegerField(default=0)
    # The last history row written by the moment: the changes since are counted from it.
    history_mark = models.BigIntegerField(default=0)
    cells = models.IntegerField(_("cells"), default=0)

    class Meta:
        verbose_name = _("rollup checkpoint")
        verbose_name_plural = _("rollup checkpoints")
        ordering = ["-moment"]
        get_latest_by = "moment"

    def __str__(self) -> str:
        return f"{self.moment:%Y-%m-%d %H:%M:%S} ({self.reason})"


class RollupCheckpointCell(models.Model):
    """A rollup cell as it stood at the checkpoint's moment; depth 0: an approved value of
    a first-level region (ancestor_id is the region, n is 1)."""

    checkpoint = models.ForeignKey(RollupCheckpoint, on_delete=models.CASCADE, db_index=False, related_name="+")
    indicator = models.ForeignKey(
        "initiatives.Indicator", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    ancestor_id = models.IntegerField()
    depth = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    first_month = models.IntegerField()
    last_month = models.IntegerField()
    total = models.DecimalField(max_digits=34, decimal_places=4)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("rollup checkpoint cell")
        verbose_name_plural = _("rollup checkpoint cells")
        indexes = [
            models.Index(fields=["checkpoint", "indicator", "ancestor_id"], name="checkpoint_cell_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_id}:{self.indicator_id}:{self.ancestor_id}:{self.depth}"
