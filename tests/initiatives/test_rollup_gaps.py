"""Gaps told from the rollups' counts: which children lack what is found by counting, and
only those are read, so an incomplete national summary reads what a complete one reads
plus the few incomplete units, whatever the number of complete ones. Every figure (value,
completeness, method, what is missing item by item, partial value, carried forward;
rate, population, breakdown, estimate) is the one the values give, and the one the book
gives walking every child as it did before."""

import datetime
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db.backends.utils import CursorWrapper

from initiatives.engine.facts import RollupBook, rules_of
from initiatives.engine.summary import Summary, kpi_summary, summary_rules
from initiatives.models import Indicator, Value
from initiatives.periods import Month, Period
from regions.models import Region, RegionKind
from tests.factories import MONTHS, RegionFactory, districts, value

from .conftest import flat

pytestmark = pytest.mark.django_db

SPAN = Period.parse("2025-01/2025-09")
AKMOLA, JETISU, ASTANA = "110000000", "330000000", "710000000"


class WalkingBook(RollupBook):
    """The book as it was: an incomplete sum walks every child of the region."""

    counts_children = False


def monthly(code: str, regions: list[Region], rng: random.Random, months: list[Month] = MONTHS) -> None:
    Value.objects.bulk_create(
        value(code, r, Period(m, m), rng.randint(0, 400))
        for r in regions
        for m in months
        if (r.valid_from is None or m.first_day >= r.valid_from.replace(day=1))
        and (r.valid_to is None or m.first_day <= r.valid_to)
    )


def base(per_region: int, *, start: int = 1, seed: int = 1) -> list[Region]:
    """Monthly thefts of every district for 2024-2025; population by region (with the
    first call: a year's figure and a mid-year one)."""
    rng = random.Random(seed)
    units = districts(per_region, start=start)
    monthly("crime.theft", units, rng)
    if start == 1:
        tops = list(Region.objects.filter(level=1).order_by("kato"))
        Value.objects.bulk_create(
            [
                *(value("population", t, Period.parse("2024"), rng.randint(100_000, 2_000_000)) for t in tops),
                *(value("population", t, Period.parse("2025-06"), rng.randint(100_000, 2_000_000)) for t in tops),
            ]
        )
    return units


def _district(kato: str) -> Region:
    return Region.objects.get(kato=kato)


# Each case turns the complete data into an incomplete one.


def complete() -> None:
    pass


def two_regions_without_population() -> None:
    Value.objects.filter(indicator__code="population", region__kato__in=[AKMOLA, JETISU]).delete()


def no_population() -> None:
    Value.objects.filter(indicator__code="population").delete()


def one_district_missing_one_month() -> None:
    Value.objects.filter(
        indicator__code="crime.theft", region__kato="350100000", period_start=datetime.date(2025, 5, 1)
    ).delete()


def a_region_with_its_own_value_for_part_of_the_span() -> None:
    Value.objects.create(**_fields(value("crime.theft", _district(ASTANA), Period.parse("2025-01/2025-03"), 77)))


def a_region_reporting_part_of_the_span_for_its_districts() -> None:
    """The region's own first quarter, its districts the months after: the engine sums the
    districts (the region's own value is not the span), each lacking the quarter."""
    a_region_with_its_own_value_for_part_of_the_span()
    Value.objects.filter(
        indicator__code="crime.theft", region__parent__kato=ASTANA, period_start__lt=datetime.date(2025, 4, 1)
    ).delete()


def units_created_and_abolished_inside_the_span() -> None:
    rng = random.Random(9)
    parent = _district("630000000")
    created = RegionFactory(
        kato="636000000", parent=parent, kind=RegionKind.DISTRICT, valid_from=datetime.date(2025, 4, 1)
    )
    abolished = RegionFactory(
        kato="636100000", parent=parent, kind=RegionKind.DISTRICT, valid_to=datetime.date(2025, 5, 31)
    )
    lived_fully = RegionFactory(
        kato="636200000", parent=_district("750000000"), kind=RegionKind.DISTRICT, valid_from=datetime.date(2025, 7, 1)
    )
    monthly("crime.theft", [created, abolished, lived_fully], rng)
    Value.objects.filter(region=created, period_start=datetime.date(2025, 7, 1)).delete()  # and a hole in it


def a_stock_by_district() -> None:
    """A stock reported by districts, one of them silent for a year: the sum across regions
    of each one's latest value, incomplete where a district has none."""
    rng = random.Random(4)
    units = list(Region.objects.filter(level=2).order_by("kato"))
    monthly("settlements.alcohol_free", units, rng, months=MONTHS[::3])
    Value.objects.filter(
        indicator__code="settlements.alcohol_free", region=units[3], period_start__gte=datetime.date(2024, 9, 1)
    ).delete()


CASES: list[Callable[[], None]] = [
    complete,
    two_regions_without_population,
    no_population,
    one_district_missing_one_month,
    a_region_with_its_own_value_for_part_of_the_span,
    a_region_reporting_part_of_the_span_for_its_districts,
    units_created_and_abolished_inside_the_span,
]


def _fields(row: Value) -> dict[str, Any]:
    return {
        f.name: getattr(row, f.name)
        for f in Value._meta.concrete_fields
        if f.name not in ("id", "created_at", "updated_at")
    }


