"""Monthly forecasts of a count KPI over the region tree: base models, reconciliation, backtests.

Pure computation on numpy arrays: no Django, no database. A tree is nation (index 0) ->
regions -> districts; `y` is (n_nodes, T), NaN where a month's figure is incomplete or absent,
and its last column is the origin month.

Base forecasts (statsforecast, one series at a time, nothing parallel: a prefork worker cannot
fork again). Each series is fitted on its *fit window*: back from its last known month over
known months and gaps of at most `MAX_GAP` (3) incomplete months, which are filled for the
models (the same month a year before or after, else a straight line) and never scored; a
longer gap ends the history there. The rule, by that window:
- no known month: zeros ("None");
- fewer than 12 known months: HistoricAverage;
- 12 to 23 known months: SeasonalNaive (too short to fit a season);
- sparse (never negative, and a mean below 3 a month or at least 30% zero months): IMAPA,
  an intermittent-demand method, its forecast clipped at 0 (it accepts negatives silently);
- otherwise (regular): the mean of AutoETS and AutoCES, both with a 12-month season
  (`REGULAR_MODEL`). A combination of two standard automatic models (half of the "SCUM"
  ensemble of Petropoulos & Svetunkov): on demo-like data it beat the seasonal naive at the
  nation and regions more steadily across seeds than AutoETS, AutoTheta or ETS+Theta alone,
  which with 3-4 years of history often drop the season (`bench/forecasts.py`).
A series whose last known month is before the origin is forecast from that month, over the
gap plus the horizon, and the horizons counted from the origin are kept.

Reconciliation (hierarchicalforecast): BottomUp, MinTrace wls_struct and MinTrace mint_shrink
(the latter on the in-sample one-step residuals of the base models). If mint_shrink fails
numerically, or gives non-finite values, its output is wls_struct's, recorded in
`TreeForecast.fallbacks`.

Non-negativity: after reconciling, the forecasts of real leaves (districts, and regions
without districts) are clipped at 0 and every node above is re-summed from the leaves, so
points stay coherent. Hidden "rest of region" leaves are never clipped: a region's own figure
may be below the sum of its districts (`with_rest_series`).

Benchmark (`seasonal_naive`): the same month last year; where that month is unknown, the last
known value of the same calendar month, else the mean of the known values, else 0. It is made
coherent like the others: the leaves' seasonal naive, summed up the tree (a node whose own
figures add up exactly gets its own seasonal naive back).

Scale (for scaled errors and ranges): the in-sample seasonal-naive MAE, mean |y_t - y_{t-12}|
over the pairs of known months up to the origin; without such a pair, the mean |y| of known
months. It is floored at `SCALE_FLOOR` = 1 (one offence: counts move in whole units), so it is
always > 0 and a flat series of zeros does not turn a tiny error into an enormous scaled one.

Everything is deterministic: no random draws, one thread, the same input gives the same arrays.
"""

import math
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# hierarchicalforecast imports matplotlib, which wants a writable config directory.
os.environ.setdefault("MPLCONFIGDIR", tempfile.gettempdir())

from hierarchicalforecast.methods import BottomUp, MinTrace
from statsforecast.models import (
    IMAPA,
    AutoCES,
    AutoETS,
    AutoTheta,
    HistoricAverage,
    SeasonalNaive,
)

from .conformal import conformal_quantile

Array = npt.NDArray[np.float64]

HORIZON = 12
SEASON = 12
METHODS = ("bottom_up", "wls_struct", "mint_shrink")
BENCHMARK = "seasonal_naive"

# Series shorter than this (known months in the fit window) are not fitted with a season.
MIN_SEASONAL_MONTHS = 24
# Incomplete months inside a series' history up to this many in a row are filled for
# fitting (`filled`); a longer gap ends the history the series is fitted on.
MAX_GAP = 3
# A non-negative series is sparse when its mean is below this, or this share of months is zero.
SPARSE_MEAN = 3.0
SPARSE_ZERO_SHARE = 0.3
SCALE_FLOOR = 1.0
# Which models make the regular base forecast (their mean), "+"-joined from "ets", "ces", "theta".
REGULAR_MODEL = "ets+ces"
# Names the methods above: a backtest made by other methods is not reused (jobs.py), so a
# change of method here is followed by a new backtest. Change it with the methods.
METHOD_VERSION = "2026-12: ets+ces / imapa / seasonal naive; gaps of 3 filled"


@dataclass(frozen=True)
class Tree:
    keys: list[str]
    parent: list[int]
    level: list[int]
    hidden: list[bool]

    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.keys]
        for node, parent in enumerate(self.parent):
            if parent >= 0:
                kids[parent].append(node)
        return kids

    def leaves(self) -> list[int]:
        return [node for node, kids in enumerate(self.children()) if not kids]

    def summing_matrix(self) -> Array:
        """(n_nodes, n_leaves): 1 where the leaf (column, in `leaves()` order) is under the node."""
        leaves = self.leaves()
        s = np.zeros((len(self.keys), len(leaves)), dtype=np.float64)
        for column, leaf in enumerate(leaves):
            node = leaf
            while node >= 0:
                s[node, column] = 1.0
                node = self.parent[node]
        return s


