"""Figures as of a moment: from the values as committed by then, whichever way they were
written; a value imported before the moment counts, one corrected after it does not."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from simple_history.utils import bulk_create_with_history

from initiatives.engine.summary import kpi_summary
from initiatives.models import ApprovalState, ImportBatch, Indicator, Value
from initiatives.periods import Month, Period
from initiatives.statistics.services import statistics_import
from regions.models import Region
from tests.factories import MONTHS, districts, value

from .conftest import flat

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC)


def _at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def _import(tmp_path, name: str, text: str, when: datetime.datetime) -> ImportBatch:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text("region,period,indicator,value\n" + text, encoding="utf-8")
    with time_machine.travel(when, tick=False):
        result = statistics_import(source=path)
    assert result.batch is not None
    return result.batch


def _registered(span: str, **kwargs: object) -> Decimal | None:
    summary = kpi_summary(
        indicator=Indicator.objects.get(code="crime.registered"),
        region=None,
        span=Period.parse(span),
        **kwargs,  # type: ignore[arg-type]
    )
    return summary.own.value.value


def _twenty_regions(number: int) -> str:
    return "".join(
        f"{kato},2026-01,crime.registered,{number}\n"
        for kato in Region.objects.filter(level=1).order_by("kato").values_list("kato", flat=True)
    )


def test_a_summary_as_of_a_moment_between_two_imports_equals_the_first_imports_figure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _import(tmp_path, "first.csv", _twenty_regions(10), _at(0))
    astana_fixed = "710000000,2026-01,crime.registered,13\n"  # corrected from 10
    _import(tmp_path, "second.csv", astana_fixed, _at(60))

    assert _registered("2026-01") == 203  # live: 19 x 10 + 13
    assert _registered("2026-01", as_of=_at(30)) == 200  # the first import's figure, to the unit
    assert _registered("2026-01", as_of=_at(30), from_values=True) == 200
    assert _registered("2026-01", as_of=_at(61)) == 203
    assert _registered("2026-01", as_of=_at(-1)) is None  # nothing imported yet: incomplete, never 0


def test_a_long_import_counts_from_its_commit_not_from_its_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Its history rows are dated when its writing began; its values were committed later."""
    batch = _import(tmp_path, "long.csv", _twenty_regions(10), _at(0))
    ImportBatch.objects.filter(pk=batch.pk).update(committed_at=_at(45))

    assert _registered("2026-01", as_of=_at(30)) is None
    assert _registered("2026-01", as_of=_at(30), from_values=True) is None
    assert _registered("2026-01", as_of=_at(46)) == 200
    # A correction made after the commit is dated by itself, not by the import.
    with time_machine.travel(_at(50), tick=False):
        row = Value.objects.get(region__kato="710000000")
        row.value = Decimal(4)
        row.save()
    assert _registered("2026-01", as_of=_at(47)) == 200
    assert _registered("2026-01", as_of=_at(51)) == 194


def test_the_answer_from_the_rollups_is_the_answer_from_the_history_at_every_moment() -> None:
    """Values written, corrected, deleted, approved and added at different moments, at
    district level (so the rollups' sums are put back as they were too)."""
    rng = random.Random(18)
    units = districts(2)
    registered = [value("crime.registered", d, Period(m, m), rng.randint(0, 60)) for d in units for m in MONTHS]
    people = [value("population", t, Period.parse("2025"), 500_000) for t in Region.objects.filter(level=1)]
    pending = [value("crime.registered", d, Period.parse("2026-01"), 7, approved=False) for d in units[:10]]
    bulk_create_with_history([*registered, *people, *pending], Value, default_date=T0)

    stored = list(Value.objects.filter(indicator__code="crime.registered").order_by("pk"))
    for step in range(1, 9):
        with time_machine.travel(_at(step * 10), tick=False):
            for row in rng.sample(stored, 15):
                if not Value.objects.filter(pk=row.pk).exists():
                    continue
                if rng.random() < 0.2:
                    row.delete()
                    continue
                row.value = Decimal(rng.randint(0, 60))
                if row.approval_state == ApprovalState.PENDING:
                    row.approval_state, row.approved_at = ApprovalState.APPROVED, _at(step * 10)
                row.save()
            fresh = value("crime.registered", rng.choice(units), Period.parse("2025-Q2"), rng.randint(0, 90))
            if not Value.objects.filter(
                indicator=fresh.indicator,
                region=fresh.region,
                period_start=fresh.period_start,
                period_end=fresh.period_end,
            ).exists():
                fresh.save()

    kpis = [Indicator.objects.get(code=c) for c in ("crime.registered", "crime.registered_per_10k")]
    spans = [Period.parse(p) for p in ("2025-01/2025-09", "2025-Q2", "2025", "2025-12/2026-01")]
    places = [None, Region.objects.get(kato="710000000"), units[5]]
    compared = 0
    for minutes in (-5, 5, 25, 45, 65, 200):
        for indicator in kpis:
            for span in spans:
                for region in places:
                    fast = kpi_summary(indicator=indicator, region=region, span=span, as_of=_at(minutes))
                    reference = kpi_summary(
                        indicator=indicator, region=region, span=span, as_of=_at(minutes), from_values=True
                    )
                    assert flat(fast) == flat(reference), (minutes, indicator.code, str(span), region)
                    compared += 1
    assert compared == 6 * 2 * 4 * 3
    # Now is the live figure; before anything was written, nothing.
    live = kpi_summary(indicator=kpis[0], region=None, span=spans[0])
    assert flat(kpi_summary(indicator=kpis[0], region=None, span=spans[0], as_of=_at(500))) == flat(live)
    assert kpi_summary(indicator=kpis[0], region=None, span=spans[0], as_of=_at(-60)).own.value.value is None
    assert Month(2025, 1) in MONTHS


