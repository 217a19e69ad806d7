"""The rollups the engine reads: kept in step with the values by every way of writing,
and giving, for any span, region and KPI, the figures the values give."""

import datetime
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from initiatives.engine.aggregation import figure
from initiatives.engine.facts import RollupBook, load_fact_book, rules_of
from initiatives.engine.rollup_tables import differences
from initiatives.engine.summary import kpi_summary
from initiatives.models import ApprovalState, Indicator, Rollup, RollupCheck, Value
from initiatives.periods import Month, Period
from initiatives.selectors.summary_cache import summary_cached
from initiatives.statistics.services import StatisticsImportError, statistics_import
from regions.models import Region, RegionKind
from tests.factories import IMPORT_APPROVED_AT, MONTHS, RegionFactory, districts, value

from .conftest import flat

pytestmark = pytest.mark.django_db


def monthly(code: str, regions: list[Region], months: list[Month], rng: random.Random, gaps: float = 0) -> None:
    Value.objects.bulk_create(
        value(code, r, Period(m, m), rng.randint(0, 400))
        for r in regions
        for m in months
        if rng.random() >= gaps and (r.valid_from is None or m.first_day >= r.valid_from.replace(day=1))
    )


@pytest.fixture
def generated() -> list[Region]:
    """District data with holes, settlements below some districts (one level skipped),
    regional year-to-date totals and quarters as form 1-M publishes them, a district
    created inside the window, values awaiting approval, and population by region."""
    rng = random.Random(20261202)
    units = districts(3)
    late = RegionFactory(
        kato="711900000",
        parent=Region.objects.get(kato="710000000"),
        kind=RegionKind.DISTRICT,
        valid_from=datetime.date(2025, 4, 1),
    )
    units.append(late)
    complete, holed = units[:40], units[40:]
    monthly("crime.registered", complete, MONTHS, rng)
    monthly("crime.registered", holed, MONTHS, rng, gaps=0.05)
    monthly("crime.theft", units, MONTHS[:20], rng)
    villages = [
        RegionFactory(kato=f"{d.kato[:4]}00{s:03d}", parent=d, kind=RegionKind.SETTLEMENT)
        for d in holed[:4]
        for s in (1, 2)
    ]
    monthly("crime.registered", villages, MONTHS, rng)
    tops = list(Region.objects.filter(level=1).order_by("kato"))
    Value.objects.bulk_create(
        [
            *(value("crime.registered", t, Period.parse("2025-01/2025-09"), rng.randint(900, 5000)) for t in tops[:6]),
            *(value("crime.registered", t, Period.parse("2024-Q3"), rng.randint(300, 1500)) for t in tops[3:9]),
            *(value("crime.theft", t, Period.parse("2025-Q4"), rng.randint(100, 900)) for t in tops[::2]),
            *(value("population", t, Period.parse("2024"), rng.randint(100_000, 2_000_000)) for t in tops[:-1]),
            *(value("population", t, Period.parse("2025-06"), rng.randint(100_000, 2_000_000)) for t in tops[:12]),
            *(value("crime.theft", d, Period.parse("2025-12"), 7, approved=False) for d in complete[:5]),
        ]
    )
    return units


def test_every_figure_from_the_rollups_is_the_figure_from_the_values(generated) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    kpis = [Indicator.objects.get(code=c) for c in ("crime.registered", "crime.theft", "crime.registered_per_10k")]
    places: list[Region | None] = [None, *Region.objects.filter(level=1), *generated[::7]]
    spans = [Period.parse(p) for p in ("2025-01/2025-09", "2024-Q3", "2025", "2024-03/2025-02", "2025-12")]
    spans += [Period(start, start.plus(rng.randint(0, 11))) for start in rng.sample(MONTHS[:14], 6)]
    compared = fast_paths = 0
    for span in spans:
        for indicator in kpis:
            for region in [*rng.sample(places, 4), None]:
                from_rollups = kpi_summary(indicator=indicator, region=region, span=span)
                from_values = kpi_summary(indicator=indicator, region=region, span=span, from_values=True)
                assert flat(from_rollups) == flat(from_values), (indicator.code, str(span), region)
                compared += 1
                fast_paths += from_rollups.own.value.complete
    assert compared == len(spans) * 3 * 5
    assert fast_paths > 10  # complete figures, read from the rollups, were among them


def _national(code: str, span: Period) -> tuple[Any, Any, RollupBook]:
    rules = rules_of(Indicator.objects.get(code=code))
    earliest, latest = span.start.plus(-12), span.end
    book = RollupBook(rules=[rules], region=None, earliest=earliest, latest=latest)
    reference = load_fact_book(rules=[rules], region=None, earliest=earliest, latest=latest)
    return figure(book, rules, None, span), figure(reference, rules, None, span), book


