import datetime
import math
import random

import pytest
from simple_history.utils import bulk_create_with_history

from initiatives.models import Indicator, Value
from initiatives.periods import Month, Period
from regions.models import Region, RegionKind
from tests.factories import RegionFactory, value

# The history the forecast tests read: 2022-06 .. 2026-09, written before T0.
FIRST, LAST = Month(2022, 6), Month(2026, 9)
T0 = datetime.datetime(2026, 10, 20, 9, 0, tzinfo=datetime.UTC)


def seasonal_counts(rng: random.Random, level: float, months: list[Month], *, peak: int = 7) -> list[int]:
    """Monthly counts around `level` with a seasonal swing peaking in month `peak`, a slow
    fall and Poisson-like noise: the shape of an offence series."""
    out = []
    for k, month in enumerate(months):
        mean = level * (1 + 0.15 * math.cos(2 * math.pi * (month.month - peak) / 12)) * (0.995**k)
        out.append(max(0, round(rng.gauss(mean, math.sqrt(mean)))))
    return out


@pytest.fixture
def theft_history(db) -> Indicator:  # type: ignore[no-untyped-def]
    """Thefts in every first-level region by month, and in two districts of Astana whose
    sum is below Astana's own figure (the forecast adds a hidden "rest of region"), and
    two of Almaty that add up to Almaty's (no rest); all written before T0."""
    theft = Indicator.objects.get(code="crime.theft")
    rng = random.Random(25)
    months = [Month.from_index(i) for i in range(FIRST.index, LAST.index + 1)]
    rows = []
    for region in Region.objects.filter(level=1).order_by("kato"):
        counts = seasonal_counts(rng, rng.uniform(30, 200), months, peak=rng.choice((1, 7)))
        if region.kato == "750000000":
            left = [round(c * 0.6) for c in counts]
            for kato, part in (("751000000", left), ("752000000", [c - p for c, p in zip(counts, left, strict=True)])):
                district = RegionFactory(kato=kato, parent=region, kind=RegionKind.DISTRICT)
                rows += [value(theft.code, district, Period(m, m), n) for m, n in zip(months, part, strict=True)]
        if region.kato == "710000000":
            for kato in ("711000000", "712000000"):
                district = RegionFactory(kato=kato, parent=region, kind=RegionKind.DISTRICT)
                part = [max(0, round(c * 0.3)) for c in counts]
                rows += [value(theft.code, district, Period(m, m), n) for m, n in zip(months, part, strict=True)]
        rows += [value(theft.code, region, Period(m, m), n) for m, n in zip(months, counts, strict=True)]
    bulk_create_with_history(rows, Value, default_date=T0 - datetime.timedelta(days=30))
    return theft