def with_rest_series(tree: Tree, y: Array) -> tuple[Tree, Array]:
    """Where a node with children has its own figure that differs from the sum of its children in any month
    (both known), add a hidden child '<key>~rest' = own - sum(children) (may be negative), so the tree adds up
    exactly. Nodes whose children add up exactly get no rest node. A node with no children is a leaf.

    Rest nodes are appended after the existing nodes (their indices do not move); a rest month
    is known only where the node and all its children are.
    """
    keys, parent, level, hidden = list(tree.keys), list(tree.parent), list(tree.level), list(tree.hidden)
    rows = [y[node] for node in range(len(tree.keys))]
    for node, kids in enumerate(tree.children()):
        if not kids:
            continue
        rest = y[node] - y[kids].sum(axis=0)  # NaN where the node or any child is unknown
        known = ~np.isnan(rest)
        tolerance = 1e-9 * np.maximum(1.0, np.abs(y[node][known]))
        if not np.any(np.abs(rest[known]) > tolerance):
            continue
        keys.append(f"{tree.keys[node]}~rest")
        parent.append(node)
        level.append(tree.level[node] + 1)
        hidden.append(True)
        rows.append(rest)
    return Tree(keys=keys, parent=parent, level=level, hidden=hidden), np.array(rows, dtype=np.float64)


@dataclass
class TreeForecast:
    points: dict[str, Array]
    base: Array
    scale: Array
    model: list[str]
    # method -> the method whose output stands in for it (mint_shrink -> wls_struct when it failed).
    fallbacks: dict[str, str] = field(default_factory=dict)


@dataclass
class OriginErrors:
    origin: int
    errors: dict[str, Array]
    cumulative: dict[str, Array]
    scale: Array
    points: dict[str, Array]


@dataclass
class Ranges:
    lower_80: Array
    upper_80: Array
    lower_95: Array
    upper_95: Array


@dataclass(frozen=True)
class BaseFit:
    """One series' base forecast over the horizon and its in-sample one-step fitted values."""

    mean: Array
    fitted: Array  # (T,), NaN outside the fit window and where the model gives none
    model: str


def fit_window(series: Array) -> tuple[int, int]:
    """[start, end) of the months a series is fitted on: back from its last known month over
    known months and gaps of at most MAX_GAP months (an incomplete month is left out, it
    does not cut the history); a longer gap ends it. (0, 0) if no month is known."""
    known = np.flatnonzero(~np.isnan(series))
    if known.size == 0:
        return 0, 0
    end = int(known[-1]) + 1
    start = end - 1
    while start > 0:
        if not np.isnan(series[start - 1]):
            start -= 1
            continue
        before = start - 1
        while before >= 0 and np.isnan(series[before]):
            before -= 1
        if before < 0 or start - 1 - before > MAX_GAP:
            break
        start = before
    return start, end


def filled(window: Array) -> Array:
    """A fit window with its few incomplete months filled for the models, which need every
    month: the same month a year before (or after) where known, else a straight line
    between the known neighbours. The filled months are never scored."""
    out = window.copy()
    missing = np.flatnonzero(np.isnan(window))
    if missing.size == 0:
        return out
    known = np.flatnonzero(~np.isnan(window))
    for t in missing:
        for same in (t - SEASON, t + SEASON):
            if 0 <= same < window.size and not np.isnan(window[same]):
                out[t] = window[same]
                break
        else:
            out[t] = np.interp(t, known, window[known])
    return out


def _is_sparse(window: Array) -> bool:
    if np.any(window < 0):
        return False
    return bool(window.mean() < SPARSE_MEAN or np.mean(window == 0) >= SPARSE_ZERO_SHARE)


def _model_forecast(model: Any, window: Array, steps: int) -> tuple[Array, Array]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.forecast(y=window, h=steps, fitted=True)
    mean = np.asarray(result["mean"], dtype=np.float64)
    fitted = result.get("fitted")
    fitted_values = np.full(window.size, np.nan) if fitted is None else np.asarray(fitted, dtype=np.float64)
    return mean, fitted_values


def _regular_models() -> list[tuple[str, Any]]:
    models: list[tuple[str, Any]] = []
    if "ets" in REGULAR_MODEL.split("+"):
        models.append(("AutoETS", AutoETS(season_length=SEASON)))
    if "ces" in REGULAR_MODEL.split("+"):
        models.append(("AutoCES", AutoCES(season_length=SEASON)))
    if "theta" in REGULAR_MODEL.split("+"):
        models.append(("AutoTheta", AutoTheta(season_length=SEASON)))
    return models


