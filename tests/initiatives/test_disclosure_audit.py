"""The public figures give away no small count: an audit by linear programming.

What an outsider has: every figure of every release the public has seen (value and the
year before, nationally and by region), that the nation is the sum of the regions, that
registered = misdemeanours + crimes and crimes = the four gravity classes, that internet
fraud is part of fraud, that every month's count is at least 0, and that a count shown as
"<5" is between 1 and 4. The unknowns are every region's count of every KPI in every
month (so successive year-to-date releases, and a quarter beside them, are tied together
as they really are). For every sensitive quantity, a count from 1 to 4 that the public
could read (a withheld cell; the months between two published spans; fraud other than
internet fraud), the audit computes the least and the greatest value the published
figures allow (two linear programmes): the criterion is that this interval holds the
whole of 1..4, so the publication says no more of it than "<5" does.

The bounds are of the linear relaxation (what tau-ARGUS and national statistics offices
audit with): an attacker allowed only whole numbers could in principle narrow an interval
whose ends are not whole; the figures here are sums of whole counts, whose bounds come
out whole (checked below).
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from initiatives.models import PublicFigure, Release, ReleaseFigure
from initiatives.periods import Period
from initiatives.services.releases import release_confirm, release_publish
from regions.models import Region
from tests.factories import GRAVITY, T0, offence_months, year_months

pytestmark = pytest.mark.django_db

THRESHOLD = 5  # the default of PUBLIC_SUPPRESSION_THRESHOLD
KPIS = ("crime.registered", "crime.misdemeanours", "crime.crimes", *GRAVITY, "crime.fraud", "crime.internet_fraud")
MONTHS = [*year_months(2025, 6), *year_months(2026, 6)]


@pytest.fixture
def three_releases(office, second_office, settings) -> list[Release]:  # type: ignore[no-untyped-def]
    """Successive year-to-date releases (January-March, January-June) and the second
    quarter: the quarter is the difference of the other two."""
    settings.PUBLIC_SUPPRESSION_THRESHOLD = THRESHOLD
    offence_months(20261202, MONTHS, small=0.35, tiny=("crime.especially_grave", "crime.internet_fraud"))
    out = []
    for day, period in enumerate(("2026-01/2026-03", "2026-01/2026-06", "2026-Q2")):
        with time_machine.travel(T0 + datetime.timedelta(days=day), tick=True):
            release = release_publish(period=Period.parse(period), user=office)
            out.append(release_confirm(release=release, user=second_office))
    return out


class Audit:
    """The outsider's linear model: one unknown per KPI, region and month."""

    def __init__(self, regions: list[str], *, labels: bool) -> None:
        self.regions, self.labels = regions, labels
        self.index = {
            (k, r, m.index): i for i, (k, r, m) in enumerate((k, r, m) for k in KPIS for r in regions for m in MONTHS)
        }
        self.eq: list[tuple[dict[int, float], float]] = []
        self.ub: list[tuple[dict[int, float], float]] = []
        for r in regions:
            for m in MONTHS:
                x = lambda k, r=r, m=m: self.index[(k, r, m.index)]  # noqa: E731
                self.eq.append(({x("crime.registered"): 1, x("crime.misdemeanours"): -1, x("crime.crimes"): -1}, 0))
                self.eq.append(({x("crime.crimes"): 1, **{x(g): -1 for g in GRAVITY}}, 0))
                self.ub.append(({x("crime.internet_fraud"): 1, x("crime.fraud"): -1}, 0))

    def cell(self, kpi: str, kato: str, span: Period) -> dict[int, float]:
        where = self.regions if kato == "" else [kato]
        months = range(span.start.index, span.end.index + 1)
        return {self.index[(kpi, r, m)]: 1.0 for r in where for m in months}

    def shown(self, row: dict[int, float], number: Decimal) -> None:
        self.eq.append((row, float(number)))

    def below(self, row: dict[int, float]) -> None:
        if not self.labels:
            return
        self.ub.append((row, THRESHOLD - 1))
        self.ub.append(({i: -c for i, c in row.items()}, -1))

    def bounds(self, row: dict[int, float]) -> tuple[float, float]:
        def matrix(rows: list[tuple[dict[int, float], float]]) -> tuple[object, list[float]]:
            m = lil_matrix((len(rows), len(self.index)))
            for n, (coefficients, _b) in enumerate(rows):
                for i, c in coefficients.items():
                    m[n, i] = c
            return m.tocsr(), [b for _c, b in rows]

        if not hasattr(self, "_matrices"):
            self._matrices = (*matrix(self.eq), *matrix(self.ub))
        a_eq, b_eq, a_ub, b_ub = self._matrices
        out = []
        for sign in (1, -1):
            c = [0.0] * len(self.index)
            for i, coefficient in row.items():
                c[i] = sign * coefficient
            found = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            assert found.status in (0, 3), found.message  # 3: unbounded above, as wide as can be
            out.append(sign * found.fun if found.status == 0 else float("inf"))
        return out[0], out[1]


