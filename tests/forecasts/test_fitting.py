"""The forecast core on small generated trees: no database."""

import math

import numpy as np

from initiatives.forecasts import calibration, conformal, fitting
from initiatives.forecasts.fitting import (
    BENCHMARK,
    HORIZON,
    METHODS,
    Tree,
    backtest_tree,
    choose_method,
    conformal_halfwidth,
    fit_window,
    forecast_tree,
    ranges_from,
    seasonal_naive_scale,
    with_rest_series,
)

MONTHS = 60
# Nation, 3 regions, 8 districts (region 1 has 3, region 2 has 3, region 3 has 2).
DISTRICT_REGION = [1, 1, 1, 2, 2, 2, 3, 3]


def small_tree() -> Tree:
    keys = ["KZ", "R1", "R2", "R3"] + [f"D{d}" for d in range(len(DISTRICT_REGION))]
    parent = [-1, 0, 0, 0, *DISTRICT_REGION]
    level = [0, 1, 1, 1] + [2] * len(DISTRICT_REGION)
    return Tree(keys=keys, parent=parent, level=level, hidden=[False] * len(keys))


def district_counts(seed: int = 7, months: int = MONTHS, means: list[float] | None = None) -> np.ndarray:
    """Negative-binomial counts with a yearly season, two of them sparse."""
    rng = np.random.default_rng(seed)
    means = means or [40, 25, 2, 60, 15, 1, 30, 20]
    t = np.arange(months)
    rows = []
    for d, mean in enumerate(means):
        mu = mean * (1 + 0.2 * np.sin(2 * np.pi * (t + d) / 12))
        rows.append(rng.negative_binomial(10, 10 / (10 + mu)))
    return np.array(rows, dtype=np.float64)


def summed_up(districts: np.ndarray) -> np.ndarray:
    regions = np.array(
        [districts[[d for d, r in enumerate(DISTRICT_REGION) if r == region]].sum(axis=0) for region in (1, 2, 3)]
    )
    return np.vstack([regions.sum(axis=0, keepdims=True), regions, districts])


def assert_coherent(tree: Tree, rows: np.ndarray) -> None:
    for node, kids in enumerate(tree.children()):
        if kids:
            np.testing.assert_allclose(rows[node], rows[kids].sum(axis=0), rtol=1e-10, atol=1e-9)


def test_every_method_adds_up_the_tree_and_is_never_negative_where_shown():
    y = summed_up(district_counts())
    y[1] += np.where(np.arange(MONTHS) % 5 == 0, -3.0, 2.0)  # R1's own figure is not its districts' sum
    tree, y = with_rest_series(small_tree(), y)
    forecast = forecast_tree(y, tree)
    assert set(forecast.points) == {*METHODS, BENCHMARK}
    shown = ~np.array(tree.hidden)
    for rows in forecast.points.values():
        assert rows.shape == (len(tree.keys), HORIZON)
        assert_coherent(tree, rows)
        assert (rows[shown] >= 0).all()


def test_a_district_forecast_below_zero_is_clipped_and_its_region_summed_again():
    districts = district_counts()
    districts[2, -12:] = 0.0  # a district that went quiet, beside a falling one
    districts[2, :-12] = 9.0
    forecast = forecast_tree(summed_up(districts), small_tree())
    for rows in forecast.points.values():
        assert (rows >= 0).all()
        assert_coherent(small_tree(), rows)


def test_a_rest_node_is_added_only_where_the_own_figure_differs_and_the_tree_then_adds_up():
    y = summed_up(district_counts())
    y[2, 10] += 5.0  # R2 counts more than its districts in one month
    y[3] -= 4.0  # R3 counts less than its districts every month: its rest is negative
    y[0] = y[1:4].sum(axis=0)
    tree, with_rest = with_rest_series(small_tree(), y)
    added = tree.keys[len(small_tree().keys) :]
    assert added == ["R2~rest", "R3~rest"]
    assert tree.hidden[-2:] == [True, True]
    assert [tree.parent[-2], tree.parent[-1]] == [2, 3]
    assert (with_rest[-1] == -4.0).all()
    assert with_rest[-2, 10] == 5.0
    assert_coherent(tree, with_rest)