def base_forecast(series: Array, horizon: int = HORIZON) -> BaseFit:
    """The base forecast of one series whose last element is the origin month (rule in the module docstring)."""
    start, end = fit_window(series)
    fitted = np.full(series.size, np.nan)
    if end == 0:
        return BaseFit(mean=np.zeros(horizon), fitted=fitted, model="None")
    window = filled(series[start:end])
    gap = series.size - end
    steps = gap + horizon
    sparse = False
    if window.size < SEASON:
        candidates: list[tuple[str, Any]] = [("HistoricAverage", HistoricAverage())]
    elif window.size < MIN_SEASONAL_MONTHS:
        candidates = [("SeasonalNaive", SeasonalNaive(season_length=SEASON))]
    elif _is_sparse(window):
        sparse = True
        candidates = [("IMAPA", IMAPA())]
    else:
        candidates = _regular_models()
    means, fits = [], []
    for _, model in candidates:
        mean, fit = _model_forecast(model, window, steps)
        means.append(mean)
        fits.append(fit)
    mean = np.mean(means, axis=0)[gap:]
    fitted[start:end] = np.mean(fits, axis=0)
    if sparse:
        mean = np.maximum(mean, 0.0)
        fitted[start:end] = np.maximum(fitted[start:end], 0.0)
    fitted[start:end][np.isnan(series[start:end])] = np.nan  # a filled month has no in-sample error
    if not np.all(np.isfinite(mean)):
        mean = seasonal_naive(series[None, :], horizon)[0]
    return BaseFit(mean=mean, fitted=fitted, model="+".join(name for name, _ in candidates))


def seasonal_naive(y: Array, horizon: int = HORIZON) -> Array:
    """(n, horizon): each row's same month last year (fallbacks in the module docstring)."""
    n, months = y.shape
    out = np.zeros((n, horizon))
    for row in range(n):
        series = y[row]
        known = series[~np.isnan(series)]
        fallback = float(known.mean()) if known.size else 0.0
        for h in range(1, horizon + 1):
            column = months - SEASON + ((h - 1) % SEASON)
            value = math.nan
            while column >= 0:
                if not np.isnan(series[column]):
                    value = float(series[column])
                    break
                column -= SEASON
            out[row, h - 1] = fallback if math.isnan(value) else value
    return out


def seasonal_naive_scale(y: Array) -> Array:
    """(n,): in-sample seasonal-naive MAE per row, floored at SCALE_FLOOR (see the module docstring)."""
    scale = np.full(y.shape[0], SCALE_FLOOR)
    for row in range(y.shape[0]):
        series = y[row]
        diffs = np.abs(series[SEASON:] - series[:-SEASON]) if series.size > SEASON else np.array([])
        diffs = diffs[~np.isnan(diffs)]
        if diffs.size:
            value = float(diffs.mean())
        else:
            known = series[~np.isnan(series)]
            value = float(np.abs(known).mean()) if known.size else 0.0
        scale[row] = max(value, SCALE_FLOOR)
    return scale


def _coherent(tree: Tree, s: Array, leaf_rows: Array) -> Array:
    """Clip the real (not hidden) leaves at 0 and sum every node up from its leaves."""
    leaves = tree.leaves()
    clipped = leaf_rows.copy()
    for column, leaf in enumerate(leaves):
        if not tree.hidden[leaf]:
            clipped[column] = np.maximum(clipped[column], 0.0)
    result: Array = s @ clipped
    return result


