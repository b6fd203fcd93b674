"""Confidence intervals of accuracies, rates, AUCs and means, as :class:`Interval` objects.

- :func:`proportion_interval`: Wilson's score interval (default) or the exact Clopper-Pearson
  interval of one accuracy or rate.
- :func:`proportion_difference_interval`: Newcombe's interval of a difference of two rates
  measured on independent samples (conservative for two models evaluated on the same
  examples, whose errors are positively correlated).
- :func:`auc_interval`, :func:`auc_difference_interval`: DeLong's variance of an AUC and of
  the difference of two AUCs measured on the same members and non-members (paired).
- :func:`mean_interval`, :func:`mean_difference_interval`: Student / Welch t intervals.
- :func:`bootstrap_interval`: percentile bootstrap of any statistic of paired samples
  (optionally resampling within strata, e.g. members and non-members separately).
- :func:`difference_interval`: the difference of two independent estimates, each given as an
  :class:`Interval` (normal approximation).

Pure NumPy/SciPy. Chapter 2.3 reports each of its comparisons with these intervals and asserts
only the claims whose interval excludes the bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _scipy_stats

from rnnsec._validate import as_float_array, check_choice, check_number

__all__ = [
    "Interval",
    "PROPORTION_METHODS",
    "proportion_interval",
    "proportion_difference_interval",
    "auc_interval",
    "auc_difference_interval",
    "mean_interval",
    "mean_difference_interval",
    "bootstrap_interval",
    "bootstrap_draws",
    "percentile_interval",
    "difference_interval",
]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval.

    ``str(interval)`` is the form the book prints, ``0.543 [0.512, 0.574]`` (differences
    signed: ``+0.021 [-0.010, +0.052]``); :meth:`text` chooses the digits and the prose form.

    Attributes:
        estimate: the measured value.
        low, high: the interval's ends (``low <= estimate <= high``).
        level: the confidence level, e.g. 0.95.
        method: how the interval was computed (shown in assertion messages).
        difference: True when the estimate is a difference of two quantities (printed with
            signs by :meth:`text`).
    """

    estimate: float
    low: float
    high: float
    level: float
    method: str
    difference: bool = False

    def above(self, value: float) -> bool:
        """True when the whole interval lies above ``value`` (the claim "> value" holds)."""
        return self.low > value

    def below(self, value: float) -> bool:
        """True when the whole interval lies below ``value`` (the claim "< value" holds)."""
        return self.high < value

    def excludes(self, value: float) -> bool:
        """True when ``value`` is outside the interval (a difference from it is a finding)."""
        return self.above(value) or self.below(value)

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def standard_error(self) -> float:
        """The half-width divided by the normal quantile of the level (exact for normal
        intervals, an approximation for the others)."""
        return (self.high - self.low) / (2 * _z(self.level))

    def text(self, digits: int = 3, *, signed: bool | None = None, prose: bool = False,
             language: str = "en") -> str:
        """The interval as the book prints it.

        Args:
            digits: decimals of every number (>= 0).
            signed: print ``+`` before positive numbers; by default only for a difference.
            prose: the sentence form ``+0.021 (95% interval -0.010 to +0.052)`` instead of
                ``+0.021 [-0.010, +0.052]``.
            language: ``"en"`` or ``"zh"``, the prose form's language (Chinese:
                ``+0.021（95% 区间 -0.010 至 +0.052）``, for the Chinese edition's glue).

        Returns:
            The formatted string, e.g. ``interval.text(3)`` -> ``"0.543 [0.512, 0.574]"``.
        """
        check_number("digits", digits, low=0, integer=True)
        if signed is not None and not isinstance(signed, bool):
            raise TypeError(f"signed must be True, False or None, got {signed!r}")
        if language not in ("en", "zh"):
            raise ValueError(f"language must be 'en' or 'zh', got {language!r}")
        spec = f"{'+' if (self.difference if signed is None else signed) else ''}.{digits}f"
        est, low, high = (format(v, spec) for v in (self.estimate, self.low, self.high))
        if prose and language == "zh":
            return f"{est}（{self.level * 100:g}% 区间 {low} 至 {high}）"
        if prose:
            return f"{est} ({self.level * 100:g}% interval {low} to {high})"
        return f"{est} [{low}, {high}]"

    def __str__(self) -> str:
        return self.text()

    def as_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        return (f"{self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}] "
                f"({self.level:.0%}, {self.method})")