def test_a_rest_month_is_unknown_where_the_own_figure_or_a_child_is_unknown():
    y = summed_up(district_counts())
    y[3] -= 4.0
    y[0] = y[1:4].sum(axis=0)
    y[7, 5] = np.nan  # a district of R2: R2 adds up, unknown month or not
    y[10, 6] = np.nan  # a district of R3
    tree, with_rest = with_rest_series(small_tree(), y)
    assert tree.keys[len(small_tree().keys) :] == ["R3~rest"]
    assert np.isnan(with_rest[-1, 6])
    assert with_rest[-1, 5] == -4.0


def test_a_series_of_constant_mean_is_forecast_close_to_it_and_inside_its_80_percent_range():
    rng = np.random.default_rng(11)
    districts = district_counts(seed=3)
    districts[0] = rng.poisson(40, MONTHS)
    y = summed_up(districts)
    tree = small_tree()
    backtests = backtest_tree(y, tree, origins=list(range(36, MONTHS - 1, 2)), last=MONTHS - 1)
    forecast = forecast_tree(y, tree)
    widths = {
        coverage: calibration.level_halfwidths(backtests, tree, "bottom_up", coverage) for coverage in (0.8, 0.95)
    }
    ranges = ranges_from(forecast.points["bottom_up"], forecast.scale, widths[0.8], widths[0.95])
    district = 4  # D0
    assert (ranges.lower_80[district] <= 40).all()
    assert (ranges.upper_80[district] >= 40).all()
    assert np.all(np.abs(forecast.points["bottom_up"][district, :3] - 40) <= 4)


def test_backtest_errors_are_the_actual_minus_the_seasonal_naive_worked_out_by_hand():
    y = summed_up(district_counts())
    y[5, 20] = np.nan  # D1's month a year before a forecast month is unknown
    tree = small_tree()
    origin, last = 31, 38
    (result,) = backtest_tree(y, tree, origins=[origin], last=last)
    d1 = 5
    by_hand = np.full(HORIZON, np.nan)
    for h in range(1, last - origin + 1):
        same_month_last_year = origin + h - 12
        forecast = y[d1, same_month_last_year] if h != 1 else y[d1, 8]  # month 20 unknown: month 8, a year before
        by_hand[h - 1] = y[d1, origin + h] - forecast
    np.testing.assert_array_equal(result.errors[BENCHMARK][d1], by_hand)
    assert np.isnan(result.errors[BENCHMARK][:, last - origin :]).all()
    np.testing.assert_allclose(result.cumulative[BENCHMARK][d1, :3], np.cumsum(by_hand[:3]))
    assert np.isnan(result.cumulative[BENCHMARK][d1, last - origin :]).all()
    region = 1
    np.testing.assert_allclose(result.errors[BENCHMARK][region], result.errors[BENCHMARK][[4, 5, 6]].sum(axis=0))
    np.testing.assert_array_equal(result.scale, seasonal_naive_scale(y[:, : origin + 1]))


def test_months_after_an_origin_do_not_change_its_forecast():
    y = summed_up(district_counts())
    tree = small_tree()
    origin = 40
    changed = y.copy()
    changed[:, origin + 1 :] = changed[:, origin + 1 :] * 3 + 100
    (before,) = backtest_tree(y, tree, origins=[origin], last=MONTHS - 1)
    (after,) = backtest_tree(changed, tree, origins=[origin], last=MONTHS - 1)
    for method in (*METHODS, BENCHMARK):
        np.testing.assert_array_equal(before.points[method], after.points[method])
        assert not np.array_equal(before.errors[method], after.errors[method])


def test_two_runs_give_identical_arrays():
    y = summed_up(district_counts())
    first, second = forecast_tree(y, small_tree()), forecast_tree(y, small_tree())
    for method in first.points:
        np.testing.assert_array_equal(first.points[method], second.points[method])
    np.testing.assert_array_equal(first.base, second.base)
    assert first.model == second.model