def _reconcile(
    tree: Tree, s: Array, base: Array, y_insample: Array, fitted: Array
) -> tuple[dict[str, Array], dict[str, str]]:
    """Reconciled leaf rows per method, each (n_leaves, H); hierarchicalforecast wants aggregates first."""
    leaves = tree.leaves()
    leaf_set = set(leaves)
    aggregates = [node for node in range(len(tree.keys)) if node not in leaf_set]
    order = aggregates + leaves
    n_aggregates = len(aggregates)
    if n_aggregates == 0:
        return {method: base[leaves] for method in METHODS}, {}
    s_ordered = s[order]
    base_ordered = base[order]
    out: dict[str, Array] = {}
    fallbacks: dict[str, str] = {}
    out["bottom_up"] = BottomUp().fit_predict(S=s_ordered, y_hat=base_ordered)["mean"][n_aggregates:]
    out["wls_struct"] = MinTrace(method="wls_struct").fit_predict(S=s_ordered, y_hat=base_ordered)["mean"][
        n_aggregates:
    ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shrink = MinTrace(method="mint_shrink").fit_predict(
                S=s_ordered, y_hat=base_ordered, y_insample=y_insample[order], y_hat_insample=fitted[order]
            )["mean"][n_aggregates:]
        if not np.all(np.isfinite(shrink)):
            raise FloatingPointError("mint_shrink gave non-finite forecasts")
        out["mint_shrink"] = shrink
    except Exception:
        out["mint_shrink"] = out["wls_struct"]
        fallbacks["mint_shrink"] = "wls_struct"
    return {method: np.asarray(rows, dtype=np.float64) for method, rows in out.items()}, fallbacks


def forecast_tree(y: Array, tree: Tree, *, horizon: int = HORIZON) -> TreeForecast:
    """y: (n_nodes, T) float, NaN where a month's figure is incomplete/absent; column T-1 is the origin month.
    Deterministic (fixed seeds)."""
    y = np.asarray(y, dtype=np.float64)
    n = len(tree.keys)
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} rows for a tree of {n} nodes")
    fits = [base_forecast(y[node], horizon) for node in range(n)]
    base = np.array([fit.mean for fit in fits], dtype=np.float64)
    fitted = np.array([fit.fitted for fit in fits], dtype=np.float64)
    s = tree.summing_matrix()
    leaves = tree.leaves()
    reconciled, fallbacks = _reconcile(tree, s, base, y, fitted)
    points = {method: _coherent(tree, s, reconciled[method]) for method in METHODS}
    points[BENCHMARK] = _coherent(tree, s, seasonal_naive(y[leaves], horizon))
    return TreeForecast(
        points=points,
        base=base,
        scale=seasonal_naive_scale(y),
        model=[fit.model for fit in fits],
        fallbacks=fallbacks,
    )


def backtest_tree(
    y: Array,
    tree: Tree,
    *,
    origins: list[int],
    last: int,
    horizon: int = HORIZON,
    progress: Callable[[int], None] | None = None,
) -> list[OriginErrors]:
    """Rolling origins: for each origin o refit on y[:, :o+1] only, forecast 1..horizon; errors against y where the
    actual month's column index <= last (no look-ahead beyond `last`). progress(k) called after each origin.

    `cumulative[m][:, h-1]` is the error of the sum of months 1..h (NaN if any of them is unknown).
    """
    y = np.asarray(y, dtype=np.float64)
    out: list[OriginErrors] = []
    for k, origin in enumerate(origins):
        forecast = forecast_tree(y[:, : origin + 1], tree, horizon=horizon)
        actual = np.full((y.shape[0], horizon), np.nan)
        stop = min(origin + horizon, last, y.shape[1] - 1)
        if stop > origin:
            actual[:, : stop - origin] = y[:, origin + 1 : stop + 1]
        errors = {method: actual - point for method, point in forecast.points.items()}
        cumulative = {
            method: np.cumsum(actual, axis=1) - np.cumsum(point, axis=1) for method, point in forecast.points.items()
        }
        out.append(
            OriginErrors(
                origin=origin, errors=errors, cumulative=cumulative, scale=forecast.scale, points=forecast.points
            )
        )
        if progress is not None:
            progress(k + 1)
    return out


def conformal_halfwidth(scaled_abs_errors: Array, coverage: float) -> float | None:
    """Split-conformal quantile with the finite-sample correction ceil((n+1)*coverage)/n
    (`conformal.conformal_quantile`, the one rule); None when too few errors."""
    return conformal_quantile(np.asarray(scaled_abs_errors, dtype=np.float64).ravel().tolist(), coverage)


def ranges_from(point: Array, scale: Array, halfwidth_80: Array, halfwidth_95: Array) -> Ranges:
    """halfwidth_*: (n, H) scaled half-widths (per node: its level's pooled value per horizon). Mapped back by
    scale; lower bounds below 0 are 0; the 95% range always contains the 80% range (take max of half-widths).
    A NaN half-width gives a NaN range."""
    width_80 = halfwidth_80 * scale[:, None]
    width_95 = np.fmax(halfwidth_95, halfwidth_80) * scale[:, None]
    width_95 = np.where(np.isnan(halfwidth_80), np.nan, width_95)
    return Ranges(
        lower_80=np.maximum(point - width_80, 0.0),
        upper_80=point + width_80,
        lower_95=np.maximum(point - width_95, 0.0),
        upper_95=point + width_95,
    )


def choose_method(mean_scaled_abs_error: dict[str, float]) -> str:
    """The reconciler with the lowest error; ties (and NaN) go to the earlier one in METHODS (bottom_up first)."""
    best = METHODS[0]
    best_error = math.inf
    for method in METHODS:
        error = mean_scaled_abs_error.get(method, math.nan)
        if not math.isnan(error) and error < best_error:
            best, best_error = method, error
    return best


# One series alone (a village's offences): a tree of one node, nothing to reconcile.
SINGLE = Tree(keys=["series"], parent=[-1], level=[0], hidden=[False])
