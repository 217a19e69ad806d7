"""Ranges from backtests held in memory (the fitting core's `OriginErrors`), by the one
pooling rule of `conformal.py`, which the jobs apply to the backtests they store.

- `pool_of`: each shown node's errors, divided by its scale at its origin, filed by
  (method, level, horizon, cumulative); with `as_of`, only errors whose actual month was
  known by then (origin + h <= as_of), so a range made at an origin uses only errors that
  could have been known at it.
- `level_halfwidths`: (n_nodes, horizon) scaled half-widths, each node its level's pooled
  value; NaN for hidden nodes and where every pool is too small.
"""

from collections import defaultdict

import numpy as np

from .conformal import Pool, conformal_quantile, pooled
from .fitting import HORIZON, Array, OriginErrors, Tree


def pool_of(
    backtests: list[OriginErrors], tree: Tree, methods: list[str], *, as_of: int | None = None, horizon: int = HORIZON
) -> Pool:
    shown = np.array([not hidden for hidden in tree.hidden])
    levels = np.array(tree.level)
    pool: dict[tuple[str, int, int, bool], list[float]] = defaultdict(list)
    for backtest in backtests:
        for method in methods:
            for cumulative, errors in ((False, backtest.errors[method]), (True, backtest.cumulative[method])):
                scaled = errors / backtest.scale[:, None]
                for h in range(1, horizon + 1):
                    if as_of is not None and backtest.origin + h > as_of:
                        continue
                    for level in sorted(set(tree.level)):
                        values = scaled[shown & (levels == level), h - 1]
                        pool[(method, level, h, cumulative)].extend(values[np.isfinite(values)].tolist())
    return pool


def level_halfwidths(
    backtests: list[OriginErrors],
    tree: Tree,
    method: str,
    coverage: float,
    *,
    as_of: int | None = None,
    horizon: int = HORIZON,
) -> Array:
    pool = pool_of(backtests, tree, [method], as_of=as_of, horizon=horizon)
    by_level = {}
    for level in sorted(set(tree.level)):
        widths = [conformal_quantile(pooled(pool, method, level, h, False), coverage) for h in range(1, horizon + 1)]
        by_level[level] = [np.nan if width is None else width for width in widths]
    out = np.full((len(tree.keys), horizon), np.nan)
    for node, (level, hidden) in enumerate(zip(tree.level, tree.hidden, strict=True)):
        if not hidden:
            out[node] = by_level[level]
    return out
