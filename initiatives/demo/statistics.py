"""The demo's statistics: generated monthly KPI values from June 2022 (the first month all
20 first-level regions exist) to the last month that is over, approved as the statistics
arrive, and the import record that brought them.

What the offence figures promise (`tests/initiatives/test_demo_statistics.py` checks each):

- Every demo district has its own series of each offence KPI (the catalogue's group
  `offences`), and each first-level region's own monthly value is the exact sum of its
  districts', as form 1-M adds them up. The nation's is not stored: it is the regions' sum.
- They are consistent in every district and month: misdemeanours + crimes = registered;
  the four gravity classes add up to crimes; thefts, frauds, robberies, brigandage and
  murders are separate articles within crimes (together never more than crimes), murders
  within the grave and especially grave crimes, internet fraud within fraud, hooliganism
  within registered offences beside those articles.
- Misdemeanours, the four gravity classes, each article (fraud as internet fraud and the
  rest) and hooliganism are series of their own, with parameters drawn once per
  district and series (the same on every run) from fixed ranges,
  not tuned to any forecasting model: a trend of -8% to +4% a year, a seasonal swing of
  5-25% peaking in summer for some offences and in winter for others, negative-binomial
  noise with dispersion 5 to 20, and two shocks of +50% lasting two months each. Crimes,
  registered offences and fraud are the sums of their parts. Where an article's count
  would exceed what it belongs to (small counts, now and then), it is held to it.
- Sizes: about 60 offences a year per 10,000 people in January 2024 (the population of the
  regions' reference file), so a region's totals are what they were before districts.
  A region's districts share it unevenly, so that with the default number of districts
  about 40% of the district series average below 3 a month, as small districts' do.
- The okrugs of the five demo villages have registered offences of their own, a few a
  month, falling by half after the village's decision while it holds (what the campaign
  pages show). The okrug is part of its district, never more than it; the district's own
  value is written, so it is the district's figure whatever its okrugs hold.

The other KPIs stay at the first-level regions: the share of cases investigated
electronically, legal literacy events (which coordinators report) and the population of
the reference file. The districts themselves (their codes, names and share of the region)
are planned here and created by `programme.py`.
"""

import datetime
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from regions.kato import kato_level, kato_top
from regions.models import Region

from ..models import ApprovalState, ImportBatch, Indicator, Value, ValueSource
from ..periods import Month, Period
from ..reference_data import first_level_population, indicator_rows
from ..statistics.models import ImportStatus


def last_month() -> Month:
    """The last month that is over: the statistics of the month running are not in yet."""
    return Month.from_date(timezone.localdate()).plus(-1)


# Abai, Jetisu and Ulytau regions were formed on 8 June 2022.
FIRST_MONTH = Month(2022, 6)


def approved_at(month: Month) -> datetime.datetime:
    """When a month's figures were "approved": the 10th of the month after (or this
    morning, when that is still to come), as the statistics arrive."""
    after = month.plus(1)
    tenth = datetime.datetime(after.year, after.month, 10, 9, 0, tzinfo=datetime.UTC)
    return min(tenth, timezone.now().replace(hour=0, minute=0, second=0, microsecond=0))


def _statistics_import_record(rows: int) -> None:
    """The import that brought last month's statistics, as an office's log shows it: the
    pages say their figures are "as of" it."""
    last = last_month()
    ImportBatch.objects.get_or_create(
        file_name=f"form-1m-{last}.xlsx",
        defaults={
            "status": ImportStatus.SUCCEEDED,
            "rows": rows,
            "created": rows,
            "started_at": approved_at(last),
            "finished_at": approved_at(last),
        },
    )


# --- Sizes ----------------------------------------------------------------------------

