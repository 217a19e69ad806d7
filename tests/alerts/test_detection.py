"""The numerical core against figures worked out by hand and against generated series
whose truth is known: no injected rise raises alarms within the budget, an injected one
is flagged with its expected count near the series' usual."""

import math

import numpy as np
import pytest

from initiatives.alerts import detection

pytestmark = pytest.mark.filterwarnings("ignore")


def test_the_budget_shares_its_false_alarms_four_fifths_to_a_month_alone_one_fifth_to_two_running() -> None:
    single, persistent = detection.tails(5, 1000)
    assert single == pytest.approx(4 * 5 / (5 * 1000))  # 0.004: 4 false alarms a month over 1,000 series
    assert persistent == pytest.approx(math.sqrt(5 / (5 * 1000)))  # both of two months: 0.001 each, 1 a month
    assert 1000 * (single + persistent**2) == pytest.approx(5)


def test_a_short_or_sparse_series_is_skipped_and_says_why() -> None:
    assert detection.skip_reason(np.ones(35) * 9) == detection.SHORT
    sparse = np.concatenate([np.ones(30) * 4, np.array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] * 2, dtype=float)])
    assert detection.skip_reason(sparse) == detection.SPARSE  # 3 in the last 24 months
    gaps = np.ones(40) * 5
    gaps[:6] = np.nan
    assert detection.skip_reason(gaps) == detection.SHORT  # 34 known months
    assert detection.skip_reason(np.ones(36) * 0.5) is None


def _seasonal(rng: np.random.Generator, months: np.ndarray, level: float, size: float) -> np.ndarray:
    season = 1 + 0.25 * np.sin(2 * np.pi * (months % 12) / 12 + rng.uniform(0, 2 * np.pi))
    mean = level * season * np.exp(rng.normal(0, 0.04) * (months - months[0]) / 12)
    return rng.negative_binomial(size, size / (size + mean)).astype(float)


def _alarms(series: list[np.ndarray], months: np.ndarray, tested: int, budget: float, n: int) -> int:
    """Alarms of both kinds over the last `tested` months of each series, as a run does."""
    single, persistent = detection.tails(budget, n)
    found = 0
    for y in series:
        before_crossed = False
        for k in range(len(y) - tested - 1, len(y)):
            history = y[:k]
            if detection.skip_reason(history) is not None:
                before_crossed = False
                continue
            predictive = detection.fit_baseline(history, months[:k], int(months[k])).predictive
            alone = detection.judge(predictive, y[k], single, rise=True)
            running = detection.judge(predictive, y[k], persistent, rise=True)
            if k >= len(y) - tested:
                found += alone.crossed + (running.crossed and before_crossed)
            before_crossed = running.crossed
    return found


def test_500_series_without_a_rise_raise_about_the_budget_and_at_most_twice_it() -> None:
    rng = np.random.default_rng(2026)
    months = np.arange(2020 * 12, 2020 * 12 + 72)
    series = [
        _seasonal(
            rng, months, level=float(rng.choice([1.5, 4, 12, 40, 150, 600])), size=float(rng.choice([3, 10, 1e6]))
        )
        for _ in range(500)
    ]
    n = 20 * 221  # the series a national run tests: 20 KPIs, the regions and districts of each
    expected = 12 * 5 * 500 / n  # the budget's expectation for these 500 over 12 months: 6.8
    found = _alarms(series, months, tested=12, budget=5, n=n)
    assert found <= 2 * expected
    # And the budget is spent, not hoarded: thresholds far stricter than it would miss rises.
    assert found >= expected / 4


