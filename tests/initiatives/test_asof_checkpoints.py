"""Figures as of a moment read from rollup checkpoints: the nearest checkpoint, before or
after the moment, plus the few changes between, give the history's figures (the
reference, `from_values`) wherever the checkpoints fall; imports' values without history
rows count from their batch's commit; old checkpoints go, a release's stay."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from simple_history.utils import bulk_create_with_history

from initiatives.engine.asof import NOW, choose_base
from initiatives.engine.summary import kpi_summary
from initiatives.models import (
    CheckpointReason,
    ImportBatch,
    Indicator,
    Release,
    RollupCheckpoint,
    RollupCheckpointCell,
    Value,
)
from initiatives.periods import Period
from initiatives.services.checkpoints import (
    checkpoint_after_import_later,
    checkpoint_due,
    checkpoint_if_due,
    checkpoint_take,
    checkpoints_sweep,
)
from initiatives.services.releases import release_publish
from initiatives.statistics.services import statistics_import
from regions.models import Region
from tests.factories import MONTHS, districts, value

from .conftest import flat

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC)
SPANS = [Period.parse(p) for p in ("2025-01/2025-09", "2025-Q2", "2024", "2025-12/2026-01")]


def _at(minutes: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def _checkpoint(minutes: float) -> RollupCheckpoint:
    with time_machine.travel(_at(minutes), tick=False):
        taken = checkpoint_take(reason=CheckpointReason.CHANGES)
    assert taken is not None
    return taken


def _compare(moments: list[float], places: list[Region | None]) -> int:
    compared = 0
    for minutes in moments:
        for code in ("crime.registered", "crime.registered_per_10k"):
            kpi = Indicator.objects.get(code=code)
            for span in SPANS:
                for region in places:
                    fast = kpi_summary(indicator=kpi, region=region, span=span, as_of=_at(minutes))
                    reference = kpi_summary(
                        indicator=kpi, region=region, span=span, as_of=_at(minutes), from_values=True
                    )
                    assert flat(fast) == flat(reference), (minutes, code, str(span), region)
                    compared += 1
    return compared


def _write_and_correct(rng: random.Random, steps: list[float], checkpoints: list[float]) -> list[Region]:
    """District months (a few missing), regions' own quarters and population at T0; then
    at each step corrections, deletions, moves and additions, at district and region
    level, one value corrected at every step (so its changes straddle every checkpoint);
    checkpoints taken at their minutes, in order among the steps."""
    units = districts(3)
    tops = list(Region.objects.filter(level=1).order_by("kato"))
    rows = [
        value("crime.registered", d, Period(m, m), rng.randint(0, 60))
        for d in units
        for m in MONTHS
        if rng.random() > 0.05
    ]
    rows += [value("crime.registered", t, Period.parse("2025-Q2"), rng.randint(0, 200)) for t in tops[:6]]
    rows += [value("population", t, Period.parse("2025"), 500_000 + t.pk) for t in tops]
    rows += [value("crime.registered", d, Period.parse("2026-01"), 9, approved=False) for d in units[:5]]
    bulk_create_with_history(rows, Value, default_date=T0)
    indicator = Indicator.objects.get(code="crime.registered")
    every_step = Value.objects.filter(indicator=indicator, region__level=2).order_by("pk").first()
    assert every_step is not None
    for minutes in sorted([*steps, *checkpoints]):
        if minutes in checkpoints:
            _checkpoint(minutes)
            continue
        with time_machine.travel(_at(minutes), tick=False):
            every_step.value += 7
            every_step.save()
        stored = list(Value.objects.filter(indicator=indicator).select_related("region").order_by("pk"))
        with time_machine.travel(_at(minutes), tick=False):
            for row in rng.sample(stored, 40):
                roll = rng.random()
                if roll < 0.1:
                    row.delete()
                    continue
                if roll < 0.15:  # moved to a first-level region without a value for that period
                    row.region = rng.choice(tops[6:])
                    if Value.objects.filter(
                        indicator=indicator, region=row.region, period_start=row.period_start, period_end=row.period_end
                    ).exists():
                        continue
                row.value = Decimal(rng.randint(0, 90))
                if row.approval_state != "approved":
                    row.approval_state, row.approved_at = "approved", _at(minutes)
                row.save()
            top = rng.choice(tops[6:])
            if not Value.objects.filter(indicator=indicator, region=top, period_start=Period.parse("2025-Q3").first_day).exists():
                value("crime.registered", top, Period.parse("2025-Q3"), rng.randint(0, 90)).save()
    return units


def test_checkpoints_before_between_and_after_the_changes_give_the_historys_figures() -> None:
    """Changes at 10, 20, 30, 40 and 60 minutes; checkpoints at 5 (before them all), 25
    (between, so the changes straddle it) and 50; moments everywhere, each read from
    whichever base is nearest: a checkpoint before or after it, or today's rollups."""
    rng = random.Random(2727)
    units = _write_and_correct(rng, [10, 20, 30, 40, 60], [5, 25, 50])
    tops = list(Region.objects.filter(level=1).order_by("kato"))
    before, between, after = RollupCheckpoint.objects.order_by("moment")
    assert choose_base(_at(3)).checkpoint == before.pk  # the one after the moment
    assert choose_base(_at(26)).checkpoint == between.pk
    assert choose_base(_at(12)).checkpoint == before.pk  # the changes of 10 only, not of 20
    assert choose_base(_at(45)).checkpoint == after.pk
    assert choose_base(_at(70)) == NOW  # nothing written since: today's rollups
    compared = _compare([0, 5, 15, 25, 26, 35, 45, 55, 70], [None, tops[0], tops[11], units[4]])
    assert compared == 9 * 2 * 4 * 4
    stored = RollupCheckpointCell.objects.filter(checkpoint=between)
    assert stored.filter(depth=0).exists() and not stored.filter(n=0).exists()