def _check_level(level: float) -> float:
    return check_number("level", level, low=0, high=1, low_open=True, high_open=True)


def _z(level: float) -> float:
    return float(_scipy_stats.norm.ppf(0.5 + level / 2))


def _count(name: str, rate: float, n: int) -> int:
    """The number of successes behind ``rate`` measured on ``n`` examples."""
    check_number(f"n_{name}" if name else "n", n, low=1, integer=True)
    check_number(name or "rate", rate, low=0, high=1)
    k = round(rate * n)
    if abs(rate * n - k) > 1e-6 * max(n, 1) + 1e-9:
        raise ValueError(f"{name or 'rate'} = {rate!r} is not a count out of {n} "
                         f"(rate * n = {rate * n:.6f}); pass the unrounded rate and its n")
    return int(k)


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    alpha = 1 - level
    low = 0.0 if k == 0 else float(_scipy_stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(_scipy_stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


PROPORTION_METHODS = ("wilson", "clopper-pearson")


def proportion_interval(rate: float, *, n: int, level: float = 0.95,
                        method: str = "wilson") -> Interval:
    """Wilson's score interval (default) or the exact Clopper-Pearson interval of a proportion.

    Args:
        rate: the measured proportion in [0, 1], ``k / n`` for an integer ``k`` (pass the
            unrounded value; a rate that is not a count out of ``n`` raises).
        n: the number of examples it was measured on (>= 1).
        level: confidence level in (0, 1).
        method: ``"wilson"`` (Wilson 1927: close to nominal coverage, recommended over the
            Wald interval by Brown, Cai & DasGupta 2001) or ``"clopper-pearson"``
            (Clopper & Pearson 1934: exact, each end misses with probability at most
            ``(1 - level) / 2`` for every true proportion, so it is wider; the audits of
            ``rnnsec.privacy.audit`` need that guarantee).

    Returns:
        :class:`Interval` of the true proportion. Unlike the normal (Wald) interval it stays
        inside [0, 1] and does not collapse to a point at 0% or 100%. The Clopper-Pearson ends
        are ``Beta(alpha/2; k, n-k+1)`` (0 when k = 0) and ``Beta(1-alpha/2; k+1, n-k)`` (1
        when k = n), quantiles of the Beta distribution, with ``alpha = 1 - level``.
    """
    _check_level(level)
    check_choice("method", method, PROPORTION_METHODS)
    k = _count("rate", rate, n)
    if method == "wilson":
        low, high = _wilson(k, n, _z(level))
        return Interval(k / n, low, high, level, f"Wilson, n={n}")
    low, high = _clopper_pearson(k, n, level)
    return Interval(k / n, low, high, level, f"Clopper-Pearson, n={n}")


def proportion_difference_interval(rate_a: float, rate_b: float, *, n_a: int, n_b: int,
                                   level: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval of ``rate_a - rate_b`` from independent samples.

    Two models evaluated on the *same* examples make positively correlated errors, so the
    variance of their difference is smaller than for independent samples: this interval is
    then conservative (wider than needed), which is the safe side for asserting a difference.

    Args:
        rate_a, rate_b: the two measured proportions (each a count out of its n).
        n_a, n_b: the numbers of examples behind them (>= 1).
        level: confidence level in (0, 1).

    Returns:
        :class:`Interval` of the difference of the true proportions, in [-1, 1].

    Newcombe 1998, "Interval estimation for the difference between independent proportions"
    (method 10).
    """
    _check_level(level)
    ka, kb = _count("rate_a", rate_a, n_a), _count("rate_b", rate_b, n_b)
    pa, pb = ka / n_a, kb / n_b
    z = _z(level)
    la, ua = _wilson(ka, n_a, z)
    lb, ub = _wilson(kb, n_b, z)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return Interval(d, max(-1.0, low), min(1.0, high), level,
                    f"Newcombe, n={n_a} and {n_b}", difference=True)


def _members(is_member) -> np.ndarray:
    m = np.asarray(is_member)
    if m.ndim != 1 or not np.isin(m, (0, 1, False, True)).all():
        raise ValueError("is_member must be a 1-D array of 0/1 or booleans")
    m = m.astype(bool)
    if m.all() or not m.any():
        raise ValueError("is_member must contain both members and non-members")
    return m


def _delong_components(scores: np.ndarray, member: np.ndarray) -> tuple[float, np.ndarray,
                                                                        np.ndarray]:
    """AUC and DeLong's structural components V10 (per member) and V01 (per non-member)."""
    pos, neg = scores[member], scores[~member]
    m, n = len(pos), len(neg)
    rank_all = _scipy_stats.rankdata(np.concatenate([pos, neg]))  # midranks: ties count 1/2
    v10 = (rank_all[:m] - _scipy_stats.rankdata(pos)) / n        # P(member i > a non-member)
    v01 = 1.0 - (rank_all[m:] - _scipy_stats.rankdata(neg)) / m  # P(a member > non-member j)
    return float(v10.mean()), v10, v01


def auc_interval(scores, is_member, *, level: float = 0.95) -> Interval:
    """DeLong's normal interval of an attack's AUC (members scored higher is better).

    Args:
        scores: float ``[N]``, higher = "more likely a member".
        is_member: bool/0-1 ``[N]``, both classes present.
        level: confidence level in (0, 1).

    Returns:
        :class:`Interval` of the AUC (the same AUC as ``rnnsec.privacy.metrics.auc``), clipped
        to [0, 1].

    DeLong, DeLong & Clarke-Pearson 1988. Chapter 2.3 (the AUC's standard error).
    """
    _check_level(level)
    s = as_float_array("scores", scores, ndim=1)
    member = _members(is_member)
    if len(s) != len(member):
        raise ValueError(f"scores and is_member must have the same length, got {len(s)} and "
                         f"{len(member)}")
    auc, v10, v01 = _delong_components(s, member)
    se = math.sqrt(v10.var(ddof=1) / len(v10) + v01.var(ddof=1) / len(v01))
    z = _z(level)
    return Interval(auc, max(0.0, auc - z * se), min(1.0, auc + z * se), level,
                    f"DeLong, {member.sum()} members / {(~member).sum()} non-members")


def auc_difference_interval(scores_a, scores_b, is_member, *, level: float = 0.95) -> Interval:
    """DeLong's interval of ``AUC(scores_a) - AUC(scores_b)`` on the same candidates (paired).

    Use it for two attacks on one model, or one attack on two models, scored on the same
    members and non-members: the covariance of the two AUCs is taken into account.

    Args:
        scores_a, scores_b: float ``[N]`` each, higher = "more likely a member".
        is_member: bool/0-1 ``[N]``, shared by both.
        level: confidence level in (0, 1).

    Returns:
        :class:`Interval` of the difference, in [-1, 1].

    DeLong, DeLong & Clarke-Pearson 1988.
    """
    _check_level(level)
    a = as_float_array("scores_a", scores_a, ndim=1)
    b = as_float_array("scores_b", scores_b, ndim=1)
    member = _members(is_member)
    if not len(a) == len(b) == len(member):
        raise ValueError(f"scores_a, scores_b and is_member must have the same length, got "
                         f"{len(a)}, {len(b)} and {len(member)}")
    auc_a, v10a, v01a = _delong_components(a, member)
    auc_b, v10b, v01b = _delong_components(b, member)
    var = (np.var(v10a - v10b, ddof=1) / len(v10a) + np.var(v01a - v01b, ddof=1) / len(v01a))
    se = math.sqrt(max(float(var), 0.0))
    d, z = auc_a - auc_b, _z(level)
    return Interval(d, max(-1.0, d - z * se), min(1.0, d + z * se), level,
                    "DeLong, paired", difference=True)


def mean_interval(values, *, level: float = 0.95) -> Interval:
    """Student t interval of a mean (a few canaries' exposures, losses of a sample).

    Args:
        values: float ``[n]``, n >= 2, finite.
        level: confidence level in (0, 1).

    Returns:
        :class:`Interval` of the population mean.
    """
    _check_level(level)
    v = as_float_array("values", values, ndim=1)
    if len(v) < 2:
        raise ValueError(f"values must hold at least 2 numbers, got {len(v)}")
    mean, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))
    t = float(_scipy_stats.t.ppf(0.5 + level / 2, len(v) - 1))
    return Interval(mean, mean - t * se, mean + t * se, level, f"t, n={len(v)}")


def mean_difference_interval(values_a, values_b, *, level: float = 0.95) -> Interval:
    """Welch's t interval of ``mean(values_a) - mean(values_b)`` (independent samples).

    Args:
        values_a, values_b: float arrays, each with at least 2 finite numbers.
        level: confidence level in (0, 1).

    Returns:
        :class:`Interval` of the difference of the population means.

    Welch 1947.
    """
    _check_level(level)
    a = as_float_array("values_a", values_a, ndim=1)
    b = as_float_array("values_b", values_b, ndim=1)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"values_a and values_b must hold at least 2 numbers each, got "
                         f"{len(a)} and {len(b)}")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    d, se = float(a.mean() - b.mean()), math.sqrt(va + vb)
    if se == 0.0:
        return Interval(d, d, d, level, "Welch t, no spread", difference=True)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = float(_scipy_stats.t.ppf(0.5 + level / 2, dof))
    return Interval(d, d - t * se, d + t * se, level, f"Welch t, n={len(a)} and {len(b)}",
                    difference=True)