def test_the_api_and_the_dashboard_answer_as_of_a_moment_and_say_so(tmp_path, caller, office, client) -> None:  # type: ignore[no-untyped-def]
    _import(tmp_path, "first.csv", _twenty_regions(10), _at(0))
    _import(tmp_path, "second.csv", "710000000,2026-01,crime.registered,13\n", _at(60))
    api = caller("office")
    url = "/api/v1/kpis/crime.registered/summary/"
    then = api.get(url, {"period_from": "2026-01", "as_of": "2026-02-01T09:30:00Z"}).json()
    assert then["value"] == "200"
    assert datetime.datetime.fromisoformat(then["as_of"]) == _at(30)  # said in the site's time zone
    live = api.get(url, {"period_from": "2026-01"}).json()
    assert (live["value"], live["as_of"]) == ("203", None)
    bad = api.get(url, {"period_from": "2026-01", "as_of": "yesterday"})
    assert bad.status_code == 400 and "as_of" in bad.json()["error"]["fields"]

    client.force_login(office)
    page = client.get("/dashboard/", {"period": "2026-01", "as_of": "2026-02-01T09:30:00+00:00"}).content.decode()
    assert 'id="as-of-note"' in page and ">200<" in page
    # A moment without a zone is in the site's (Almaty, UTC+5): 14:30 there is 09:30 UTC.
    rows = client.get("/dashboard/", {"period": "2026-01", "as_of": "2026-02-01T14:30", "format": "csv"})
    assert rows.content.decode().splitlines()[1].split(",")[2] == "200"


def test_many_changes_across_regions_and_districts_give_the_historys_figures(assert_queries_do_not_grow) -> None:  # type: ignore[no-untyped-def]
    """Hundreds of values corrected, deleted, approved, moved to another unit and added
    after the moment, at district and regional level (regions with values of their own,
    districts missing months, so the engine walks down to the districts too): the rollups
    put back by one grouped query give the history's figures, everywhere, in as many
    queries as with one change."""
    rng = random.Random(1818)
    units = districts(3)
    tops = list(Region.objects.filter(level=1).order_by("kato"))
    rows = [
        value("crime.registered", d, Period(m, m), rng.randint(0, 60))
        for d in units
        for m in MONTHS
        if rng.random() > 0.05  # a few months missing
    ]
    rows += [value("crime.registered", t, Period.parse(q), rng.randint(0, 200)) for t in tops[:6] for q in ("2025-Q2",)]
    rows += [value("population", t, Period.parse("2025"), 500_000 + t.pk) for t in tops]
    rows += [value("crime.registered", d, Period.parse("2026-01"), 9, approved=False) for d in units[:5]]
    bulk_create_with_history(rows, Value, default_date=T0)
    indicator = Indicator.objects.get(code="crime.registered")
    spans = [Period.parse(p) for p in ("2025-01/2025-09", "2025-Q2", "2024", "2025-12/2026-01")]

    def national() -> object:
        return kpi_summary(indicator=indicator, region=None, span=spans[0], as_of=_at(5))

    def many_changes() -> None:
        stored = list(Value.objects.filter(indicator=indicator).order_by("pk"))
        with time_machine.travel(_at(10), tick=False):
            for row in rng.sample(stored, 400):
                roll = rng.random()
                if roll < 0.1:
                    row.delete()
                    continue
                if roll < 0.15:  # moved to a unit without a value for that month
                    row.region = rng.choice([t for t in tops[6:] if t.kato != row.region.kato])
                    if Value.objects.filter(
                        indicator=indicator, region=row.region, period_start=row.period_start, period_end=row.period_end
                    ).exists():
                        continue
                row.value = Decimal(rng.randint(0, 90))
                if row.approval_state == ApprovalState.PENDING:
                    row.approval_state, row.approved_at = ApprovalState.APPROVED, _at(10)
                row.save()
        with time_machine.travel(_at(20), tick=False):
            for top in tops[10:14]:
                value("crime.registered", top, Period.parse("2025-Q3"), rng.randint(0, 90)).save()

    def one_change() -> None:
        with time_machine.travel(_at(1), tick=False):
            row = Value.objects.filter(indicator=indicator, region__level=2).order_by("pk").first()
            assert row is not None
            row.value += 1
            row.save()

    one_change()
    assert_queries_do_not_grow(national, many_changes)

    places = [None, tops[0], tops[11], units[4]]
    compared = 0
    for minutes in (0, 5, 15, 25):
        for code in ("crime.registered", "crime.registered_per_10k"):
            kpi = Indicator.objects.get(code=code)
            for span in spans:
                for region in places:
                    fast = kpi_summary(indicator=kpi, region=region, span=span, as_of=_at(minutes))
                    reference = kpi_summary(
                        indicator=kpi, region=region, span=span, as_of=_at(minutes), from_values=True
                    )
                    assert flat(fast) == flat(reference), (minutes, code, str(span), region)
                    compared += 1
    assert compared == 4 * 2 * 4 * 4
    # The moment before the changes differs from now: the test compares something.
    before = kpi_summary(indicator=indicator, region=None, span=spans[0], as_of=_at(5))
    assert flat(before) != flat(kpi_summary(indicator=indicator, region=None, span=spans[0]))
