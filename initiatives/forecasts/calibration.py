"""How wide a forecast's ranges are: backtest errors pooled by level and horizon.

Pure computation on the backtests of `fitting.py`. An error is scaled by its node's scale at
its origin (the in-sample seasonal-naive MAE), so districts, regions and the nation can share
one pool per level: one node's own few errors give ranges that cover far less than they claim.

- Pools: for each level (hidden "rest" nodes never count) and horizon h, the scaled errors of
  every origin whose h-th month was known by `as_of` (origin + h <= as_of), so a range made at
  an origin uses only errors that could have been known then.
- The nation is one series: while its pool at a horizon holds fewer than `NATION_MIN_ERRORS`
  errors, the regions' errors at that horizon are pooled with it.
- Half-widths: the split-conformal quantile (`conformal_halfwidth`) of the pooled |errors|;
  NaN where the pool is too small for the coverage asked.
"""

import numpy as np

from .fitting import HORIZON, Array, OriginErrors, Tree, conformal_halfwidth

NATION_MIN_ERRORS = 30


def pooled_scaled_errors(
    backtests: list[OriginErrors],
    tree: Tree,
    method: str,
    *,
    as_of: int | None = None,
    horizon: int = HORIZON,
) -> dict[int, list[Array]]:
    """level -> per horizon (index h-1) the signed scaled errors of that level's shown nodes."""
    shown = np.array([not hidden for hidden in tree.hidden])
    levels = np.array(tree.level)
    pools: dict[int, list[list[Array]]] = {level: [[] for _ in range(horizon)] for level in sorted(set(tree.level))}
    for backtest in backtests:
        scaled = backtest.errors[method] / backtest.scale[:, None]
        for h in range(1, horizon + 1):
            if as_of is not None and backtest.origin + h > as_of:
                continue
            column = scaled[:, h - 1]
            for level, per_horizon in pools.items():
                values = column[shown & (levels == level)]
                per_horizon[h - 1].append(values[np.isfinite(values)])
    return {
        level: [np.concatenate(parts) if parts else np.array([]) for parts in per_horizon]
        for level, per_horizon in pools.items()
    }


def level_pools(pools: dict[int, list[Array]], *, nation_min: int = NATION_MIN_ERRORS) -> dict[int, list[Array]]:
    """The pools with the nation's topped up by the regions' where it holds fewer than `nation_min` errors."""
    out = dict(pools)
    if 0 in pools and 1 in pools:
        out[0] = [
            nation if nation.size >= nation_min else np.concatenate([nation, regions])
            for nation, regions in zip(pools[0], pools[1], strict=True)
        ]
    return out


def level_halfwidths(
    backtests: list[OriginErrors],
    tree: Tree,
    method: str,
    coverage: float,
    *,
    as_of: int | None = None,
    horizon: int = HORIZON,
    nation_min: int = NATION_MIN_ERRORS,
) -> Array:
    """(n_nodes, horizon) scaled half-widths: each node gets its level's pooled value; NaN for hidden nodes
    and where the pool is too small."""
    pools = level_pools(
        pooled_scaled_errors(backtests, tree, method, as_of=as_of, horizon=horizon), nation_min=nation_min
    )
    by_level: dict[int, list[float]] = {}
    for level, per_horizon in pools.items():
        widths = [conformal_halfwidth(np.abs(errors), coverage) for errors in per_horizon]
        by_level[level] = [np.nan if width is None else width for width in widths]
    out = np.full((len(tree.keys), horizon), np.nan)
    for node, (level, hidden) in enumerate(zip(tree.level, tree.hidden, strict=True)):
        if not hidden:
            out[node] = by_level[level]
    return out
