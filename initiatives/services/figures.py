"""Writes about the figures themselves: rebuilding the rollups, recording their checks."""

from django.db import transaction

from ..engine import rollup_tables
from ..models import Indicator, RollupCheck

# Differences written into a check's record at most (the count says how many there were).
DETAIL_LINES = 50


def rollups_rebuild(*, indicator: Indicator | None = None) -> int:
    """Recompute the rollups (of one KPI, or all) from the approved values, while the site
    keeps serving the old ones until the rebuild commits. Returns the rows written."""
    return rollup_tables.rebuild([indicator.pk] if indicator is not None else None)


@transaction.atomic
def rollups_check(*, indicator: Indicator | None = None) -> tuple[RollupCheck, list[rollup_tables.Difference]]:
    """Compare the rollups with a fresh computation from the values, and record the outcome
    (for `/healthz` and the office). A difference means a write reached the values without
    its trigger: `rebuild_rollups` mends it, and the cause must be found."""
    found = rollup_tables.differences([indicator.pk] if indicator is not None else None)
    detail = "\n".join(str(d) for d in found[:DETAIL_LINES])
    check = RollupCheck.objects.create(differences=len(found), detail=detail)
    return check, found