def test_sparse_series_get_an_intermittent_model_and_regular_ones_a_seasonal_one():
    forecast = forecast_tree(summed_up(district_counts()), small_tree())
    assert forecast.model[6] == "IMAPA"  # D2, two a month
    assert forecast.model[9] == "IMAPA"  # D5, one a month
    assert forecast.model[4] == "AutoETS+AutoCES"  # D0, forty a month


def test_a_series_known_for_less_than_two_years_gets_a_simple_fallback():
    y = summed_up(district_counts())
    y[4, :40] = np.nan  # D0 known for its last 20 months
    y[5, :52] = np.nan  # D1 known for its last 8
    forecast = forecast_tree(y, small_tree())
    assert forecast.model[4] == "SeasonalNaive"
    assert forecast.model[5] == "HistoricAverage"


def test_a_series_that_stopped_before_the_origin_is_forecast_from_its_last_known_month():
    districts = district_counts()
    y = summed_up(districts)
    tree = small_tree()
    y[4, -3:] = np.nan  # D0's last three months are not in yet
    forecast = forecast_tree(y, tree)
    from_last_known = forecast_tree(y[:, :-3], tree, horizon=HORIZON + 3)
    np.testing.assert_allclose(forecast.base[4], from_last_known.base[4, 3:])


def test_a_short_gap_is_left_out_of_the_fit_window_and_a_long_one_ends_it():
    series = np.array([1.0, np.nan, 2.0, 3.0, 4.0, np.nan, np.nan])
    assert fit_window(series) == (0, 5)  # one incomplete month does not cut the history
    long_gap = np.array([1.0, 2.0, np.nan, np.nan, np.nan, np.nan, 3.0, 4.0])
    assert fit_window(long_gap) == (6, 8)
    assert fit_window(np.full(4, np.nan)) == (0, 0)


def test_an_incomplete_month_is_filled_from_the_same_month_a_year_before_for_fitting_only():
    t = np.arange(48, dtype=np.float64)
    series = 100 + 20 * np.sin(2 * np.pi * t / 12)
    series[40] = np.nan
    window = fitting.filled(series)
    assert window[40] == series[28]
    fit = fitting.base_forecast(series)
    assert fit.model == "AutoETS+AutoCES" and np.isnan(fit.fitted[40])
    # The season is kept: the history is not cut at the gap.
    assert fit.mean.max() - fit.mean.min() > 20


def test_the_scale_is_the_seasonal_naive_mae_with_a_floor_of_one():
    t = np.arange(36, dtype=np.float64)
    rows = np.array([t, np.zeros(36), np.full(36, np.nan)])
    np.testing.assert_array_equal(seasonal_naive_scale(rows), [12.0, 1.0, 1.0])


def test_mint_shrink_falls_back_to_wls_struct_when_the_library_fails_and_says_so(monkeypatch):
    real = fitting.MinTrace

    def failing_shrink(method, **options):
        if method == "mint_shrink":
            raise np.linalg.LinAlgError("ill-conditioned")
        return real(method, **options)

    monkeypatch.setattr(fitting, "MinTrace", failing_shrink)
    forecast = forecast_tree(summed_up(district_counts()), small_tree())
    assert forecast.fallbacks == {"mint_shrink": "wls_struct"}
    np.testing.assert_array_equal(forecast.points["mint_shrink"], forecast.points["wls_struct"])


def test_ranges_are_nested_and_never_below_zero():
    point = np.array([[1.0, 50.0], [0.0, 3.0]])
    scale = np.array([2.0, 5.0])
    ranges = ranges_from(point, scale, np.array([[1.0, 1.0], [0.5, 2.0]]), np.array([[0.5, 2.0], [1.0, 3.0]]))
    assert (ranges.lower_95 <= ranges.lower_80).all()
    assert (ranges.upper_95 >= ranges.upper_80).all()
    assert (ranges.lower_80 >= 0).all()
    np.testing.assert_array_equal(ranges.lower_80, [[0.0, 48.0], [0.0, 0.0]])
    np.testing.assert_array_equal(ranges.upper_95, [[3.0, 54.0], [5.0, 18.0]])