# Offences a year per 10,000 people in ANCHOR_MONTH; each series' trend runs from there.
YEARLY_RATE_PER_10K = 60
ANCHOR_MONTH = Month(2024, 1)
# Population used only to size generated figures where no official figure is recorded.
FALLBACK_POPULATION = 750_000
# How many districts `seed_demo` makes unless told (`--districts`): `make run` stays quick.
DEFAULT_DISTRICTS = 200
# How unevenly a region's districts share it: the sigma of the logarithm of a district's
# weight. With DEFAULT_DISTRICTS, about 40% of the district series average below 3 a month.
DISTRICT_SPREAD = 0.6
# The two digits of a district in its code (`AB CD 00 000`): 10, 12, ... 98, then 11 ... 99.
DISTRICT_NUMBERS = [*range(10, 100, 2), *range(11, 100, 2)]

# --- The parameters of every series, fixed -------------------------------------------

TREND_PER_YEAR = (-0.08, 0.04)
SEASONAL_AMPLITUDE = (0.05, 0.25)
DISPERSION = (5.0, 20.0)
SHOCKS = 2
SHOCK_MONTHS = 2
SHOCK_RISE = 0.5
# Shocks fall in months every run of the demo has, so a later run draws the same ones.
SHOCK_WINDOW = (FIRST_MONTH, Month(2026, 6))
SUMMER_PEAKS = (6, 7, 8)
WINTER_PEAKS = (12, 1, 2)
# The demo villages' okrugs: registered offences a month, and what is left after a decision.
OKRUG_MONTHLY = 5.0
OKRUG_FALL = 0.5

# --- What the offences are made of ----------------------------------------------------

REGISTERED = "crime.registered"
MISDEMEANOURS = "crime.misdemeanours"
CRIMES = "crime.crimes"
GRAVITY = ("crime.minor", "crime.medium", "crime.grave", "crime.especially_grave")
MURDER, BRIGANDAGE, ROBBERY, FRAUD, THEFT = (
    "crime.murder",
    "crime.brigandage",
    "crime.robbery",
    "crime.fraud",
    "crime.theft",
)
# Separate articles within crimes, the rarest first: each is held to what the ones before
# it leave of crimes, so the largest (theft) gives way, if any must.
ARTICLES = (MURDER, BRIGANDAGE, ROBBERY, FRAUD, THEFT)
INTERNET_FRAUD = "crime.internet_fraud"
HOOLIGANISM = "crime.hooliganism"
# Not a KPI: fraud other than internet fraud, a series of its own; fraud is the sum of both.
OTHER_FRAUD = "other-fraud"
CRIME_SHARE = 0.62
# Each generated series: its share of registered offences, and whether it peaks in summer.
SERIES: dict[str, tuple[float, bool]] = {
    MISDEMEANOURS: (0.38, True),
    "crime.minor": (CRIME_SHARE * 0.28, True),
    "crime.medium": (CRIME_SHARE * 0.47, True),
    "crime.grave": (CRIME_SHARE * 0.19, True),
    "crime.especially_grave": (CRIME_SHARE * 0.06, False),
    MURDER: (CRIME_SHARE * 0.0035, False),
    BRIGANDAGE: (CRIME_SHARE * 0.004, True),
    ROBBERY: (CRIME_SHARE * 0.02, True),
    OTHER_FRAUD: (CRIME_SHARE * 0.22 * 0.38, False),
    INTERNET_FRAUD: (CRIME_SHARE * 0.22 * 0.62, False),
    THEFT: (CRIME_SHARE * 0.36, True),
    HOOLIGANISM: (0.012, True),
}
OFFENCES = (REGISTERED, MISDEMEANOURS, CRIMES, *GRAVITY, *ARTICLES, INTERNET_FRAUD, HOOLIGANISM)


def outcome_kpi() -> str:
    """The catalogue's outcome KPI (of the villages' campaigns): what the okrugs have."""
    return next(row["code"] for row in indicator_rows() if "outcome" in row["role"].split())


