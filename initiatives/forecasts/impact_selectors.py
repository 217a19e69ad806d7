"""Campaign impacts as the register reads them: each village's offences in the months
after its decision that are over, against what its forecast expected for the same months,
and the campaign's overall effect, the sum across the villages shown.

No model library here (a web request reads this): the conformal quantile of the overall
range is a few lines of plain Python, the same rule as `fitting.conformal_halfwidth`.

A village's range is the one stored for the total of as many months as are observed
(`CampaignImpact.totals`): ranges of single months do not add.

The overall range. The sum's error is the sum of the villages' errors, and those are not
independent (a hard winter, a new way of recording, a national campaign reach every
village at once), so the villages' ranges are not combined as if they were; the sum is
backtested as a sum instead. For each backtest origin k months before each village's
decision, the villages' errors of their m-month totals (m: the months observed of each)
are added in offences; so that an origin where some villages had no error (a shorter
series) still says something of the whole, that sum is divided by the size of what it
covers, the sum over those villages of scale x m. The conformal 80% quantile of those
relative sums, pooled over the origins, times the size of the whole (every village's
scale x m), is the half-width of the overall range. When every village has an error at
every origin, this is exactly the quantile of the sums of their errors.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from projectoffice.numbers import rounded

from ..periods import Month
from .conformal import conformal_quantile
from .models import CampaignImpact

MONTHS_AFTER = 12
# Months with a figure a village's settlement or okrug needs before the decision's month
# to be forecast (two years: a seasonal model needs them).
LEAST_BEFORE = 24


def _figure(number: float | None) -> Decimal | None:
    """A stored figure (two places), as the register adds it up; rounded where shown."""
    return None if number is None else rounded(Decimal(repr(float(number))), 2)


@dataclass
class VillageImpact:
    """One village's observed offences against its expected, over `months_observed`
    months after the decision (all 12 once they are over; none yet: the whole year's
    expectation, `observed` None)."""

    measured_at: str
    months_observed: int
    observed: Decimal | None
    expected: Decimal | None
    lower_80: Decimal | None
    upper_80: Decimal | None
    # For the overall range: scale x months, and the errors of the m-month total by origin.
    weight: float = 0.0
    errors: list[float | None] = field(default_factory=list)

    @property
    def so_far(self) -> bool:
        return self.months_observed < MONTHS_AFTER

    @property
    def outside(self) -> str:
        """ "below" or "above" the 80% range when the observed months fall outside it."""
        if self.observed is None or self.lower_80 is None or self.upper_80 is None:
            return ""
        if self.observed < self.lower_80:
            return "below"
        return "above" if self.observed > self.upper_80 else ""


def months_observed(impact: CampaignImpact, monthly: dict[int, Decimal], today: datetime.date) -> int:
    """Months after the decision that are over by `today` and have a figure, counted from
    the first until one is missing (at most 12)."""
    origin = Month.from_date(impact.origin)
    found = 0
    for h in range(1, MONTHS_AFTER + 1):
        month = origin.plus(h)
        if month.last_day >= today or month.index not in monthly:
            break
        found = h
    return found


def village_impact(impact: CampaignImpact, monthly: dict[int, Decimal], today: datetime.date) -> VillageImpact:
    """`monthly`: the place's own monthly figures by month index (`Month.index`)."""
    m = months_observed(impact, monthly, today)
    origin = Month.from_date(impact.origin)
    total = impact.totals[(m or MONTHS_AFTER) - 1]
    observed = sum((monthly[origin.plus(h).index] for h in range(1, m + 1)), Decimal(0)) if m else None
    return VillageImpact(
        measured_at=str(impact.region),
        months_observed=m,
        observed=observed,
        expected=_figure(total["value"]),
        lower_80=_figure(total["lower_80"]),
        upper_80=_figure(total["upper_80"]),
        weight=impact.scale * m,
        errors=[None if e is None else e * impact.scale for e in impact.errors[m - 1]] if m else [],
    )


@dataclass
class OverallImpact:
    """The villages' sums over the months observed of each, with the sum's 80% range."""

    villages: int
    village_months: int
    observed: Decimal
    expected: Decimal
    lower_80: Decimal | None
    upper_80: Decimal | None
    so_far: bool


def overall_impact(villages: Iterable[VillageImpact]) -> OverallImpact | None:
    """The campaign's effect over the villages with a month observed; None without one."""
    counted = [v for v in villages if v.months_observed and v.observed is not None and v.expected is not None]
    if not counted:
        return None
    expected = sum((v.expected for v in counted if v.expected is not None), Decimal(0))
    relative = []
    for k in range(max(len(v.errors) for v in counted)):
        present = [(v.errors[k], v.weight) for v in counted if k < len(v.errors) and v.errors[k] is not None]
        size = sum(w for _, w in present)
        if present and size > 0:
            relative.append(sum(e for e, _ in present if e is not None) / size)
    quantile = conformal_quantile(relative, 0.8)
    half = None if quantile is None else quantile * sum(v.weight for v in counted)
    return OverallImpact(
        villages=len(counted),
        village_months=sum(v.months_observed for v in counted),
        observed=sum((v.observed for v in counted if v.observed is not None), Decimal(0)),
        expected=expected,
        lower_80=None if half is None else rounded(max(Decimal(0), expected - Decimal(repr(half))), 2),
        upper_80=None if half is None else rounded(expected + Decimal(repr(half)), 2),
        so_far=any(v.so_far for v in counted),
    )
