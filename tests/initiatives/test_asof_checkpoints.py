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

from initiatives.engine.asof import NOW, Base, choose_base
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
            if not Value.objects.filter(
                indicator=indicator, region=top, period_start=Period.parse("2025-Q3").first_day
            ).exists():
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


def _import(tmp_path, name: str, text: str, when: datetime.datetime) -> ImportBatch:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text("region,period,indicator,value\n" + text, encoding="utf-8")
    with time_machine.travel(when, tick=False):
        result = statistics_import(source=path)
    assert result.batch is not None
    return result.batch


def _twenty_regions(period: str, number: int) -> str:
    return "".join(
        f"{kato},{period},crime.registered,{number}\n"
        for kato in Region.objects.filter(level=1).order_by("kato").values_list("kato", flat=True)
    )


def _registered(span: str, minutes: float, region: Region | None = None) -> tuple[str, str]:
    kpi = Indicator.objects.get(code="crime.registered")
    fast = kpi_summary(indicator=kpi, region=region, span=Period.parse(span), as_of=_at(minutes))
    reference = kpi_summary(indicator=kpi, region=region, span=Period.parse(span), as_of=_at(minutes), from_values=True)
    if flat(fast) != flat(reference):
        import difflib

        a, b = flat(fast).replace("), ", "),\n").splitlines(), flat(reference).replace("), ", "),\n").splitlines()
        print("\n".join(difflib.unified_diff(a, b, lineterm="", n=0)))
    assert flat(fast) == flat(reference), (span, minutes, region)
    return _figure(fast.own.value.value), _figure(reference.own.value.value)


def _figure(number: Decimal | None) -> str:
    return "None" if number is None else f"{number:.0f}"