# --- The districts --------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDistrict:
    """A district the demo makes, with its illustrative code and its share of the region."""

    kato: str
    region: str  # the first-level region's KATO
    number: int  # its place in the region's list of codes, for an illustrative name
    share: float  # of the region's offences


@functools.cache
def _region_population(kato: str) -> int:
    known = first_level_population().get(kato)
    return known.population if known else FALLBACK_POPULATION


def _allocate(regions: Sequence[str], total: int) -> dict[str, int]:
    """`total` districts over the regions by population, at least one each (largest
    remainders first)."""
    if not len(regions) <= total <= len(regions) * len(DISTRICT_NUMBERS):
        raise ValueError(f"the demo makes {len(regions)} to {len(regions) * len(DISTRICT_NUMBERS)} districts")
    population = {kato: _region_population(kato) for kato in regions}
    whole = sum(population.values())
    quota = {kato: total * people / whole for kato, people in population.items()}
    count = {kato: min(max(1, math.floor(q)), len(DISTRICT_NUMBERS)) for kato, q in quota.items()}
    while (gap := total - sum(count.values())) != 0:
        if gap > 0:
            open_ = [k for k in regions if count[k] < len(DISTRICT_NUMBERS)]
            chosen = max(open_, key=lambda k: (quota[k] - count[k], k))
            count[chosen] += 1
        else:
            chosen = min((k for k in regions if count[k] > 1), key=lambda k: (quota[k] - count[k], k))
            count[chosen] -= 1
    return count


def demo_districts(regions: Sequence[str], total: int, keep: Sequence[str] = ()) -> list[DemoDistrict]:
    """`total` districts of the first-level `regions`, by population; the codes in `keep`
    (the demo villages' districts) among them, each the first of its region."""
    if any(kato_level(code) != 2 or int(code[2:4]) not in DISTRICT_NUMBERS for code in keep):
        raise ValueError(f"not all of {keep} are district codes of the demo's form")
    kept = {kato_top(code): code for code in keep}
    out: list[DemoDistrict] = []
    for region, count in _allocate(regions, total).items():
        codes = [f"{region[:2]}{n:02d}00000" for n in DISTRICT_NUMBERS]
        if region in kept:
            codes.remove(kept[region])
            codes.insert(0, kept[region])
        chosen = codes[:count]
        weights = []
        for code in chosen:
            weight = random.Random(f"demo-district-{code}").lognormvariate(0, DISTRICT_SPREAD)  # noqa: S311 - demo numbers
            # A village's district is big enough to hold its okrug's few a month.
            weights.append(max(weight, 1.0) if code == kept.get(region) else weight)
        for code, weight in zip(chosen, weights, strict=True):
            number = DISTRICT_NUMBERS.index(int(code[2:4])) + 1
            out.append(DemoDistrict(code, region, number, weight / sum(weights)))
    return out


@dataclass(frozen=True)
class DemoOkrug:
    """A demo village's okrug: its district, and the months its offences stay low."""

    kato: str
    district: str
    low_from: Month | None  # the month after the village's decision
    low_until: Month | None = None  # the month its status lapsed; None: still holds

    def low_in(self, month: Month) -> bool:
        if self.low_from is None or month.index < self.low_from.index:
            return False
        return self.low_until is None or month.index < self.low_until.index


# --- One series -----------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesParameters:
    trend: float  # a year, as a fraction
    amplitude: float  # the seasonal swing, as a fraction of the level
    peak: int  # the month of the seasonal high
    dispersion: float  # of the negative-binomial noise: the smaller, the noisier
    shocks: tuple[int, ...]  # the month indices at which a shock starts


