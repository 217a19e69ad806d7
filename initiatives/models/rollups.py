"""What the KPI engine reads instead of every value: sums kept current by the database.

`Rollup` holds, per KPI, region (an ancestor, 0 for the nation), depth below it and the
period of the values (first and last month as month indices), the sum and the number of
approved values of the regions that far below. A month's row at depth 1 is "the sum below"
series of the region; its count says how many of the children reported that month, which
is how the engine knows the sum is complete. Longer periods (a quarter, a year to date as
form 1-M publishes it) are kept as rows of their own, never spread over months, so the
engine can still prefer a value for exactly the span asked for.

Both tables are written only by database triggers on the values, the regions, the targets
and the KPIs (migration 0014), so every way of writing (a service, the admin, an import, a
bulk `.update()`, raw SQL) keeps them current in its own transaction. Nothing in Python
writes them but `rebuild_rollups`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The ancestor id standing for the whole country (regions ids start at 1).
NATION = 0


class Rollup(models.Model):
    indicator = models.ForeignKey(
        "initiatives.Indicator", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # A region id, or NATION: deliberately not a foreign key (the nation has no row).
    ancestor_id = models.IntegerField()
    depth = models.PositiveSmallIntegerField()
    # The level of the regions summed (their depth in hops may skip a level of KATO).
    level = models.PositiveSmallIntegerField()
    first_month = models.IntegerField()
    last_month = models.IntegerField()
    total = models.DecimalField(max_digits=34, decimal_places=4)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        ordering = ["indicator_id", "ancestor_id", "depth", "level", "first_month", "last_month"]
        constraints = [
            # Also the engine's index: one KPI's rows for a set of ancestors, by period.
            models.UniqueConstraint(
                fields=["indicator", "ancestor_id", "depth", "level", "first_month", "last_month"],
                name="rollup_one_per_cell",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}:{self.ancestor_id}:{self.depth}:{self.first_month}-{self.last_month}"


class FigureVersion(models.Model):
    """A counter bumped by every write that can change a figure: `kpi:<id>` for a KPI's
    approved values, `targets`, `regions` and `indicators` for the rest. Cached summaries
    are keyed by the counters they read, so a stale one is never found again."""

    key = models.CharField(max_length=64, primary_key=True)
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("figure version")
        verbose_name_plural = _("figure versions")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}={self.n}"


class RollupCheck(models.Model):
    """The outcome of the last comparisons of the rollups with the values (`check_rollups`)."""

    checked_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    differences = models.IntegerField(_("differences"))
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("rollup check")
        verbose_name_plural = _("rollup checks")
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M}: {self.differences}"