def test_an_import_committed_long_after_it_began_counts_from_its_commit_on_either_side_of_a_checkpoint(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    """Its history rows are dated when it began (10), it committed at 30; checkpoints at 5
    and 40 (taken after its commit, as a checkpoint waits for the writers of values), so
    a moment of 25 read from the checkpoint after it reaches back past the moment to its
    rows."""
    _import(tmp_path, "first.csv", _twenty_regions("2026-01", 10), _at(0))
    _checkpoint(5)
    long = _import(tmp_path, "long.csv", "710000000,2026-01,crime.registered,13\n", _at(10))
    ImportBatch.objects.filter(pk=long.pk).update(committed_at=_at(30))
    _checkpoint(40)
    with time_machine.travel(_at(50), tick=False):
        row = Value.objects.get(region__kato="750000000", period_start=Period.parse("2026-01").first_day)
        row.value = Decimal(4)
        row.save()
    first, last = RollupCheckpoint.objects.order_by("moment")
    expected = {15: "200", 25: "200", 35: "203", 45: "203", 55: "197"}
    assert choose_base(_at(15)).checkpoint == first.pk  # its row, dated 10, is counted in (5, 15]
    assert choose_base(_at(45)).checkpoint == last.pk
    for minutes, figure in expected.items():
        assert _registered("2026-01", minutes) == (figure, figure)
        _registered("2026-01", minutes, Region.objects.get(kato="710000000"))
    first.delete()  # now 25 and 15 are read from the checkpoint after them
    assert choose_base(_at(25)).checkpoint == last.pk
    assert choose_base(_at(15)).checkpoint == last.pk
    for minutes, figure in expected.items():
        assert _registered("2026-01", minutes) == (figure, figure)
        _registered("2026-01", minutes, Region.objects.get(kato="710000000"))


def _as_the_history_helper_writes(row: Value, batch: ImportBatch) -> None:
    """Before a value created by an import without a history row is first replaced or
    deleted, its version as created, dated its batch's commit."""
    assert batch.committed_at is not None
    Value.history.bulk_history_create([row], default_date=batch.committed_at)


def test_values_an_import_created_without_history_rows_count_from_its_commit(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Values created by imports get no history row (their first version is their batch):
    as of a moment they count once their batch had committed, found through their batch,
    with or without checkpoints around; replaced or deleted later, the history holds their
    version as created and the change."""
    january = _import(tmp_path, "january.csv", _twenty_regions("2026-01", 10), _at(0))
    Value.history.filter(import_batch=january).delete()
    _checkpoint(5)
    rows = list(Value.objects.filter(import_batch=january).select_related("region").order_by("region__kato"))
    with time_machine.travel(_at(20), tick=False):
        _as_the_history_helper_writes(rows[0], january)
        rows[0].value = Decimal(16)
        rows[0].save()
    _checkpoint(25)
    with time_machine.travel(_at(30), tick=False):
        _as_the_history_helper_writes(rows[1], january)
        rows[1].delete()
    december = _import(tmp_path, "december.csv", _twenty_regions("2025-12", 5), _at(40))
    Value.history.filter(import_batch=december).delete()
    ImportBatch.objects.filter(pk=december.pk).update(committed_at=_at(41))
    _checkpoint(45)
    # Only the two values replaced or deleted have history: as created, then the change.
    assert Value.history.filter(import_batch__in=[january, december]).count() == 2 * 2
    # National January is incomplete once a region's value is deleted (30).
    expected = {
        -1: ("None", "None", "None", "None", "None"),
        3: ("200", "None", "None", "10", "10"),
        10: ("200", "None", "None", "10", "10"),
        22: ("206", "None", "None", "16", "10"),
        35: ("None", "None", "None", "16", "None"),
        40.5: ("None", "None", "None", "16", "None"),  # the December import began, not yet committed
        42: ("None", "100", "None", "21", "None"),
        60: ("None", "100", "None", "21", "None"),
    }
    corrected, deleted = rows[0].region, rows[1].region

    def figures(minutes: float) -> tuple[str, ...]:
        return (
            _registered("2026-01", minutes)[0],
            _registered("2025-12", minutes)[0],
            _registered("2025-12/2026-01", minutes)[0],
            _registered("2025-12/2026-01" if minutes >= 41 else "2026-01", minutes, corrected)[0],
            _registered("2026-01", minutes, deleted)[0],
        )

    for minutes, figure in expected.items():
        assert figures(minutes) == figure, minutes
    # Read from each checkpoint in turn, whatever the moment (so the December import's
    # values are found through their batch between 25 or 5 and the moment).
    for checkpoint in RollupCheckpoint.objects.order_by("moment"):
        forced = Base(checkpoint.pk, checkpoint.moment)
        monkeypatch.setattr("initiatives.engine.asof.choose_base", lambda _as_of, base=forced: base)
        for minutes, figure in expected.items():
            assert figures(minutes) == figure, (checkpoint.moment, minutes)
    monkeypatch.undo()
    # And with no checkpoint at all: from today's rollups, taking back what came after.
    RollupCheckpoint.objects.all().delete()
    for minutes, figure in expected.items():
        assert choose_base(_at(minutes)) == NOW
        assert figures(minutes) == figure, minutes


def test_a_checkpoint_copies_the_rollups_as_they_stand_and_the_first_level_regions_values() -> None:
    from initiatives.models import Rollup

    units = districts(2)
    rows = [value("crime.registered", d, Period(m, m), 3) for d in units for m in MONTHS[:6]]
    tops = list(Region.objects.filter(level=1))
    rows += [value("population", t, Period.parse("2025"), 500_000) for t in tops]
    rows += [value("crime.registered", tops[0], Period.parse("2024-Q1"), 5, approved=False)]
    bulk_create_with_history(rows, Value, default_date=T0)
    Value.objects.filter(region=units[0], period_start=MONTHS[0].first_day).delete()  # an emptied cell
    checkpoint = _checkpoint(10)
    cells = RollupCheckpointCell.objects.filter(checkpoint=checkpoint)
    columns = ("indicator_id", "ancestor_id", "depth", "level", "first_month", "last_month", "total", "n")
    assert set(cells.exclude(depth=0).values_list(*columns)) == set(Rollup.objects.exclude(n=0).values_list(*columns))
    assert cells.filter(depth=0).count() == len(tops)  # approved own values of the regions only
    assert checkpoint.cells == cells.count()
    assert checkpoint.history_mark == Value.history.order_by("-history_id").values_list("history_id", flat=True)[0]


def test_a_checkpoint_is_due_after_the_set_number_of_changes_or_an_import(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.ROLLUP_CHECKPOINT_CHANGES = 10
    units = districts(1)
    assert not checkpoint_due()
    bulk_create_with_history([value("crime.registered", d, Period(MONTHS[0], MONTHS[0]), 1) for d in units[:9]], Value)
    assert not checkpoint_due() and checkpoint_if_due() is None
    value("crime.registered", units[9], Period(MONTHS[0], MONTHS[0]), 1).save()
    assert checkpoint_due()
    taken = checkpoint_if_due()
    assert taken is not None and taken.reason == CheckpointReason.CHANGES
    assert not checkpoint_due()
    for row in Value.objects.order_by("pk")[:9]:
        row.value += 1
        row.save()
    assert not checkpoint_due()
    _import(tmp_path, "one.csv", "710000000,2026-01,crime.registered,13\n", timezone_now())
    assert checkpoint_due()  # an import committed since the last (its own checkpoint was lost)


def timezone_now() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now() + datetime.timedelta(seconds=1)


def test_an_import_that_changed_values_takes_a_checkpoint_once_committed(
    tmp_path, in_process_tasks, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        batch = _import(tmp_path, "first.csv", _twenty_regions("2026-01", 10), _at(0))
    taken = RollupCheckpoint.objects.get()
    assert (taken.reason, taken.import_batch_id) == (CheckpointReason.IMPORT, batch.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _import(tmp_path, "same.csv", _twenty_regions("2026-01", 10), _at(5))  # nothing changed
    assert RollupCheckpoint.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        checkpoint_after_import_later(batch=batch, changed=set())
    assert callbacks == []


def test_a_release_keeps_its_checkpoint_for_ever_and_the_others_go_after_the_set_days(settings, office) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import offence_months, year_months

    settings.ROLLUP_CHECKPOINT_DAYS = 30
    offence_months(3, year_months(2025, 3))
    old = _checkpoint(0)
    with time_machine.travel(_at(10), tick=False):
        release = release_publish(period=Period.parse("2025-01/2025-03"), user=office)
    at_release = RollupCheckpoint.objects.get(release=release)
    assert at_release.kept and at_release.moment == release.moment == _at(10)
    assert at_release.reason == CheckpointReason.RELEASE
    recent = _checkpoint(60 * 24 * 20)
    assert checkpoints_sweep(now=_at(60 * 24 * 30 + 5)) == 1
    assert set(RollupCheckpoint.objects.values_list("pk", flat=True)) == {at_release.pk, recent.pk}
    assert not RollupCheckpointCell.objects.filter(checkpoint_id=old.pk).exists()
    assert checkpoints_sweep(now=_at(60 * 24 * 400)) == 1
    assert list(RollupCheckpoint.objects.values_list("pk", flat=True)) == [at_release.pk]
    Release.objects.filter(pk=release.pk).update()  # the release stays linked
    assert RollupCheckpointCell.objects.filter(checkpoint=at_release).exists()
    # Read from the kept checkpoint, the release's moment gives the release's figures.
    assert choose_base(release.moment).checkpoint == at_release.pk


def test_a_checkpoint_swept_after_it_was_chosen_falls_back_to_todays_rollups(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The nightly sweep may delete a checkpoint between `choose_base` choosing it and
    its cells being read (separate statements): the figures are built from today's
    rollups and the changes since the moment, not from an empty base."""
    from initiatives.engine import asof

    rng = random.Random(2728)
    units = _write_and_correct(rng, [10, 20, 30], [5, 25])
    tops = list(Region.objects.filter(level=1).order_by("kato"))
    real = asof.choose_base
    swept: list[int] = []

    def choose_then_sweep(as_of: datetime.datetime) -> Base:
        base = real(as_of)
        if base.checkpoint is not None:
            RollupCheckpointCell.objects.filter(checkpoint_id=base.checkpoint).delete()
            RollupCheckpoint.objects.filter(pk=base.checkpoint).delete()
            swept.append(base.checkpoint)
        return base

    monkeypatch.setattr(asof, "choose_base", choose_then_sweep)
    assert _compare([15], [None, tops[0], units[4]]) == 2 * 4 * 3
    assert swept  # the checkpoints were chosen, and gone when read


def test_a_release_takes_its_checkpoint_in_a_transaction_of_its_own(office, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its lock on the values must not last until the release commits (every writer of
    values would wait for the publish): the checkpoint commits first."""
    from initiatives.services import checkpoints, releases

    seen: list[bool] = []

    def recording(**kwargs: object) -> RollupCheckpoint | None:
        seen.append(checkpoints.checkpoint_in_outer_transaction())
        return checkpoint_take(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(releases, "checkpoint_take", recording)
    release = release_publish(period=Period.parse("2025"), user=office)
    assert seen == [False]
    assert RollupCheckpoint.objects.get(release=release).kept


def test_a_checkpoint_refuses_to_run_inside_another_transaction() -> None:
    from django.db import connection, transaction

    from initiatives.services.checkpoints import CheckpointInTransaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing is held off longer")
    with pytest.raises(CheckpointInTransaction), transaction.atomic():
        checkpoint_take(reason=CheckpointReason.CHANGES)


def test_a_checkpoint_gives_up_at_once_while_values_are_being_written() -> None:
    """A SHARE lock request that waits queues every new writer of values behind it: beat's
    and an import's checkpoints do not ask while another session writes values."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE initiatives_value IN ROW EXCLUSIVE MODE")  # as a writer holds it
        assert checkpoint_take(reason=CheckpointReason.CHANGES) is None
        assert checkpoint_take(reason=CheckpointReason.IMPORT) is None
    finally:
        other.rollback()
        other.close()
    assert checkpoint_take(reason=CheckpointReason.CHANGES) is not None
