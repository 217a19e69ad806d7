"""The numerical core of early warning: arrays in, verdicts out, no database.

Each series is a KPI's monthly counts in one region or district. A month is tested
against the predictive distribution of that month given the series' own past
(docs/early-warning.md):

- **The model** (Farrington's method as improved by Noufaily et al., 2013): a quasi-Poisson
  GLM of the last five years before the month (log link; intercept, linear trend, two
  pairs of annual harmonics), fitted by statsmodels. Past months that were themselves
  unusual (Anscombe residual above 2.58) are down-weighted by the square of their residual
  and the model refitted, so last year's outbreak does not raise this year's threshold.
  The trend is dropped when it is not significant at 5%, or when it would carry the
  expected count above anything the baseline saw.
- **The predictive distribution**: negative binomial with the model's mean and a variance
  of the overdispersion times the mean plus the uncertainty of the mean itself. Where a
  forecast run gave the month a one-step-ahead forecast, its point is the mean and its
  95% range the spread instead (`from_forecast`).
- **Thresholds from the budget**: with N series tested a month and a budget of B false
  alarms a month, a month alone is flagged beyond the 1 - 4B/(5N) quantile (four fifths
  of the budget); two months running, each beyond the 1 - sqrt(B/(5N)) quantile, raise "a
  move that persists" (the last fifth: the chance of both is B/(5N)).
- **Skipped**: a series with fewer than 36 months before the month, or one that averaged
  below 0.5 a month over the last 24: too short to know its season, too sparse for any
  count to be unusual.

The adverse side is the KPI's direction: a rise where lower is better, a fall where
higher is better. statsmodels and scipy are imported inside the functions: this module
is loaded by the detection job only.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np

# The months of baseline a model is fitted on (Farrington's five years).
BASELINE_MONTHS = 60
# A series needs this many months before the month tested.
SHORTEST = 36
# ... and to have averaged at least this much a month over the last MEAN_WINDOW months.
LEAST_MEAN = 0.5
MEAN_WINDOW = 24
# Past months with an Anscombe residual above this are down-weighted (Farrington's 2.58).
REWEIGHT_ABOVE = 4.0
# A trend is kept when its z-value is at least this (5%, two-sided).
TREND_Z = 1.96
# A baseline month further than this many spreads from the median, on the log scale, is a
# gross error and set aside (in a series of about 15, a month five times too large; in
# one of about 600, two and a half times; in one mostly of zeros, above about 400).
SCREEN_Z = 6.0
# The overdispersions the predictive distribution mixes over.
DISPERSION_DRAWS = 16
# A negative binomial of this size is a Poisson for any count a KPI has.
POISSON = 1e10
SHORT, SPARSE = "short", "sparse"


def tails(budget: float, series: int) -> tuple[float, float]:
    """The tail probabilities of the budget: (a month alone, each of two months running)."""
    n = max(series, 1)
    return min(0.5, 4 * budget / (5 * n)), min(0.5, math.sqrt(budget / (5 * n)))


def skip_reason(history: np.ndarray) -> str | None:
    """Why a series is not tested at the month after `history` (months up to the one
    before, NaN where unknown); None: it is tested."""
    known = history[~np.isnan(history)]
    if len(known) < SHORTEST:
        return SHORT
    recent = history[-MEAN_WINDOW:]
    recent = recent[~np.isnan(recent)]
    if not len(recent) or float(recent.mean()) < LEAST_MEAN:
        return SPARSE
    return None


@dataclass(frozen=True)
class Predictive:
    """A month's predictive distribution: negative binomial with `mean` and `size` (None:
    Poisson, no overdispersion); with `sizes`, an equal mixture of negative binomials of
    that mean, one for each of a spread of overdispersions (the estimate's own
    uncertainty: a dispersion estimated from 60 months is not known exactly, and the
    far tail, where the thresholds lie, depends on it)."""

    mean: float
    size: float | None
    sizes: tuple[float | None, ...] = ()

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The components' negative-binomial parameters (n, p); Poisson as a size so large
        that the difference is below a count's."""
        mean = max(self.mean, 1e-9)
        sizes = np.array([POISSON if s is None or not math.isfinite(s) else s for s in (self.sizes or (self.size,))])
        return sizes, sizes / (sizes + mean)

    def cdf(self, k: float) -> float:
        from scipy import stats

        n, p = self._arrays()
        return float(np.mean(stats.nbinom.cdf(k, n, p)))

    def quantile(self, q: float) -> float:
        """The smallest count whose distribution function reaches `q`."""
        from scipy import stats

        n, p = self._arrays()
        bounds = stats.nbinom.ppf(q, n, p)
        low, high = float(bounds.min()), float(bounds.max())  # the mixture's lies between its parts'
        while low < high:
            middle = math.floor((low + high) / 2)
            if self.cdf(middle) >= q:
                high = middle
            else:
                low = middle + 1
        return float(low)

    def p_rise(self, observed: float) -> float:
        """The chance of a count at least as high: P(Y >= observed)."""
        from scipy import stats

        n, p = self._arrays()
        return float(np.mean(stats.nbinom.sf(math.ceil(observed) - 1, n, p)))

    def p_fall(self, observed: float) -> float:
        """The chance of a count at least as low: P(Y <= observed)."""
        return self.cdf(math.floor(observed))