def test_a_national_sum_read_two_levels_down_is_the_sum_region_by_region() -> None:
    """District data only: the national figure comes from the nation's own rollups without
    fetching the regions' (they are not expanded), and each way it can be wrong falls back
    to region by region, with the figure of the values every time."""
    rng = random.Random(11)
    span = Period.parse("2025-01/2025-06")
    units = districts(2)
    monthly("crime.registered", units, MONTHS, rng)
    fast, reference, book = _national("crime.registered", span)
    assert fast.complete and fast.value == reference.value and fast.method == reference.method
    assert fast.value == sum(
        Value.objects.filter(
            indicator__code="crime.registered",
            period_start__gte=span.start.first_day,
            period_end__lte=span.end.last_day,
        ).values_list("value", flat=True)
    )
    assert None not in book.expanded  # the regions' rollups were never fetched

    def same() -> None:
        fast, reference, _book = _national("crime.registered", span)
        assert (fast.value, fast.complete, fast.method, fast.missing) == (
            reference.value,
            reference.complete,
            reference.method,
            reference.missing,
        )

    # A district's value for exactly the span beside its months (the engine prefers it).
    extra = Value.objects.create(**_fields(value("crime.registered", units[0], span, 1)))
    same()
    extra.delete()
    assert None not in _national("crime.registered", span)[2].expanded
    # A region with a value of its own inside the span: region by region (the engine takes
    # the region's own figure where it is complete, whatever its districts add up to).
    for own in ("2025-01/2025-03", str(span)):
        extra = Value.objects.create(**_fields(value("crime.registered", units[2].parent, Period.parse(own), 5)))
        same()
        extra.delete()
    assert None not in _national("crime.registered", span)[2].expanded
    # A district abolished in the middle of the span.
    Value.objects.filter(region=units[4], period_start__gt=datetime.date(2025, 3, 31)).delete()
    units[4].valid_to = datetime.date(2025, 3, 31)
    units[4].save()
    same()
    # ... with no values in the months it lived: that region is incomplete, so the nation.
    Value.objects.filter(region=units[4]).delete()
    same()
    assert not _national("crime.registered", span)[0].complete
    units[4].delete()
    same()
    assert _national("crime.registered", span)[0].complete
    # A region with no districts at all: its figure is its own (none), not a sum of nothing.
    Value.objects.filter(region__parent=units[8].parent).delete()
    Region.objects.filter(parent=units[8].parent).delete()
    same()
    assert not _national("crime.registered", span)[0].complete
    monthly("crime.registered", [units[8].parent], MONTHS, rng)  # until it reports itself
    same()
    assert _national("crime.registered", span)[0].complete
    # A region whose districts have no values: the nation is incomplete, by name.
    Value.objects.filter(region__parent=units[6].parent).delete()
    same()
    assert not _national("crime.registered", span)[0].complete


def _fields(row: Value) -> dict[str, Any]:
    return {
        f.name: getattr(row, f.name)
        for f in Value._meta.concrete_fields
        if f.name not in ("id", "created_at", "updated_at")
    }


def test_the_rollups_follow_every_way_of_writing_values(generated) -> None:  # type: ignore[no-untyped-def]
    assert differences() == []
    district = generated[0]
    theft = Indicator.objects.get(code="crime.theft")
    one = Value.objects.filter(region=district, indicator=theft).first()
    one.value = Decimal("12.5")
    one.save()  # the ORM, one row
    Value.objects.filter(region=district).update(value=3)  # a bulk update
    Value.objects.filter(region=generated[1], period_start__year=2024).delete()  # a bulk delete
    Value.objects.filter(region=generated[2]).update(approval_state=ApprovalState.PENDING, approved_at=None)
    Value.objects.filter(approval_state=ApprovalState.PENDING).update(
        approval_state=ApprovalState.APPROVED, approved_at=IMPORT_APPROVED_AT
    )
    with connection.cursor() as cursor:  # and around the ORM altogether
        cursor.execute("UPDATE initiatives_value SET value = value + 1 WHERE region_id = %s", [generated[3].pk])
    assert differences() == []


def test_a_region_moved_under_another_parent_moves_its_sums(generated) -> None:  # type: ignore[no-untyped-def]
    village = Region.objects.filter(level=4).first()
    new_parent = Region.objects.filter(level=2).exclude(pk=village.parent_id).first()
    Region.objects.filter(pk=village.pk).update(parent=new_parent, kato=f"{new_parent.kato[:4]}00{village.kato[6:]}")
    assert differences() == []