def series_parameters(key: str, summer: bool) -> SeriesParameters:
    """A series' parameters, drawn from the fixed ranges; the same for the same key."""
    rng = random.Random(f"demo-parameters-{key}")  # noqa: S311 - demo numbers, not secrets
    trend = rng.uniform(*TREND_PER_YEAR)
    amplitude = rng.uniform(*SEASONAL_AMPLITUDE)
    peak = rng.choice(SUMMER_PEAKS if summer else WINTER_PEAKS)
    dispersion = rng.uniform(*DISPERSION)
    first, last = SHOCK_WINDOW[0].index, SHOCK_WINDOW[1].index - SHOCK_MONTHS + 1
    shocks: list[int] = []
    while len(shocks) < SHOCKS:
        start = rng.randint(first, last)
        if all(abs(start - other) >= SHOCK_MONTHS + 1 for other in shocks):  # apart, not back to back
            shocks.append(start)
    return SeriesParameters(trend, amplitude, peak, dispersion, tuple(sorted(shocks)))


def expected(p: SeriesParameters, level: float, month: Month) -> float:
    """The series' mean in a month: its level at ANCHOR_MONTH moved by trend, season and shock."""
    years = (month.index - ANCHOR_MONTH.index) / 12
    season = 1 + p.amplitude * math.cos(2 * math.pi * (month.month - p.peak) / 12)
    shocked = any(start <= month.index < start + SHOCK_MONTHS for start in p.shocks)
    trend: float = math.pow(1 + p.trend, years)
    return level * trend * season * (1 + SHOCK_RISE if shocked else 1)


def _poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw: by multiplication for a small mean, else by transformed rejection
    (Hörmann's PTRS, as numpy draws it)."""
    if mean < 10:
        limit, k, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    root, log_mean = math.sqrt(mean), math.log(mean)
    b = 0.931 + 2.53 * root
    a = -0.059 + 0.02483 * b
    inverse_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + mean + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inverse_alpha) - math.log(a / (us * us) + b) <= -mean + k * log_mean - math.lgamma(
            k + 1
        ):
            return k


def negative_binomial(mean: float, dispersion: float, rng: random.Random) -> int:
    """A count around `mean` with variance mean + mean² / dispersion: a Poisson count
    whose own mean is drawn from a gamma distribution."""
    return _poisson(rng.gammavariate(dispersion, mean / dispersion), rng) if mean > 0 else 0


def series(key: str, p: SeriesParameters, level: float, months: Sequence[Month]) -> list[int]:
    """Counts month by month, a negative-binomial draw around the expected mean. The
    draws go month after month from FIRST_MONTH, so a later run gives the same counts for
    the months before."""
    rng = random.Random(f"demo-noise-{key}")  # noqa: S311 - demo numbers, not secrets
    return [negative_binomial(expected(p, level, month), p.dispersion, rng) for month in months]


# --- All the values -------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedValue:
    code: str
    kato: str
    period: Period
    value: Decimal
    source: str


def months_through(last: Month) -> list[Month]:
    return [Month.from_index(i) for i in range(FIRST_MONTH.index, last.index + 1)]


def district_offences(district: DemoDistrict, months: Sequence[Month]) -> dict[str, list[int]]:
    """Every offence KPI of one district, month by month, consistent in each month."""
    monthly = _region_population(district.region) * YEARLY_RATE_PER_10K / 10_000 / 12 * district.share
    drawn = {
        code: series(
            f"{district.kato}-{code}", series_parameters(f"{district.kato}-{code}", summer), monthly * share, months
        )
        for code, (share, summer) in SERIES.items()
    }
    out: dict[str, list[int]] = {code: [] for code in OFFENCES}
    for i in range(len(months)):
        gravity = {code: drawn[code][i] for code in GRAVITY}
        crimes = sum(gravity.values())
        registered = drawn[MISDEMEANOURS][i] + crimes
        wanted = {code: drawn[code][i] for code in ARTICLES if code != FRAUD}
        wanted[FRAUD] = drawn[OTHER_FRAUD][i] + drawn[INTERNET_FRAUD][i]
        left = crimes
        articles = {}
        for code in ARTICLES:
            bound = min(left, gravity["crime.grave"] + gravity["crime.especially_grave"]) if code == MURDER else left
            articles[code] = min(wanted[code], bound)
            left -= articles[code]
        figures = {
            REGISTERED: registered,
            MISDEMEANOURS: drawn[MISDEMEANOURS][i],
            CRIMES: crimes,
            **gravity,
            **articles,
            INTERNET_FRAUD: min(drawn[INTERNET_FRAUD][i], articles[FRAUD]),
            HOOLIGANISM: min(drawn[HOOLIGANISM][i], registered - sum(articles.values())),
        }
        for code, number in figures.items():
            out[code].append(number)
    return out