def nb_size(mean: float, variance: float) -> float | None:
    """The negative binomial size with this mean and variance; None when the variance is
    not above the mean (Poisson)."""
    if mean <= 0 or variance <= mean * (1 + 1e-9):
        return None
    return mean * mean / (variance - mean)


def from_forecast(point: float, upper_95: float) -> Predictive:
    """A forecast run's one-step-ahead month as a distribution: its point as the mean, the
    spread its 95% range gives (half its upper width is 1.96 standard deviations)."""
    sd = max(upper_95 - point, 0.0) / 1.959964
    return Predictive(max(point, 0.0), nb_size(max(point, 0.0), sd * sd))


@dataclass
class Baseline:
    """A fitted model of a series before the month tested: the month's predictive
    distribution, the fitted means of the baseline months (for the chart) and the
    overdispersion."""

    predictive: Predictive
    fitted: dict[int, float]  # month index -> fitted mean
    dispersion: float
    model: str  # "glm", or "mean" when the GLM could not be fitted


def _design(index: np.ndarray, target: int, trend: bool) -> np.ndarray:
    t = (index - target) / 12.0
    angle = 2 * np.pi * (index % 12) / 12.0
    columns = [np.ones(len(index))]
    if trend:
        columns.append(t)
    columns += [np.sin(angle), np.cos(angle), np.sin(2 * angle), np.cos(2 * angle)]
    return np.column_stack(columns)


def _anscombe(y: np.ndarray, mu: np.ndarray, dispersion: float, leverage: np.ndarray) -> np.ndarray:
    raw = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu))
    return np.asarray(raw / np.sqrt(dispersion * np.clip(1 - leverage, 1e-6, None)))


