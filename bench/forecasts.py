"""Speed and accuracy of the forecast core on generated, demo-like data (no database).

    .venv/bin/python bench/forecasts.py [speed|accuracy] [--seed N] [--model ets+theta]

Data: nation + 20 regions + 200 districts x 54 months, counted at the districts and summed
up: trend -8%..+4% a year, seasonal amplitude 5-25%, negative-binomial dispersion 5-20, 40% of
districts averaging below 3 a month, two +50% two-month shocks per district; the season's
peak is shared, give or take a month.
accuracy: a 12-origin rolling backtest; relative MAE against seasonal naive at the nation and
the regions for horizons 1-3; coverage of 80%/95% conformal ranges at the later origins, each
calibrated only on errors known by its origin.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from initiatives.forecasts import calibration, fitting


def demo_tree(seed: int, regions: int = 20, districts: int = 200, months: int = 54) -> tuple[fitting.Tree, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys, parent, level = ["KZ"], [-1], [0]
    region_of = rng.integers(0, regions, size=districts)
    region_of[:regions] = np.arange(regions)  # every region has a district
    for r in range(regions):
        keys.append(f"R{r:02d}")
        parent.append(0)
        level.append(1)
    t = np.arange(months)
    counts = np.zeros((districts, months))
    for d in range(districts):
        keys.append(f"D{d:03d}")
        parent.append(1 + int(region_of[d]))
        level.append(2)
        base = rng.uniform(0.3, 3.0) if rng.random() < 0.4 else rng.lognormal(np.log(20), 0.8)
        trend = (1 + rng.uniform(-0.08, 0.04)) ** (t / 12)
        amplitude = rng.uniform(0.05, 0.25)
        # offences share a calendar (a summer peak), each district a month either way
        season = 1 + amplitude * np.sin(2 * np.pi * (t + rng.integers(-1, 2)) / 12)
        shock = np.ones(months)
        for start in rng.choice(months - 2, size=2, replace=False):
            shock[start : start + 2] *= 1.5
        mu = base * trend * season * shock
        dispersion = rng.uniform(5, 20)
        counts[d] = rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
    y = np.zeros((len(keys), months))
    y[1 + regions :] = counts
    for d in range(districts):
        y[1 + int(region_of[d])] += counts[d]
    y[0] = y[1 : 1 + regions].sum(axis=0)
    return fitting.Tree(keys=keys, parent=parent, level=level, hidden=[False] * len(keys)), y


def speed(seed: int) -> None:
    tree, y = demo_tree(seed)
    start = time.perf_counter()
    fitting.forecast_tree(y, tree)
    print(f"forecast_tree: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    fitting.backtest_tree(y, tree, origins=list(range(39, 51)), last=y.shape[1] - 1)
    print(f"backtest_tree (12 origins): {time.perf_counter() - start:.1f} s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def accuracy(seed: int) -> None:
    tree, y = demo_tree(seed)
    months = y.shape[1]
    origins = list(range(months - 15, months - 3))  # the last 12 origins whose months 1-3 are known
    backtests = fitting.backtest_tree(y, tree, origins=origins, last=months - 1)
    levels = np.array(tree.level)
    for level, name in ((0, "nation"), (1, "regions")):
        rows = levels == level
        line = []
        for method in (*fitting.METHODS, fitting.BENCHMARK):
            method_error = sum(np.nansum(np.abs(b.errors[method][rows, :3])) for b in backtests)
            benchmark_error = sum(np.nansum(np.abs(b.errors[fitting.BENCHMARK][rows, :3])) for b in backtests)
            line.append(f"{method} {method_error / benchmark_error:.3f}")
        print(f"relative MAE h1-3 {name}: " + ", ".join(line))
    for method in fitting.METHODS:
        hits: dict[tuple[int, float], list[float]] = {}
        for k, backtest in enumerate(backtests):
            if k < 6:
                continue
            earlier = backtests[:k]
            widths = {
                coverage: calibration.level_halfwidths(earlier, tree, method, coverage, as_of=backtest.origin)
                for coverage in (0.8, 0.95)
            }
            ranges = fitting.ranges_from(backtest.points[method], backtest.scale, widths[0.8], widths[0.95])
            actual = backtest.points[method] + backtest.errors[method]
            for coverage, lower, upper in (
                (0.8, ranges.lower_80, ranges.upper_80),
                (0.95, ranges.lower_95, ranges.upper_95),
            ):
                inside = (actual >= lower) & (actual <= upper)
                valid = np.isfinite(actual) & np.isfinite(lower)
                for level in (0, 1, 2):
                    mask = valid & (levels == level)[:, None]
                    hits.setdefault((level, coverage), []).extend(inside[mask].tolist())
        print(
            f"coverage {method}: "
            + ", ".join(
                f"L{level} {int(coverage * 100)}%: {np.mean(values):.2f} (n={len(values)})"
                for (level, coverage), values in sorted(hits.items())
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["speed", "accuracy"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=fitting.REGULAR_MODEL)
    arguments = parser.parse_args()
    fitting.REGULAR_MODEL = arguments.model
    {"speed": speed, "accuracy": accuracy}[arguments.what](arguments.seed)
