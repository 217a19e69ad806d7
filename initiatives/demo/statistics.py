"""The demo's statistics: generated monthly KPI values from January 2024 to the last month
that is over, approved as the statistics arrive, and the import record that brought them.
The shape of the numbers is told in `initiatives.demo.programme`'s docstring."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from regions.models import Region

from ..models import ApprovalState, ImportBatch, Indicator, Value, ValueSource
from ..periods import Month, Period
from ..reference_data import first_level_population
from ..statistics.models import ImportStatus


def last_month() -> Month:
    """The last month that is over: the statistics of the month running are not in yet."""
    return Month.from_date(timezone.localdate()).plus(-1)


FIRST_MONTH = Month(2024, 1)


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


# Offences a year per 10,000 people, and how the level falls year on year.
YEARLY_RATE_PER_10K = 60
YEAR_LEVEL = {2024: 1.0, 2025: 0.94, 2026: 0.88}
YEARLY_FALL = 0.94  # after 2026
# More offences in summer than in winter.
SEASON = {1: 0.86, 2: 0.84, 3: 0.95, 4: 0.98, 5: 1.04, 6: 1.08, 7: 1.12, 8: 1.12, 9: 1.05, 10: 1.02, 11: 0.98, 12: 0.96}
# Population used only to size generated figures where no official figure is recorded.
FALLBACK_POPULATION = 750_000


def _months() -> list[Month]:
    return [Month.from_index(i) for i in range(FIRST_MONTH.index, last_month().index + 1)]


def _year_level(year: int) -> float:
    return YEAR_LEVEL.get(year, YEAR_LEVEL[2026] * YEARLY_FALL ** (year - 2026))


@dataclass(frozen=True)
class GeneratedValue:
    code: str
    kato: str
    period: Period
    value: Decimal
    source: str


def generate_values(regions: list[Region]) -> list[GeneratedValue]:
    """The demo's KPI values, the same on every run."""
    out: list[GeneratedValue] = []
    reference = first_level_population()
    for region in regions:
        rng = random.Random(f"demo-values-{region.kato}")  # noqa: S311 - demo numbers, not secrets
        known = reference.get(region.kato)
        population = known.population if known else FALLBACK_POPULATION
        alcohol_free = rng.randint(3, 25)
        for month in _months():
            period = Period(month, month)
            monthly = population * YEARLY_RATE_PER_10K / 10_000 / 12
            registered = round(monthly * _year_level(month.year) * SEASON[month.month] * rng.uniform(0.93, 1.07))
            misdemeanours = round(registered * 0.38)
            crimes = registered - misdemeanours
            minor, medium, grave = round(crimes * 0.28), round(crimes * 0.47), round(crimes * 0.19)
            fraud = round(crimes * 0.22)
            figures = {
                "crime.registered": registered,
                "crime.misdemeanours": misdemeanours,
                "crime.crimes": crimes,
                "crime.minor": minor,
                "crime.medium": medium,
                "crime.grave": grave,
                "crime.especially_grave": crimes - minor - medium - grave,
                "crime.theft": round(crimes * 0.36),
                "crime.fraud": fraud,
                "crime.internet_fraud": round(fraud * 0.62),
                "crime.robbery": round(crimes * 0.02),
                "crime.brigandage": round(crimes * 0.004),
                "crime.hooliganism": round(registered * 0.012),
                "crime.murder": round(crimes * 0.0035),
            }
            for code, number in figures.items():
                out.append(GeneratedValue(code, region.kato, period, Decimal(number), ValueSource.IMPORT))
            share = Decimal(str(round(88 + (month.index - FIRST_MONTH.index) * 0.2 + rng.uniform(-1.5, 1.5), 1)))
            out.append(GeneratedValue("cases.electronic_share", region.kato, period, share, ValueSource.IMPORT))
            # Alcohol-free settlements are counted from the campaign register
            # (`services.register`), never generated; the draw stays so that the figures
            # after it are the same as before.
            alcohol_free += rng.choice((0, 0, 1, 1, 2))
            out.append(
                GeneratedValue(
                    "events.legal_literacy", region.kato, period, Decimal(rng.randint(20, 80)), ValueSource.REPORT
                )
            )
            # Citizens rewarded are counted from the citizen register (`citizens`); the
            # draw stays so that the figures after it are the same as before.
            rng.randint(5, 40)
        if known:
            # The reference file's population, as the demo's figure for the end of 2025 (a
            # stock is read as at the end of its period), whatever day the file dates it.
            for year, scale in ((2023, Decimal("0.98")), (2024, Decimal("0.99")), (2025, Decimal(1))):
                out.append(
                    GeneratedValue(
                        "population",
                        region.kato,
                        Period.year(year),
                        Decimal(round(known.population * scale)),
                        ValueSource.IMPORT,
                    )
                )
    return out


def _values(regions: list[Region], user: User | None) -> int:
    """The generated figures a key has none of. A key that holds a value keeps it, whatever
    wrote it: a coordinator's report approved by the office, an import, a hand correction,
    or an earlier run of the demo."""
    indicators = {i.code: i for i in Indicator.objects.all()}
    by_kato = {r.kato: r for r in regions}
    existing = set(
        Value.objects.filter(region__in=regions, indicator__in=indicators.values()).values_list(
            "indicator_id", "region_id", "period_start", "period_end"
        )
    )
    to_create = []
    for g in generate_values(regions):
        indicator, region = indicators[g.code], by_kato[g.kato]
        if (indicator.pk, region.pk, g.period.first_day, g.period.end.first_day) in existing:
            continue
        row = Value(indicator=indicator, region=region, value=g.value, source=g.source)
        row.period = g.period
        row.approval_state, row.approved_at = ApprovalState.APPROVED, approved_at(g.period.end)
        to_create.append(row)
    bulk_create_with_history(to_create, Value, batch_size=2000, default_user=user)
    return len(to_create)