def test_the_conformal_halfwidth_takes_the_finite_sample_corrected_quantile():
    errors = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, np.nan])
    # n = 9 finite: ceil(10 * 0.8) = 8, the 8th smallest is 0.8; ceil(10 * 0.5) = 5 -> 0.5
    assert conformal_halfwidth(errors, 0.8) == 0.8
    assert conformal_halfwidth(errors, 0.5) == 0.5
    # ceil(10 * 0.95) = 10 > 9: too few errors for a 95% range
    assert conformal_halfwidth(errors, 0.95) is None
    assert conformal_halfwidth(np.array([]), 0.8) is None


def test_the_nation_borrows_the_regions_errors_while_it_has_too_few_of_its_own():
    y = summed_up(district_counts())
    tree = small_tree()
    backtests = backtest_tree(y, tree, origins=[40, 41, 42], last=MONTHS - 1)
    pool = calibration.pool_of(backtests, tree, ["bottom_up"])
    assert len(pool[("bottom_up", 0, 1, False)]) == 3
    assert len(pool[("bottom_up", 1, 1, False)]) == 9
    # 3 of its own at this horizon: the regions' 9 join them, sized by the nation's spread
    # (its errors over all horizons against the regions'); 12 being too few for a 95%
    # range, the districts' too, as they are.
    spread = conformal.nation_spread(pool, "bottom_up", False)
    assert spread != 1.0
    assert conformal.pooled(pool, "bottom_up", 0, 1, False) == [
        *pool[("bottom_up", 0, 1, False)],
        *(e * spread for e in pool[("bottom_up", 1, 1, False)]),
        *pool[("bottom_up", 2, 1, False)],
    ]


def test_the_regions_errors_lent_to_the_nation_take_the_nations_size() -> None:
    own = [2.0] * 12  # the nation's errors: twice the regions' at every horizon
    pool = {("m", 0, 1, False): own, ("m", 1, 1, False): [1.0, -1.0] * 20}
    assert conformal.nation_spread(pool, "m", False) == 2.0
    assert sorted(abs(e) for e in conformal.pooled(pool, "m", 0, 1, False)) == [2.0] * 52


def test_errors_not_yet_known_at_a_date_are_left_out_of_the_pools():
    y = summed_up(district_counts())
    tree = small_tree()
    backtests = backtest_tree(y, tree, origins=[40, 41], last=MONTHS - 1)
    pool = calibration.pool_of(backtests, tree, ["bottom_up"], as_of=42)
    assert [len(pool.get(("bottom_up", 2, h, False), [])) for h in (1, 2, 3)] == [16, 8, 0]


def test_the_method_chosen_is_the_one_with_the_lowest_error_and_bottom_up_on_a_tie():
    assert choose_method({"bottom_up": 0.9, "wls_struct": 0.7, "mint_shrink": 0.8}) == "wls_struct"
    assert choose_method({"bottom_up": 0.7, "wls_struct": 0.7, "mint_shrink": 0.7}) == "bottom_up"
    assert choose_method({"bottom_up": math.nan, "wls_struct": 0.9, "mint_shrink": 0.9}) == "wls_struct"


def test_a_single_sparse_series_is_forecast_non_negative_and_can_be_backtested():
    rng = np.random.default_rng(5)
    village = rng.poisson(0.4, 48).astype(np.float64)
    forecast = forecast_tree(village[None, :], fitting.SINGLE).points["bottom_up"][0]
    assert forecast.shape == (HORIZON,)
    assert (forecast >= 0).all()
    assert forecast.max() < 2
    backtests = backtest_tree(village[None, :], fitting.SINGLE, origins=[30, 31], last=47)
    assert backtests[0].errors["bottom_up"].shape == (1, HORIZON)
    np.testing.assert_allclose(
        backtests[0].errors["bottom_up"][0, 0], village[31] - backtests[0].points["bottom_up"][0, 0]
    )
