"""The stored runs' readers (selectors), on runs stored as a run's job stores them."""

import pytest

from initiatives.forecasts.selectors import (
    accuracy_of,
    forecast_run_for,
    node_forecast,
    probability_meets_target,
    track_record,
    tree_forecast,
)
from initiatives.models import Direction, Indicator
from initiatives.periods import Month
from regions.models import Region
from tests.factories import stored_forecast

pytestmark = pytest.mark.django_db


def test_the_latest_finished_run_of_the_latest_origin_is_read_without_origin_or_run() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    older = stored_forecast(theft, origin="2026-09")
    newer = stored_forecast(theft, origin="2026-10")
    assert forecast_run_for(theft) == newer
    assert forecast_run_for(theft, origin=Month(2026, 9)) == older
    assert forecast_run_for(theft, run=older.pk) == older
    assert forecast_run_for(theft, origin=Month(2026, 9), run=newer.pk) is None


def test_a_nodes_forecast_has_twelve_months_and_the_tree_adds_up() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    run = stored_forecast(theft)
    nation = node_forecast(run, None)
    assert nation is not None and [p.horizon for p in nation.months] == list(range(1, 13))
    tree = tree_forecast(run, None)
    regions = [n for n in tree if n.level == 1]
    for h in range(12):
        assert nation.months[h].value == sum(n.months[h].value for n in regions)


def test_the_probability_of_meeting_a_target_reads_the_stored_errors_by_direction() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    run = stored_forecast(theft)
    end = node_forecast(run, None).year_end  # type: ignore[union-attr]
    # errors -1.0 .. +1.0 in steps of 0.1, times the scale: the target at the value splits them 11 / 21.
    assert probability_meets_target(end, Direction.LOWER_IS_BETTER, end.value) == pytest.approx(11 / 21, abs=1e-4)
    assert probability_meets_target(end, Direction.HIGHER_IS_BETTER, end.value) == pytest.approx(11 / 21, abs=1e-4)
    assert probability_meets_target(end, Direction.LOWER_IS_BETTER, None) is None
    assert probability_meets_target(end, Direction.LOWER_IS_BETTER, end.value * 10) == 1.0


def test_accuracy_uses_only_origins_the_run_could_have_known() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    run = stored_forecast(theft, relative_mae=0.8)
    found = accuracy_of(run, 1)
    assert [a.horizon for a in found] == list(range(1, 13))
    # 12 origins before 2026-10: horizon h is known at origins 2026-10 minus h or earlier.
    assert [a.origins for a in found] == [12 - h + 1 for h in range(1, 13)]
    assert found[0].relative_mae == pytest.approx(0.8)
    assert found[0].coverage_80 == pytest.approx(0.8)
    record = track_record(run, 1)
    assert record.closer_percent == 20 and not record.worse_than_benchmark


def test_a_run_without_a_node_answers_none_for_it() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    run = stored_forecast(theft)
    outside = Region.objects.filter(level=1).order_by("-kato").first()
    assert node_forecast(run, outside) is None