def _resample_rows(rng: np.random.Generator, strata: list[np.ndarray]) -> np.ndarray:
    """One bootstrap draw of row indices: each stratum resampled with replacement to its size."""
    return np.concatenate([rows[rng.integers(0, len(rows), size=len(rows))] for rows in strata])


def _strata(strata, n: int) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n)]
    s = np.asarray(strata)
    if s.ndim != 1 or len(s) != n:
        raise ValueError(f"strata must be 1-D with one entry per row ({n}), got shape {s.shape}")
    _, inverse = np.unique(s, return_inverse=True)
    rows = [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]
    if min(len(r) for r in rows) < 2:
        raise ValueError("every stratum must hold at least 2 rows, got sizes "
                         f"{[len(r) for r in rows]}")
    return rows


def bootstrap_draws(statistic: Callable[..., float | np.ndarray], *samples,
                    n_resamples: int = 2000, seed: int = 0, strata=None) -> np.ndarray:
    """The statistic on ``n_resamples`` bootstrap resamples of the rows (jointly, or within
    strata); a statistic may return a vector (several quantities from one resample).

    Args:
        statistic, samples, n_resamples, seed, strata: as in :func:`bootstrap_interval`.

    Returns:
        float64 ``[n_resamples]`` or ``[n_resamples, k]`` for a statistic that returns ``k``
        numbers. Used by :func:`bootstrap_interval` and by
        ``rnnsec.privacy.significance.attack_significance``.
    """
    check_number("n_resamples", n_resamples, low=100, integer=True)
    check_number("seed", seed, low=0, integer=True)
    if not samples:
        raise ValueError("the bootstrap needs at least one sample")
    arrays = [np.asarray(s) for s in samples]
    n = len(arrays[0])
    if n < 2 or any(len(a) != n for a in arrays):
        raise ValueError(f"samples must share a first dimension >= 2, got lengths "
                         f"{[len(a) for a in arrays]}")
    groups = _strata(strata, n)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_resamples):
        rows = _resample_rows(rng, groups)
        draws.append(statistic(*(a[rows] for a in arrays)))
    return np.asarray(draws, dtype=np.float64)