def test_a_tripled_month_of_a_seasonal_district_is_flagged_with_the_usual_as_expected() -> None:
    rng = np.random.default_rng(7)
    months = np.arange(2021 * 12, 2021 * 12 + 60)
    y = _seasonal(rng, months, level=14, size=15)
    usual = float(np.mean([y[k] for k in range(59 - 12, -1, -12)]))  # the same month of earlier years
    tripled = 3 * usual
    single, _persistent = detection.tails(5, 4420)  # a national run: 20 KPIs x 221 series
    predictive = detection.fit_baseline(y[:59], months[:59], int(months[59])).predictive
    verdict = detection.judge(predictive, tripled, single, rise=True)
    assert verdict.crossed and verdict.p_value < single
    assert abs(verdict.expected - usual) <= 0.3 * usual
    # The same month at its usual level is not.
    assert not detection.judge(predictive, usual, single, rise=True).crossed


def test_a_fall_is_judged_on_the_lower_side_and_a_rise_on_the_upper() -> None:
    predictive = detection.Predictive(mean=100.0, size=None)  # Poisson(100)
    low = detection.judge(predictive, 60, 0.001, rise=False)
    assert low.crossed and low.p_value < 0.001 and low.observed < low.lower
    assert not detection.judge(predictive, 60, 0.001, rise=True).crossed
    high = detection.judge(predictive, 140, 0.001, rise=True)
    assert high.crossed and high.observed > high.upper
    assert not detection.judge(predictive, 140, 0.001, rise=False).crossed


def test_a_forecast_runs_one_step_ahead_month_gives_the_mean_and_the_spread() -> None:
    # Point 100, 95% range up to 139.2: sd 20, variance 400, size 100^2 / (400 - 100).
    predictive = detection.from_forecast(100.0, 100.0 + 1.959964 * 20)
    assert predictive.mean == 100.0
    assert predictive.size == pytest.approx(10000 / 300)
    # Narrower than Poisson: Poisson it is.
    assert detection.from_forecast(100.0, 105.0).size is None


def test_last_years_outbreak_does_not_raise_this_years_threshold() -> None:
    rng = np.random.default_rng(11)
    months = np.arange(2021 * 12, 2021 * 12 + 60)
    y = _seasonal(rng, months, level=30, size=1e6)
    plain = detection.fit_baseline(y[:59], months[:59], int(months[59])).predictive.quantile(0.999)
    outbreak = y.copy()
    outbreak[47] *= 4  # the same month last year
    reweighted = detection.fit_baseline(outbreak[:59], months[:59], int(months[59])).predictive.quantile(0.999)
    assert reweighted <= plain * 1.25


def test_a_gross_error_left_in_the_baseline_neither_silences_the_series_nor_flags_its_ordinary_months() -> None:
    rng = np.random.default_rng(5)
    months = np.arange(2021 * 12, 2021 * 12 + 60)
    y = _seasonal(rng, months, level=14, size=20)
    single, _persistent = detection.tails(5, 4420)
    for factor in (100, 1000):
        typo = y.copy()
        typo[54] = y[54] * factor  # five months back, never corrected
        predictive = detection.fit_baseline(typo[:59], months[:59], int(months[59])).predictive
        assert abs(predictive.mean - float(np.median(y[47:59]))) < 0.5 * float(np.median(y[47:59]))
        assert not detection.judge(predictive, float(y[59]), single, rise=True).crossed
        assert detection.judge(predictive, 3 * float(np.median(y[47:59])) + 10, single, rise=True).crossed


def test_a_series_mostly_of_zeros_keeps_its_ones_and_twos_and_is_not_flagged_for_them() -> None:
    rng = np.random.default_rng(3)
    months = np.arange(2022 * 12, 2022 * 12 + 53)
    y = rng.poisson(0.7, 53).astype(float)
    baseline = detection.fit_baseline(y[:-1], months[:-1], int(months[-1]))
    assert baseline.model == "glm" and 0.3 < baseline.predictive.mean < 1.2
    single, _persistent = detection.tails(5, 2514)
    assert not any(detection.judge(baseline.predictive, k, single, rise=True).crossed for k in (1, 2, 3))
    assert detection.judge(baseline.predictive, 12, single, rise=True).crossed
