"""A forecast run end to end: the command and the task store the same coherent run, read
as committed at a moment (no look-ahead), calibrated on a backtest that scores seasonal
naive against itself at exactly 1; a failed run keeps the previous one."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from initiatives import tasks
from initiatives.forecasts import jobs
from initiatives.forecasts.models import ForecastKind, ForecastPoint, ForecastRun, ForecastStatus, ForecastYearEnd
from initiatives.forecasts.selectors import accuracy_of, forecast_run_for
from initiatives.models import Indicator, Value
from initiatives.periods import Month, Period
from initiatives.services.values import value_set
from initiatives.statistics.services import statistics_import
from regions.models import Region

from .conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("theft_history")]


def _forecast(*args: str, when: datetime.datetime = T0) -> ForecastRun:
    with time_machine.travel(when, tick=False):
        call_command("forecast", "--kpi", "crime.theft", *args, stdout=io.StringIO())
    return ForecastRun.objects.filter(kind=ForecastKind.FORECAST).latest("pk")


def _numbers(run: ForecastRun) -> list[tuple[object, ...]]:
    points = ForecastPoint.objects.filter(run=run).order_by("level", "region__kato", "horizon")
    ends = ForecastYearEnd.objects.filter(run=run).order_by("level", "region__kato")
    return [
        *points.values_list("region__kato", "horizon", "value", "lower_80", "upper_80", "lower_95", "upper_95"),
        *ends.values_list("region__kato", "value", "lower_80", "upper_80", "lower_95", "upper_95", "errors"),
    ]


def test_a_run_stores_twelve_coherent_months_with_nested_ranges_for_every_node() -> None:
    run = _forecast()
    assert run.status == ForecastStatus.DONE, run.reason
    assert run.origin == datetime.date(2026, 9, 1) and run.as_of == T0
    assert run.method in ("bottom_up", "wls_struct", "mint_shrink") and run.calibration is not None
    nodes = set(ForecastPoint.objects.filter(run=run).values_list("region__kato", flat=True))
    regions = set(Region.objects.filter(level=1).values_list("kato", flat=True))
    assert nodes == {None} | regions | {"711000000", "712000000", "751000000", "752000000"}
    for horizon in range(1, 13):
        at = {
            p.region.kato if p.region else "KZ": p
            for p in ForecastPoint.objects.filter(run=run, horizon=horizon).select_related("region")
        }
        assert at["KZ"].period == Month(2026, 9).plus(horizon).first_day
        # The nation is the sum of the regions; Almaty, whose districts add up, of its districts.
        assert abs(at["KZ"].value - sum(at[k].value for k in regions)) <= Decimal("0.01") * len(regions)
        assert abs(at["750000000"].value - at["751000000"].value - at["752000000"].value) <= Decimal("0.02")
        # Astana's own figure is above its districts': the hidden rest keeps it so.
        assert at["710000000"].value > at["711000000"].value + at["712000000"].value
        for p in at.values():
            assert 0 <= p.lower_95 <= p.lower_80 <= p.value <= p.upper_80 <= p.upper_95
    end = ForecastYearEnd.objects.get(run=run, region=None)
    assert end.year == 2026 and end.months_left == 3
    national = Value.objects.filter(indicator__code="crime.theft", region__level=1, period_start__year=2026)
    assert end.actual_to_origin == sum(v.value for v in national)
    assert end.actual_to_origin <= end.lower_95 <= end.lower_80 <= end.value <= end.upper_80 <= end.upper_95


def test_a_run_as_of_a_moment_reads_nothing_committed_after_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = _forecast()
    astana = Region.objects.get(kato="710000000")
    theft = Indicator.objects.get(code="crime.theft")
    later = T0 + datetime.timedelta(days=15)  # October is over
    # After T0: a correction through a service, a correction and a later month through an import.
    with time_machine.travel(later, tick=False):
        value_set(
            indicator=theft,
            region=astana,
            period=Period.parse("2026-05"),
            value=Decimal(999),
            source="import",
            user=None,
            approved=True,
        )
        path = tmp_path / "later.csv"
        path.write_text(
            "region,period,indicator,value\n750000000,2026-08,crime.theft,777\n710000000,2026-10,crime.theft,55\n",
            encoding="utf-8",
        )
        statistics_import(source=path)
        # A month before the first one read, loaded later, would move where the series start.
        early = tmp_path / "early.csv"
        early.write_text(
            "region,period,indicator,value\n"
            + "".join(
                f"{r.kato},2022-05,crime.theft,5\n"
                for r in Region.objects.filter(level=1).exclude(valid_from__gt=datetime.date(2022, 5, 1))
            ),
            encoding="utf-8",
        )
        statistics_import(source=early)
    # The replay makes its own backtest, on the values as they were at T0.
    ForecastRun.objects.filter(kind=ForecastKind.BACKTEST).update(detail={"method_version": "an older method"})
    again = _forecast("--origin", "2026-09", "--as-of", T0.isoformat(), when=later + datetime.timedelta(hours=1))
    assert again.pk != first.pk and again.as_of == T0 and again.replay
    assert again.calibration_id != first.calibration_id
    assert _numbers(again) == _numbers(first)
    # A replay is read by its id, never as the latest run.
    assert forecast_run_for(theft) == first
    # Read as they stand now, the corrections move the forecast: the test above can fail.
    now = _forecast("--origin", "2026-09", when=later + datetime.timedelta(hours=2))
    assert _numbers(now) != _numbers(first)


def test_the_command_and_the_task_store_the_same_run() -> None:
    by_command = _forecast("--origin", "2026-09", "--as-of", T0.isoformat())
    (queued,) = jobs.forecast_runs_request(
        indicators=[Indicator.objects.get(code="crime.theft")],
        trigger="schedule",
        origin=Month(2026, 9),
        as_of=T0,
        queue=False,
    )
    assert tasks.run_forecast(queued.pk) == ForecastStatus.DONE
    assert _numbers(ForecastRun.objects.get(pk=queued.pk)) == _numbers(by_command)


def test_the_backtest_scores_seasonal_naive_against_itself_at_exactly_one() -> None:
    run = _forecast()
    for level in (0, 1, 2):
        for found in accuracy_of(run, level, method="seasonal_naive"):
            assert found.relative_mae in (1.0, None)
            assert found.origins == 12 - found.horizon + 1
    assert all(a.relative_mae is not None for a in accuracy_of(run, 1))


def test_a_failed_run_stores_nothing_and_the_previous_run_stays_the_one_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = _forecast()
    from initiatives.forecasts import fitting

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model library failed")

    monkeypatch.setattr(fitting, "forecast_tree", broken)
    with pytest.raises(CommandError, match="1 of 1 run"):
        _forecast(when=T0 + datetime.timedelta(hours=1))
    failed = ForecastRun.objects.filter(kind=ForecastKind.FORECAST).latest("pk")
    assert failed.status == ForecastStatus.FAILED and "RuntimeError" in failed.reason
    assert not ForecastPoint.objects.filter(run=failed).exists()
    assert forecast_run_for(Indicator.objects.get(code="crime.theft")) == before


def test_the_default_origin_is_the_latest_month_whose_national_figure_is_complete() -> None:
    # October is in for one region only: the nation's October is incomplete.
    theft = Indicator.objects.get(code="crime.theft")
    value_set(
        indicator=theft,
        region=Region.objects.get(kato="710000000"),
        period=Period.parse("2026-10"),
        value=Decimal(40),
        source="import",
        user=None,
        approved=True,
    )
    (run,) = jobs.forecast_runs_request(indicators=[theft], trigger="command", queue=False)
    assert run.origin == datetime.date(2026, 9, 1)


def test_runs_asked_for_after_imports_are_one_per_kpi_while_one_waits() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    first = jobs.forecast_runs_request(indicators=[theft], trigger="import", queue=False)
    second = jobs.forecast_runs_request(indicators=[theft], trigger="import", queue=False)
    assert len(first) == 1 and second == []
    assert ForecastRun.objects.filter(status=ForecastStatus.WAITING).count() == 1


def test_an_import_that_changes_a_forecast_kpi_asks_the_worker_for_runs_and_a_dry_run_does_not(  # type: ignore[no-untyped-def]
    tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.FORECASTS_AFTER_IMPORT = True
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(jobs, "send", lambda *args: sent.append(args) or True)
    path = tmp_path / "one.csv"
    path.write_text("region,period,indicator,value\n710000000,2026-09,crime.theft,555\n", encoding="utf-8")
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            statistics_import(source=path, dry_run=True)
        assert sent == []
        with django_capture_on_commit_callbacks(execute=True):
            result = statistics_import(source=path)
    theft = Indicator.objects.get(code="crime.theft")
    assert result.batch is not None
    assert sent == [("initiatives.tasks.forecast_after_import", result.batch.pk, [theft.pk])]


def test_an_unknown_kpi_or_origin_is_refused_by_the_command() -> None:
    with pytest.raises(CommandError, match=r"crime\.nothing"):
        call_command("forecast", "--kpi", "crime.nothing")
    with pytest.raises(CommandError, match="not a month"):
        call_command("forecast", "--origin", "2025")
    with pytest.raises(CommandError, match="--origin"):
        call_command("forecast", "--origin", "2099-01")
    with pytest.raises(CommandError, match="a moment to come"):
        call_command("forecast", "--as-of", "2099-01-01T00:00:00+05:00")