def okrug_offences(okrug: DemoOkrug, district_registered: Sequence[int], months: Sequence[Month]) -> list[int]:
    """A demo village's okrug: a few a month, half as many while the village's decision
    holds, never more than its district."""
    p = series_parameters(f"{okrug.kato}-okrug", summer=True)
    p = SeriesParameters(p.trend, p.amplitude, p.peak, p.dispersion, shocks=())
    rng = random.Random(f"demo-noise-{okrug.kato}-okrug")  # noqa: S311 - demo numbers, not secrets
    out = []
    for month, ceiling in zip(months, district_registered, strict=True):
        mean = expected(p, OKRUG_MONTHLY * (OKRUG_FALL if okrug.low_in(month) else 1), month)
        out.append(min(negative_binomial(mean, p.dispersion, rng), ceiling))
    return out


def generate_values(
    regions: Sequence[str],
    districts: Sequence[DemoDistrict],
    okrugs: Sequence[DemoOkrug] = (),
    last: Month | None = None,
) -> list[GeneratedValue]:
    """The demo's KPI values through `last` (the last month that is over), the same on
    every run: the districts' offences, each region's as the sum of its districts', the
    okrugs' registered offences, and the regions' other KPIs."""
    months = months_through(last or last_month())
    periods = [Period(month, month) for month in months]
    out: list[GeneratedValue] = []
    by_region: dict[str, dict[str, list[int]]] = {}
    registered_of: dict[str, list[int]] = {}
    for district in districts:
        figures = district_offences(district, months)
        registered_of[district.kato] = figures[REGISTERED]
        totals = by_region.setdefault(district.region, {code: [0] * len(months) for code in OFFENCES})
        for code, numbers in figures.items():
            for i, number in enumerate(numbers):
                totals[code][i] += number
                out.append(GeneratedValue(code, district.kato, periods[i], Decimal(number), ValueSource.IMPORT))
    outcome = outcome_kpi()
    for okrug in okrugs:
        for period, number in zip(periods, okrug_offences(okrug, registered_of[okrug.district], months), strict=True):
            out.append(GeneratedValue(outcome, okrug.kato, period, Decimal(number), ValueSource.IMPORT))
    reference = first_level_population()
    for region in regions:
        for code, numbers in by_region.get(region, {}).items():
            for period, number in zip(periods, numbers, strict=True):
                out.append(GeneratedValue(code, region, period, Decimal(number), ValueSource.IMPORT))
        out.extend(_region_context(region, months))
        known = reference.get(region)
        if known:
            # The reference file's population, as the demo's figure for the end of 2025 (a
            # stock is read as at the end of its period), whatever day the file dates it.
            for year, scale in ((2023, Decimal("0.98")), (2024, Decimal("0.99")), (2025, Decimal(1))):
                people = Decimal(round(known.population * scale))
                out.append(GeneratedValue("population", region, Period.year(year), people, ValueSource.IMPORT))
    return out