def percentile_interval(draws, estimate: float, *, level: float = 0.95, method: str = "",
                        difference: bool = False) -> Interval:
    """Percentile interval of bootstrap ``draws`` ``[R]`` around ``estimate``.

    A percentile interval of a skewed statistic can miss its own estimate by a hair; it is
    widened to the estimate rather than reported without it. Used by
    :func:`bootstrap_interval`.
    """
    _check_level(level)
    d = as_float_array("draws", draws, ndim=1)
    low, high = np.quantile(d, [0.5 - level / 2, 0.5 + level / 2])
    estimate = float(estimate)
    return Interval(estimate, min(float(low), estimate), max(float(high), estimate), level,
                    method, difference=difference)


def bootstrap_interval(statistic: Callable[..., float], *samples, n_resamples: int = 2000,
                       seed: int = 0, level: float = 0.95, strata=None,
                       difference: bool = False) -> Interval:
    """Percentile bootstrap interval of ``statistic(*samples)``, resampling rows jointly.

    The samples are paired: row ``i`` of every sample belongs to the same example, and one
    resample draws the same rows from all of them (so a difference between two models on the
    same examples keeps its correlation).

    Args:
        statistic: a function of the samples (arrays with the same first dimension) that
            returns a number.
        *samples: one or more arrays of equal length n >= 2.
        n_resamples: number of bootstrap resamples (>= 100).
        seed: seed of the resampling (the interval is reproducible).
        level: confidence level in (0, 1).
        strata: optional labels ``[n]``; rows are then resampled within each stratum, so every
            resample keeps the strata's sizes (e.g. the numbers of members and non-members of
            a membership attack). Each stratum needs at least 2 rows.
        difference: the statistic is a difference (the interval prints with signs).

    Returns:
        :class:`Interval` with the statistic on the full samples as its estimate.

    Efron & Tibshirani 1993, "An introduction to the bootstrap", chapter 13 (and section 6.9
    for resampling within strata).
    """
    _check_level(level)
    draws = bootstrap_draws(statistic, *samples, n_resamples=n_resamples, seed=seed,
                            strata=strata)
    n = len(samples[0])
    strat = "" if strata is None else f" within {len(np.unique(strata))} strata"
    return percentile_interval(draws, statistic(*(np.asarray(s) for s in samples)),
                               level=level, difference=difference,
                               method=f"bootstrap, {n_resamples} resamples of n={n}{strat}")


def difference_interval(a: Interval, b: Interval) -> Interval:
    """Normal-approximation interval of ``a - b`` for two *independent* estimates.

    Each interval's standard error is read from its width; the difference's is the root of
    the sum of squares. For estimates measured on the same examples (correlated) this is
    conservative when the correlation is positive, as it is for two models on one test set.

    Args:
        a, b: two :class:`Interval` objects with the same level.

    Returns:
        :class:`Interval` of ``a.estimate - b.estimate``.
    """
    if not isinstance(a, Interval) or not isinstance(b, Interval):
        raise TypeError(f"a and b must be Interval objects, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if a.level != b.level:
        raise ValueError(f"a and b must have the same level, got {a.level} and {b.level}")
    d = a.estimate - b.estimate
    half = _z(a.level) * math.hypot(a.standard_error, b.standard_error)
    return Interval(d, d - half, d + half, a.level, "normal, independent", difference=True)
