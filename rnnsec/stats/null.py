"""Is a statistic more than noise? Its distribution when the labels carry no information.

An attack's AUC of 0.55 or advantage of 0.07 measured on a few hundred candidates can come from
scores that know nothing about the labels: finite samples scatter. Shuffling the labels keeps
the scores and the group sizes and destroys any link between them; the statistic recomputed on
many shuffles is its *null distribution*, and a measured value is a finding only above the
null's upper quantile (a permutation test). Membership metrics use it through
:func:`rnnsec.privacy.significance.membership_null`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnsec._validate import check_number, readonly_float_array

__all__ = ["NullDistribution", "permutation_null"]


@dataclass(frozen=True, eq=False)
class NullDistribution:
    """A statistic and its distribution under shuffled labels.

    Attributes:
        name: what the statistic is, e.g. ``"AUC"``.
        observed: the statistic on the true labels.
        draws: float64 ``[n]``, the statistic on ``n`` label shuffles (read-only).
        level: the level of :attr:`threshold`, e.g. 0.95.
        method: how the draws were made (shown in printouts).
    """

    name: str
    observed: float
    draws: np.ndarray
    level: float
    method: str

    @property
    def threshold(self) -> float:
        """The null's upper ``level`` quantile (the next higher draw, not interpolated):
        a value at or below it is within what shuffled labels give."""
        return float(np.quantile(self.draws, self.level, method="higher"))

    @property
    def p_value(self) -> float:
        """One-sided permutation p-value ``(1 + #{draws >= observed}) / (1 + n)``
        (Phipson & Smyth 2010: never 0, valid for a finite number of shuffles)."""
        return float((1 + np.sum(self.draws >= self.observed)) / (1 + len(self.draws)))

    def exceeded(self) -> bool:
        """True when the observed value lies above the null's upper quantile (a finding)."""
        return self.observed > self.threshold

    def as_dict(self) -> dict:
        """Scalar fields as one table row (the draws left out)."""
        return {"name": self.name, "observed": self.observed, "null_threshold": self.threshold,
                "level": self.level, "p_value": self.p_value, "method": self.method}

    def text(self, digits: int = 3) -> str:
        """``"0.612 (null 95%: 0.541, p = 0.005)"`` for tables and prose."""
        check_number("digits", digits, low=0, integer=True)
        return (f"{self.observed:.{digits}f} (null {self.level * 100:g}%: "
                f"{self.threshold:.{digits}f}, p = {self.p_value:.2g})")

    def __repr__(self) -> str:
        return f"NullDistribution({self.name}: {self.text(4)}, {self.method})"


def permutation_null(statistic: Callable[..., float], *samples, labels,
                     n_permutations: int = 1000, seed: int = 0, level: float = 0.95,
                     name: str = "statistic") -> NullDistribution:
    """Null distribution of ``statistic(*samples, labels)`` when ``labels`` are shuffled.

    Args:
        statistic: a function of the samples and the labels that returns a number.
        *samples: arrays that stay fixed (e.g. an attack's scores), each with one row per label.
        labels: ``[n]`` labels (e.g. membership), shuffled ``n_permutations`` times.
        n_permutations: number of shuffles (>= 20, so that a 95% quantile exists).
        seed: seed of the shuffles.
        level: the quantile reported as :attr:`NullDistribution.threshold`, in (0, 1).
        name: a label for printouts.

    Returns:
        :class:`NullDistribution` with the statistic on the true labels as ``observed``.

    Good 2005, "Permutation, parametric and bootstrap tests of hypotheses".
    """
    check_number("n_permutations", n_permutations, low=20, integer=True)
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    check_number("seed", seed, low=0, integer=True)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    lab = np.asarray(labels)
    if lab.ndim != 1 or len(lab) < 2:
        raise ValueError(f"labels must be 1-D with at least 2 entries, got shape {lab.shape}")
    arrays = [np.asarray(s) for s in samples]
    if any(len(a) != len(lab) for a in arrays):
        raise ValueError(f"samples must have one row per label ({len(lab)}), got lengths "
                         f"{[len(a) for a in arrays]}")
    rng = np.random.default_rng(seed)
    observed = float(statistic(*arrays, lab))
    draws = np.array([statistic(*arrays, rng.permutation(lab)) for _ in range(n_permutations)],
                     dtype=np.float64)
    return NullDistribution(name=name, observed=observed, draws=readonly_float_array(draws),
                            level=float(level), method=f"{n_permutations} label shuffles")