def _summary(code: str, region: Region | None, book: type[RollupBook] | None, span: Period = SPAN) -> Summary:
    indicator = Indicator.objects.get(code=code)
    if book is None:
        return kpi_summary(indicator=indicator, region=region, span=span, from_values=True)
    rules = summary_rules(rules_of(indicator))
    return kpi_summary(
        indicator=indicator,
        region=region,
        span=span,
        lend_book=lambda earliest, latest: book(rules=rules, region=region, earliest=earliest, latest=latest),
    )


@pytest.mark.parametrize("case", [*CASES, a_stock_by_district], ids=lambda c: c.__name__)
def test_every_figure_and_gap_is_the_one_the_values_give(case: Callable[[], None]) -> None:
    base(2)
    case()
    code = "settlements.alcohol_free" if case is a_stock_by_district else "crime.theft"
    places = [None, *Region.objects.filter(kato__in=[AKMOLA, ASTANA, "630000000", "350000000"]).order_by("kato")]
    for region in places:
        for span in (SPAN, Period.parse("2025"), Period.parse("2025-05/2025-07")):
            reference = _summary(code, region, None, span)
            counted = _summary(code, region, RollupBook, span)
            walked = _summary(code, region, WalkingBook, span)
            assert flat(counted) == flat(reference), (case.__name__, region, str(span))
            assert flat(walked) == flat(reference), (case.__name__, region, str(span))


def test_the_gaps_are_said_as_before() -> None:
    """What the incomplete figures say, spelt out once (the comparison above holds the rest)."""
    base(1)
    two_regions_without_population()
    one_district_missing_one_month()
    summary = _summary("crime.theft", None, RollupBook)
    assert [g.as_dict() for g in summary.own.value.missing] == [
        {"kpi": "crime.theft", "region": "350100000", "period": "2025-05", "reason": "no value"}
    ]
    assert summary.own.value.partial_value == sum(
        Value.objects.filter(
            indicator__code="crime.theft", period_start__gte=SPAN.first_day, period_start__lte=SPAN.end.first_day
        ).values_list("value", flat=True)
    )
    stale = "no value as at the end of 2025-09 or in the 12 months before"
    assert [g.as_dict() for g in summary.own.population.missing] == [
        {"kpi": "population", "region": AKMOLA, "period": "2025-09", "reason": stale},
        {"kpi": "population", "region": JETISU, "period": "2025-09", "reason": stale},
    ]
    assert summary.own.rate_per_10k.missing == summary.own.value.missing + summary.own.population.missing
    assert summary.own.previous.complete  # 2024 is whole


@contextmanager
def rows_fetched() -> Iterator[list[int]]:
    """Counts the rows every query hands to Python (the ORM's and raw cursors' fetches)."""
    count = [0]

    def fetchone(self: CursorWrapper) -> Any:
        row = self.cursor.fetchone()
        count[0] += row is not None
        return row

    def fetchmany(self: CursorWrapper, size: int | None = None) -> Any:
        rows = self.cursor.fetchmany(size) if size is not None else self.cursor.fetchmany()
        count[0] += len(rows)
        return rows

    def fetchall(self: CursorWrapper) -> Any:
        rows = self.cursor.fetchall()
        count[0] += len(rows)
        return rows

    with (
        mock.patch.object(CursorWrapper, "fetchone", fetchone, create=True),
        mock.patch.object(CursorWrapper, "fetchmany", fetchmany, create=True),
        mock.patch.object(CursorWrapper, "fetchall", fetchall, create=True),
    ):
        yield count


def _reads(case: Callable[[], None]) -> tuple[int, int]:
    """(rows fetched, facts, rollup cells and regions the book holds) of the national summary."""
    kept: list[RollupBook] = []
    indicator = Indicator.objects.get(code="crime.theft")
    rules = summary_rules(rules_of(indicator))

    def lend(earliest: Month, latest: Month) -> RollupBook:
        kept.append(RollupBook(rules=rules, region=None, earliest=earliest, latest=latest))
        return kept[-1]

    with rows_fetched() as rows:
        summary = kpi_summary(indicator=indicator, region=None, span=SPAN, lend_book=lend)
    assert flat(summary) == flat(_summary("crime.theft", None, None)), case.__name__
    book = kept[0]
    held = sum(len(f) for f in book.facts.values()) + sum(len(c) for c in book.cells.values()) + len(book.regions)
    return rows[0], held


# Pinned, reviewed when they move: (rows fetched, rows the book holds) with one district a
# region, the same with three. Complete: the catalogue, the nation's and the regions' own
# values and rollups (a row a KPI, ancestor, depth and month), the shapes. A district
# missing a month adds the query finding it (1 row) and its thefts (24); the region
# reporting a quarter itself, its own value and its district's; the units created and
# abolished, theirs. Without population, its values fewer, no district read.
READS = {
    complete.__name__: (630, 566),
    two_regions_without_population.__name__: (626, 562),
    no_population.__name__: (590, 526),
    one_district_missing_one_month.__name__: (655, 590),
    a_region_with_its_own_value_for_part_of_the_span.__name__: (632, 568),
    a_region_reporting_part_of_the_span_for_its_districts.__name__: (644, 578),
    units_created_and_abolished_inside_the_span.__name__: (673, 600),
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_the_rows_read_do_not_grow_with_the_complete_districts(case: Callable[[], None]) -> None:
    base(1)
    case()
    few = _reads(case)
    base(2, start=2, seed=2)  # forty more districts, every month of them
    many = _reads(case)
    assert many == few, (case.__name__, few, many)
    assert few == READS[case.__name__]