def _region_context(region: str, months: Sequence[Month]) -> list[GeneratedValue]:
    """A region's share of cases investigated electronically (rising) and its legal
    literacy events (as coordinators report them)."""
    rng = random.Random(f"demo-values-{region}")  # noqa: S311 - demo numbers, not secrets
    out = []
    for month in months:
        period = Period(month, month)
        rising = 88 + (month.index - ANCHOR_MONTH.index) * 0.2 + rng.uniform(-1.5, 1.5)
        share = Decimal(str(round(min(rising, 99.5), 1)))
        out.append(GeneratedValue("cases.electronic_share", region, period, share, ValueSource.IMPORT))
        events = Decimal(rng.randint(20, 80))
        out.append(GeneratedValue("events.legal_literacy", region, period, events, ValueSource.REPORT))
    return out


def statistics_rows(values: Sequence[GeneratedValue], month: Month) -> int:
    """The rows of a month's form 1-M among the generated values: every monthly import."""
    return sum(1 for g in values if g.source == ValueSource.IMPORT and g.period == Period(month, month))


def _values(generated: Sequence[GeneratedValue], user: User | None) -> int:
    """The generated figures a key has none of. A key that holds a value keeps it, whatever
    wrote it: a coordinator's report approved by the office, an import, a hand correction,
    or an earlier run of the demo."""
    indicators = {i.code: i.pk for i in Indicator.objects.all()}
    regions = dict(Region.objects.filter(kato__in={g.kato for g in generated}).values_list("kato", "pk"))
    existing = set(
        Value.objects.filter(region__in=regions.values(), indicator__in=indicators.values()).values_list(
            "indicator_id", "region_id", "period_start", "period_end"
        )
    )
    new = [
        g
        for g in generated
        if (indicators[g.code], regions[g.kato], g.period.first_day, g.period.end.first_day) not in existing
    ]
    _write(new, indicators, regions, user)
    return len(new)


# What a new value row holds, in this order; `_write` gives them all.
_WRITTEN = (
    "indicator_id",
    "region_id",
    "period_start",
    "period_end",
    "value",
    "source",
    "approval_state",
    "approved_at",
    "approved_by_id",
    "comment",
    "report_id",
    "import_batch_id",
    "created_at",
    "updated_at",
)


def _write(
    new: Sequence[GeneratedValue], indicators: dict[str, int], regions: dict[str, int], user: User | None
) -> None:
    """The new values, approved in the month after their own, and their '+' history copied
    from the rows this run wrote, in SQL as the statistics import writes them
    (`initiatives/statistics/`): the ORM's bulk_create took most of a seed's time
    preparing every field of 170,000 rows one by one. The rollups follow by their
    triggers, as for any write."""
    if not new:
        return
    ops = connection.ops
    now = timezone.now()
    stamp = ops.adapt_datetimefield_value(now)
    approved = {month: ops.adapt_datetimefield_value(approved_at(month)) for month in {g.period.end for g in new}}
    rows = [
        (
            indicators[g.code],
            regions[g.kato],
            ops.adapt_datefield_value(g.period.first_day),
            ops.adapt_datefield_value(g.period.end.first_day),
            ops.adapt_decimalfield_value(g.value),
            g.source,
            ApprovalState.APPROVED,
            approved[g.period.end],
            None,
            "",
            None,
            None,
            stamp,
            stamp,
        )
        for g in new
    ]
    table = ops.quote_name(Value._meta.db_table)
    history = ops.quote_name(str(Value.history.model._meta.db_table))
    copied = ", ".join(ops.quote_name(str(f.column)) for f in Value._meta.concrete_fields)
    columns = ", ".join(_WRITTEN)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - names from model metadata
        (before,) = cursor.fetchone()
        if connection.vendor == "postgresql":
            # One statement, so its statement triggers run once, over all the rows.
            with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # row triggers: one row a statement costs nothing more
            placeholders = ", ".join(["%s"] * len(_WRITTEN))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {history} ({copied}, history_date, history_change_reason, history_type, history_user_id) "  # noqa: S608
            f"SELECT {copied}, %s, NULL, '+', %s FROM {table} WHERE id > %s AND created_at = %s",
            [stamp, user.pk if user else None, before, stamp],
        )
