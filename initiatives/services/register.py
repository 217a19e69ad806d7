"""KPIs fed by a register: the alcohol-free settlements counted from the campaign register,
and the flows other registers count (`register_counts_sync`, fed by the citizen register).

The register (alcohol-free campaigns with their stages and dates) is the one source of
truth: `settlements.alcohol_free` is never typed in, it is written here, for every
first-level region and month, as the number of settlements verified or sustained (and
not lapsed) at the end of that month. Whoever changes the register calls
`alcohol_free_values_sync` in the same transaction, so the figures change at once.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from regions.kato import kato_top
from regions.models import Region

from ..models import ApprovalState, Campaign, Indicator, KpiRole, Value, ValueSource
from ..periods import Month
from ..selectors.kpi_roles import kpi_of_role
from .value_history import values_bulk_update_with_history


def _counted(campaign: Campaign, day: datetime.date) -> bool:
    """Verified (or sustained since) by `day`, and not lapsed by then."""
    verified = campaign.verified_on or campaign.sustained_on
    return verified is not None and verified <= day and (campaign.lapsed_on is None or campaign.lapsed_on > day)


@transaction.atomic
def alcohol_free_values_sync(*, through: Month | None = None, user: User | None = None) -> int:
    """Write the register's counts for every first-level region and month, from the
    first decision to `through` (by default the last month that is over); remove any
    figure of the KPI that did not come from the register. Returns the rows written."""
    indicator = kpi_of_role(KpiRole.ALCOHOL_FREE)
    if indicator is None:
        return 0
    through = through or Month.from_date(timezone.localdate()).plus(-1)
    campaigns = list(Campaign.objects.alcohol_free().select_related("region"))
    regions = {r.kato: r for r in Region.objects.top_level()}
    stale = Value.objects.filter(indicator=indicator).exclude(source=ValueSource.COMPUTED)
    removed, _kinds = stale.delete()
    if not campaigns:
        return removed
    first = Month.from_date(min(c.declared_on for c in campaigns if c.declared_on))
    existing = {
        (v.region_id, v.period_start): v
        for v in Value.objects.filter(indicator=indicator, period_start=F("period_end"))
    }

    def cells() -> Iterator[tuple[Region, Month, Decimal]]:
        for index in range(first.index, through.index + 1):
            month = Month.from_index(index)
            counts = Counter(kato_top(c.region.kato) for c in campaigns if _counted(c, month.last_day))
            for kato, region in regions.items():
                yield region, month, Decimal(counts.get(kato, 0))

    return removed + _monthly_values_write(indicator, cells(), existing, user)


@transaction.atomic
def register_counts_sync(
    *,
    role: KpiRole,
    counts: Mapping[tuple[str, Month], int],
    first: Month | None,
    through: Month,
    user: User | None = None,
) -> int:
    """Write the flow KPI of `role` counted by another register (the citizen register) as approved
    monthly values: `counts[(first-level KATO, month)]`, zero where absent, for every
    first-level region and month from `first` to `through`, so every span inside that
    range is complete; remove the KPI's values outside it and any that did not come from
    a register (typed or imported ones). Only what differs is written. Returns the rows
    written or removed. The caller holds the register change in the same transaction,
    so the figures change with it."""
    indicator = kpi_of_role(role)
    if indicator is None:
        return 0
    values = Value.objects.filter(indicator=indicator)
    if first is None:
        removed, _kinds = values.delete()
        return removed
    # Anything but the register's own monthly rows: typed, imported, or over longer spans.
    removed, _kinds = values.exclude(source=ValueSource.COMPUTED, period_start=F("period_end")).delete()
    removed += values.filter(period_start__lt=first.first_day).delete()[0]
    removed += values.filter(period_start__gt=through.first_day).delete()[0]
    regions = list(Region.objects.top_level())
    existing = {(v.region_id, v.period_start): v for v in values.filter(period_start__gte=first.first_day)}

    def cells() -> Iterator[tuple[Region, Month, Decimal]]:
        for index in range(first.index, through.index + 1):
            month = Month.from_index(index)
            for region in regions:
                if (region.valid_from and region.valid_from > month.last_day) or (
                    region.valid_to and region.valid_to < month.first_day
                ):
                    continue  # the unit did not exist that month (the Abai region before June 2022)
                yield region, month, Decimal(counts.get((region.kato, month), 0))

    return removed + _monthly_values_write(indicator, cells(), existing, user)


def _monthly_values_write(
    indicator: Indicator,
    cells: Iterable[tuple[Region, Month, Decimal]],
    existing: Mapping[tuple[int, datetime.date], Value],
    user: User | None,
) -> int:
    """A register's counts as approved monthly values: new rows created, changed ones
    updated, equal ones left alone (history records only what changed). Returns the
    rows written."""
    to_create, to_update = [], []
    now = timezone.now()
    for region, month, number in cells:
        row = existing.get((region.pk, month.first_day))
        if row is None:
            row = Value(indicator=indicator, region=region, value=number, source=ValueSource.COMPUTED)
            row.period_start = row.period_end = month.first_day
            row.approval_state, row.approved_at = ApprovalState.APPROVED, now
            to_create.append(row)
        elif row.value != number or row.approval_state != ApprovalState.APPROVED:
            row.value, row.approval_state, row.approved_at = number, ApprovalState.APPROVED, now
            to_update.append(row)
    bulk_create_with_history(to_create, Value, batch_size=2000, default_user=user)
    values_bulk_update_with_history(
        to_update, ["value", "approval_state", "approved_at"], batch_size=2000, default_user=user
    )
    return len(to_create) + len(to_update)