def fit_baseline(history: np.ndarray, months: np.ndarray, target: int) -> Baseline:
    """The model of `history` (counts by month index `months`, NaN unknown) for month
    index `target`: the last BASELINE_MONTHS known months before it."""
    import statsmodels.api as sm

    keep = ~np.isnan(history) & (months < target) & (months >= target - BASELINE_MONTHS)
    y, index = history[keep], months[keep].astype(float)
    # Gross errors left in the baseline (a figure with two extra zeros, a month typed as 0)
    # are set aside before fitting: a Poisson fit bends to a point a hundred times the
    # others (its weight is its mean), so no residual would show it.
    screened = _plausible(y)
    y, index = y[screened], index[screened]
    family = sm.families.Poisson()
    for trend in (True, False):
        x = _design(index, target, trend)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                first = sm.GLM(y, x, family=family).fit()
                dispersion = max(1.0, float(first.pearson_chi2) / max(first.df_resid, 1.0))
                leverage = first.get_hat_matrix_diag()
                residual = _anscombe(y, np.asarray(first.mu), dispersion, leverage)
                fit = first
                if (residual > REWEIGHT_ABOVE).any():
                    weights = np.where(residual > REWEIGHT_ABOVE, np.power(np.maximum(residual, 1e-9), -2.0), 1.0)
                    weights *= len(y) / weights.sum()
                    fit = sm.GLM(y, x, family=family, var_weights=weights).fit()
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            continue
        params, covariance = np.asarray(fit.params), np.asarray(fit.cov_params())
        dispersion = max(1.0, float(fit.pearson_chi2) / max(fit.df_resid, 1.0))
        at = _design(np.array([float(target)]), target, trend)[0]
        eta = float(at @ params)
        if not all(map(math.isfinite, (eta, dispersion))) or not np.isfinite(covariance).all():
            continue
        mean = math.exp(eta)
        if trend:
            z = params[1] / math.sqrt(max(covariance[1, 1] * dispersion, 1e-12))
            if abs(z) < TREND_Z or mean > float(y.max()):
                continue  # no trend worth carrying forward, or it runs past anything seen
        log_variance = float(at @ covariance @ at)  # of the fitted log-mean, per unit of dispersion
        sizes = tuple(
            nb_size(mean, phi * mean + mean * mean * math.expm1(min(log_variance * phi, 5.0)))
            for phi in _dispersions(dispersion, max(float(fit.df_resid), 1.0))
        )
        fitted = np.exp(x @ params)
        return Baseline(
            Predictive(mean, sizes[len(sizes) // 2], sizes),
            {int(m): float(f) for m, f in zip(index, fitted, strict=True)},
            dispersion,
            "glm",
        )
    # The GLM could not be fitted (it happens on a series of one repeated figure): the
    # plain mean and variance of the last two years, as they were (nothing set aside).
    known = history[~np.isnan(history) & (months < target)]
    recent = known[-MEAN_WINDOW:]
    mean = float(recent.mean())
    variance = float(recent.var(ddof=1)) if len(recent) > 1 else mean
    return Baseline(
        Predictive(mean, nb_size(mean, variance)),
        {int(m): mean for m in index},
        max(1.0, variance / mean if mean else 1.0),
        "mean",
    )


def _plausible(y: np.ndarray) -> np.ndarray:
    """The months not grossly out of line with the rest: within SCREEN_Z spreads of the
    median on the log scale (log(1 + count), where a season and a trend are small and a
    tenfold error is large whatever the level). The spread is the larger of the robust
    one (1.4826 median absolute deviations) and a Poisson count's own at the median level
    (1 / sqrt(1 + median)): a series mostly of zeros keeps its ones and twos."""
    logged = np.log1p(y)
    centre = float(np.median(logged))
    level = float(np.median(y))
    spread = max(1.4826 * float(np.median(np.abs(logged - centre))), 1.0 / math.sqrt(1.0 + level))
    return np.asarray(np.abs(logged - centre) <= SCREEN_Z * spread)


def _dispersions(estimate: float, df: float) -> list[float]:
    """A spread of overdispersions the estimate is consistent with: the estimate times
    df / chi-square(df) at DISPERSION_DRAWS evenly spaced quantiles (the estimate's
    sampling distribution, turned round), none below 1."""
    from scipy import stats

    draws = stats.chi2.ppf((np.arange(DISPERSION_DRAWS) + 0.5) / DISPERSION_DRAWS, df)
    return [max(1.0, float(estimate * df / d)) for d in draws]


@dataclass
class Verdict:
    """One month of one series against its predictive distribution at one tail."""

    observed: float
    expected: float
    lower: float
    upper: float
    p_value: float
    crossed: bool


def judge(predictive: Predictive, observed: float, tail: float, rise: bool) -> Verdict:
    """Whether `observed` lies beyond the `tail` quantile on the adverse side."""
    lower, upper = predictive.quantile(tail), predictive.quantile(1 - tail)
    if rise:
        return Verdict(observed, predictive.mean, lower, upper, predictive.p_rise(observed), observed > upper)
    return Verdict(observed, predictive.mean, lower, upper, predictive.p_fall(observed), observed < lower)


def band(fitted: dict[int, float], dispersion: float, tail: float) -> dict[int, tuple[float, float]]:
    """The fitted months' band at a tail (for the chart): the quantiles of a negative
    binomial of each month's fitted mean and the model's overdispersion."""
    out = {}
    for month, mean in fitted.items():
        size = mean / (dispersion - 1) if dispersion > 1 + 1e-9 else None
        dist = Predictive(mean, size)
        out[month] = (dist.quantile(tail), dist.quantile(1 - tail))
    return out