def test_no_count_below_the_threshold_can_be_worked_out_from_everything_published(three_releases) -> None:
    regions = list(Region.objects.filter(level=1).order_by("kato").values_list("kato", flat=True))
    audit = Audit(regions, labels=False)
    labelled = Audit(regions, labels=True)
    truth: dict[tuple[str, str, Period], Decimal] = {}
    sensitive: list[tuple[str, dict[int, float]]] = []
    withheld_to_protect: list[tuple[str, dict[int, float]]] = []
    for release in three_releases:
        frozen = {
            (f.indicator.code, f.region.kato if f.region else ""): f
            for f in ReleaseFigure.objects.filter(release=release, indicator__code__in=KPIS).select_related(
                "indicator", "region"
            )
        }
        for p in PublicFigure.objects.filter(release=release, indicator__code__in=KPIS).select_related(
            "indicator", "region"
        ):
            code, kato = p.indicator.code, p.region.kato if p.region else ""
            f = frozen[(code, kato)]
            for span, shown, mark, real in (
                (release.span, p.value, p.value_suppressed, f.value),
                (release.span.year_before(), p.previous, p.previous_suppressed, f.previous),
            ):
                assert real is not None  # the data are complete
                truth[(code, kato, span)] = real
                row = audit.cell(code, kato, span)
                name = f"{code} {kato or 'KZ'} {span}"
                if mark == "":
                    assert shown == real
                    audit.shown(row, shown)
                    labelled.shown(row, shown)
                elif mark == "below":
                    assert 1 <= real < THRESHOLD and shown is None
                    labelled.below(row)
                    sensitive.append((name, row))
                else:
                    assert shown is None
                    withheld_to_protect.append((name, row))
    # Small counts that are differences of published ones.
    for (code, kato, a), small in truth.items():
        for (code_b, kato_b, b), large in truth.items():
            if (code_b, kato_b) == (code, kato) and a != b and b.start <= a.start and a.end <= b.end:
                if 1 <= large - small < THRESHOLD:
                    between = {i: c for i, c in audit.cell(code, kato, b).items()}
                    for i in audit.cell(code, kato, a):
                        between[i] -= 1
                    sensitive.append((f"{code} {kato or 'KZ'} {b} less {a}", {i: c for i, c in between.items() if c}))
        if code == "crime.fraud" and (internet := truth.get(("crime.internet_fraud", kato, a))) is not None:
            if 1 <= small - internet < THRESHOLD:
                other = dict(audit.cell(code, kato, a))
                for i in audit.cell("crime.internet_fraud", kato, a):
                    other[i] = other.get(i, 0) - 1
                sensitive.append((f"fraud other than internet fraud {kato or 'KZ'} {a}", other))

    withheld = sum(1 for name, _row in sensitive if " less " not in name and "other than" not in name)
    assert withheld >= 10, "the data must hold small counts for the audit to mean anything"
    narrow, determined = [], []
    for name, row in [*sensitive, *withheld_to_protect]:
        low, high = audit.bounds(row)
        if high - low < THRESHOLD - 1e-6:
            narrow.append(f"{name}: {low:g}..{high:g}")
    for name, row in sensitive:
        low, high = labelled.bounds(row)
        if high - low < 1 - 1e-6:
            determined.append(f"{name}: {low:g}..{high:g}")
    assert not narrow, f"{len(narrow)} of {len(sensitive) + len(withheld_to_protect)} narrowed: {narrow[:10]}"
    assert not determined, f"{len(determined)} of {len(sensitive)} small counts determined: {determined[:10]}"


def test_the_public_csv_shows_no_count_below_the_threshold(three_releases, client) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for release in three_releases:
        for code in KPIS:
            lines = client.get("/public/", {"kpi": code, "period": release.period, "format": "csv"}).content
            rows = [line.split(",") for line in lines.decode().splitlines()]
            assert rows[0] == [
                "kato", "name", "value", "previous", "change_percent", "rate_per_10k", "target", "status",
                "status_name", "suppressed",
            ]  # fmt: skip
            for row in rows[1:]:
                for cell in (row[2], row[3]):
                    assert cell == "" or Decimal(cell) == 0 or Decimal(cell) >= THRESHOLD, (code, row)
                if row[9]:
                    assert row[2] == "" and row[4] == "" and row[5] == "" and row[7] == "" and row[8] == ""
                if row[3] == "":
                    assert row[4] == ""
                checked += 1
            assert sum(1 for row in rows[1:] if row[9] == "below") >= (code == "crime.especially_grave")
    assert checked == 3 * len(KPIS) * 21
