import datetime
import math
import random
from decimal import Decimal

import pytest
from simple_history.utils import bulk_create_with_history

from initiatives.models import ApprovalState, Indicator, Value, ValueSource
from initiatives.periods import Month, Period
from regions.models import Region, RegionKind
from tests.factories import IMPORT_APPROVED_AT, AlertFactory, DetectionRunFactory, RegionFactory

# The series the detection tests read: 2022-06 .. 2026-09, written before T0; the month
# tested is the last one.
FIRST, LAST = Month(2022, 6), Month(2026, 9)
T0 = datetime.datetime(2026, 10, 20, 9, 0, tzinfo=datetime.UTC)
MONTHS = [Month.from_index(i) for i in range(FIRST.index, LAST.index + 1)]
DISTRICTS = {"710000000": ("711000000", "712000000"), "750000000": ("751000000", "752000000")}


def seasonal(rng: random.Random, level: float, *, peak: int) -> list[int]:
    """Monthly counts around `level` with a seasonal swing and overdispersed noise (a
    gamma-Poisson mixture: the shape of an offence series)."""
    out = []
    for month in MONTHS:
        mean = level * (1 + 0.2 * math.cos(2 * math.pi * (month.month - peak) / 12))
        rate = rng.gammavariate(20.0, mean / 20.0)
        # Poisson by inversion (small means) or its normal approximation (large ones).
        if rate < 30:
            k, p, s, u = 0, math.exp(-rate), math.exp(-rate), rng.random()
            while u > s:
                k += 1
                p *= rate / k
                s += p
            out.append(k)
        else:
            out.append(max(0, round(rng.gauss(rate, math.sqrt(rate)))))
    return out


def _row(kpi: Indicator, region: Region, month: Month, number: int) -> Value:
    row = Value(
        indicator=kpi,
        region=region,
        value=Decimal(number),
        source=ValueSource.IMPORT,
        approval_state=ApprovalState.APPROVED,
        approved_at=IMPORT_APPROVED_AT,
    )
    row.period = Period(month, month)
    return row


def write_series(codes: tuple[str, ...], seed: int = 26) -> dict[str, dict[str, list[int]]]:
    """Each KPI of `codes` in every first-level region and in two districts each of Astana
    and Almaty (their region's own figure is the sum of its two districts); returns the
    counts by KPI and KATO."""
    rng = random.Random(seed)
    written: dict[str, dict[str, list[int]]] = {}
    rows = []
    districts = {}
    for region_kato, katos in DISTRICTS.items():
        region = Region.objects.get(kato=region_kato)
        for kato in katos:
            districts[kato] = Region.objects.filter(kato=kato).first() or RegionFactory(
                kato=kato, parent=region, kind=RegionKind.DISTRICT
            )
    for code in codes:
        kpi = Indicator.objects.get(code=code)
        counts: dict[str, list[int]] = {}
        for region in Region.objects.filter(level=1).order_by("kato"):
            if region.kato in DISTRICTS:
                parts = [seasonal(rng, rng.uniform(8, 40), peak=rng.choice((1, 7))) for _ in range(2)]
                for kato, part in zip(DISTRICTS[region.kato], parts, strict=True):
                    counts[kato] = part
                    rows += [_row(kpi, districts[kato], m, n) for m, n in zip(MONTHS, part, strict=True)]
                own = [a + b for a, b in zip(*parts, strict=True)]
            else:
                own = seasonal(rng, rng.uniform(20, 150), peak=rng.choice((1, 7)))
            counts[region.kato] = own
            rows += [_row(kpi, region, m, n) for m, n in zip(MONTHS, own, strict=True)]
        written[code] = counts
    bulk_create_with_history(rows, Value, default_date=T0 - datetime.timedelta(days=30))
    return written


@pytest.fixture
def series(db):  # type: ignore[no-untyped-def]
    """Thefts (lower is better) and legal-literacy events (higher is better)."""
    return write_series(("crime.theft", "events.legal_literacy"))


# --- Stored alerts for the readers' tests (page, API, strip, admin)


@pytest.fixture
def november(db: None) -> dict[str, object]:
    """November 2026 detected: two rises in Astana (one withdrawn), a rise and a fall in
    Almaty; October's alert in Astana, reviewed before."""
    DetectionRunFactory(month="2026-10")
    DetectionRunFactory(month="2026-11")
    return {
        "astana": AlertFactory(),
        "astana_withdrawn": AlertFactory(kpi="crime.theft", withdrawn=True),
        "almaty": AlertFactory(kato="750000000", kpi="crime.fraud"),
        "almaty_fall": AlertFactory(
            kato="750000000", kpi="crime.theft", adverse="fall", observed=12, expected=30, lower=18, upper=44
        ),
        "october": AlertFactory(month="2026-10", kind="persistent", persists=True),
    }
