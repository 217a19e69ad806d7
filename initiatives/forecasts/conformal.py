"""How wide a forecast's ranges are, in one place for every reader: the split-conformal
quantile of held-out errors, and the rule that pools errors by level and horizon.

Plain Python, no numpy and no model library: the register's page reads it on a web
request (a village's range), the jobs and the fitting core when they store or test ranges.

- An error is scaled by its series' scale (the in-sample seasonal-naive error), so the
  nation, regions and districts share one pool per level and horizon: one series' own
  few errors give ranges that cover far less than they claim.
- The nation is one series: while it has fewer than `POOL_AT_LEAST` errors at a horizon,
  the regions' errors join its own, each multiplied by how much larger the nation's errors
  have been than the regions' (`nation_spread`), so the pool has the regions' shape and
  the nation's own size. A pool still too small for a 95% range takes in the other levels
  as they are.
"""

import math
from collections.abc import Iterable, Mapping

HORIZON = 12
# The nation is one series: its errors are pooled with the regions' while it has fewer.
POOL_AT_LEAST = 30
# How many of the nation's own errors (all horizons) set its spread against the regions'.
NATION_SPREAD_AT_LEAST = 12
COVERAGES = (0.8, 0.95)

# (method, level, horizon, cumulative) -> signed scaled errors
Pool = Mapping[tuple[str, int, int, bool], list[float]]


def conformal_quantile(errors: Iterable[float], coverage: float) -> float | None:
    """The split-conformal half-width: the ceil((n + 1) * coverage)-th smallest absolute
    error of n; None when there are too few errors for that coverage (n < 4 for 80%,
    n < 19 for 95%)."""
    found = sorted(abs(e) for e in errors if math.isfinite(e))
    k = math.ceil((len(found) + 1) * coverage - 1e-12)  # 0.8 * 15 is not quite 12 in floats
    if not found or k > len(found):
        return None
    return found[max(k, 1) - 1]


def nation_spread(pool: Pool, method: str, cumulative: bool) -> float:
    """The nation's mean absolute scaled error over the regions', horizon by horizon,
    weighted by the nation's errors at each; 1 without NATION_SPREAD_AT_LEAST of its own."""
    weighted = weights = 0.0
    for horizon in range(1, HORIZON + 1):
        own = pool.get((method, 0, horizon, cumulative), [])
        regions = pool.get((method, 1, horizon, cumulative), [])
        if not own or not regions:
            continue
        region_mean = sum(abs(e) for e in regions) / len(regions)
        if region_mean > 0:
            weighted += sum(abs(e) for e in own) / region_mean
            weights += len(own)
    return weighted / weights if weights >= NATION_SPREAD_AT_LEAST else 1.0


def pooled(pool: Pool, method: str, level: int, horizon: int, cumulative: bool) -> list[float]:
    """The errors a level's range at a horizon is read from (the module's rule)."""
    found = list(pool.get((method, level, horizon, cumulative), []))
    if level == 0 and len(found) < POOL_AT_LEAST:
        spread = nation_spread(pool, method, cumulative)
        found += [e * spread for e in pool.get((method, 1, horizon, cumulative), [])]
    if conformal_quantile(found, 0.95) is None:
        for other in (0, 1, 2):
            if other != level and not (level == 0 and other == 1):
                found += pool.get((method, other, horizon, cumulative), [])
    return found


def halfwidths(pool: Pool, method: str, level: int, horizon: int, cumulative: bool) -> tuple[float, float] | None:
    """The scaled half-widths of the 80% and 95% ranges (the 95% never the narrower);
    None when even the widest pool is too small."""
    errors = pooled(pool, method, level, horizon, cumulative)
    h80, h95 = conformal_quantile(errors, 0.8), conformal_quantile(errors, 0.95)
    if h80 is None or h95 is None:
        return None
    return h80, max(h80, h95)