def test_a_refused_import_and_a_failed_approval_leave_the_rollups_as_they_were(generated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = list(Rollup.objects.values_list("indicator_id", "ancestor_id", "depth", "first_month", "total", "n"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "region,period,indicator,value\n710000000,2025-10,crime.registered,10\n750000000,2025-10,crime.nope,1\n",
        encoding="utf-8",
    )
    with pytest.raises(StatisticsImportError):
        statistics_import(source=bad)
    with pytest.raises(RuntimeError), transaction.atomic():
        Value.objects.filter(approval_state=ApprovalState.PENDING).update(
            approval_state=ApprovalState.APPROVED, approved_at=IMPORT_APPROVED_AT
        )
        raise RuntimeError("the approval fails after its write")
    after = list(Rollup.objects.values_list("indicator_id", "ancestor_id", "depth", "first_month", "total", "n"))
    assert after == before


def _national_reads(indicator: Indicator, span: Period) -> tuple[int, int]:
    """(queries, rows fetched) of the national summary, whose figures are complete."""
    with CaptureQueriesContext(connection) as queries:
        summary = kpi_summary(indicator=indicator, region=None, span=span)
    assert summary.own.value.complete
    assert all(row.value.complete for row in summary.breakdown)
    rules = rules_of(indicator)
    book = RollupBook(rules=[rules], region=None, earliest=Month(2024, 1), latest=Month(2025, 12))
    for region in book.children_during(None, span):
        assert figure(book, rules, region.id, span).complete
    rows = sum(len(f) for f in book.facts.values()) + sum(len(c) for c in book.cells.values())
    return len(queries), rows


def test_a_national_summary_reads_no_more_when_the_values_grow_tenfold() -> None:
    rng = random.Random(3)
    registered = Indicator.objects.get(code="crime.registered")
    span = Period.parse("2025-01/2025-09")
    monthly("crime.registered", districts(1), MONTHS, rng)
    small = _national_reads(registered, span)
    monthly("crime.registered", districts(9, start=2), MONTHS, rng)
    assert Value.objects.count() == 10 * 20 * 24
    assert _national_reads(registered, span) == small
    # Pinned, reviewed when it moves: the KPI and population (2); the nation's rollups and
    # its regions' shapes (2); the districts' shapes, for the national sum from two levels
    # down (1); the regions with their values, rollups and districts' shapes (4); the
    # regions' names and targets, the national target (3). Population, which has no value
    # here, is told missing region by region from the rollups, no district fetched.
    assert small[0] == 12


def test_a_cached_summary_costs_one_small_query_whatever_the_values(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    registered = Indicator.objects.get(code="crime.registered")
    span = Period.parse("2025-01/2025-09")
    monthly("crime.registered", districts(2), MONTHS, rng)
    first = summary_cached(indicator=registered, region=None, span=span)
    with django_assert_num_queries(1):  # the version counters with the KPI catalogue
        again = summary_cached(indicator=registered, region=None, span=span)
    assert flat(again) == flat(first)
    Value.objects.filter(pk=Value.objects.filter(period_start__year=2025).first().pk).update(value=F("value") + 1)
    changed = summary_cached(indicator=registered, region=None, span=span)
    assert changed.own.value.value == first.own.value.value + 1


def test_check_rollups_fails_on_a_drift_and_healthz_says_so(generated, client) -> None:  # type: ignore[no-untyped-def]
    call_command("check_rollups")
    assert client.get("/healthz").json()["rollups"]["state"] == "ok"
    Rollup.objects.filter(pk=Rollup.objects.order_by("pk").first().pk).update(n=99)  # what no trigger writes
    with pytest.raises(Exception, match="1 rollup row"):
        call_command("check_rollups")
    assert RollupCheck.objects.latest().differences == 1
    assert client.get("/healthz").json()["rollups"] == {
        "state": "drift",
        "checked_at": RollupCheck.objects.latest().checked_at.isoformat(),
        "differences": 1,
    }
    call_command("rebuild_rollups")
    call_command("check_rollups")
    assert client.get("/healthz").json()["rollups"]["state"] == "ok"


def test_an_import_that_replaces_and_adds_values_keeps_the_rollups_in_step(generated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    district = generated[0]
    good = tmp_path / "good.csv"
    good.write_text(
        "region,period,indicator,value\n"
        f"{district.kato},2025-03,crime.registered,999\n"  # replaces a value
        f"{district.kato},2026-01,crime.registered,5\n"  # a new month
        "710000000,2026-01/2026-03,crime.theft,77\n",  # a regional span of its own
        encoding="utf-8",
    )
    statistics_import(source=good)
    assert differences() == []
    national = kpi_summary(
        indicator=Indicator.objects.get(code="crime.registered"), region=None, span=Period.parse("2025-03")
    )
    reference = kpi_summary(
        indicator=Indicator.objects.get(code="crime.registered"),
        region=None,
        span=Period.parse("2025-03"),
        from_values=True,
    )
    assert flat(national) == flat(reference)


def test_every_trigger_that_keeps_figures_is_in_place() -> None:
    """A migration that rebuilds a table on SQLite drops its triggers silently: this
    fails instead, naming the trigger to restore."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {
                *(f"initiatives_rollup_after_{event}" for event in ("insert", "update", "delete", "region_move")),
                *(f"initiatives_version_{key}" for key in ("targets", "regions", "indicators")),
            }
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {
                *(f"initiatives_rollup_after_{event}" for event in ("insert", "update", "delete", "region_move")),
                *(
                    f"initiatives_version_{key}_{event}"
                    for key in ("targets", "regions", "indicators")
                    for event in ("INSERT", "UPDATE", "DELETE")
                ),
            }
        present = {name for (name,) in cursor.fetchall()}
    assert sorted(expected - present) == []
