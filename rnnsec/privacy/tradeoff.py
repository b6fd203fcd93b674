"""What (epsilon, delta)-DP allows a membership attack to achieve: TPR, advantage and AUC ceilings.

A mechanism is (epsilon, delta)-DP exactly when every test that tries to tell two neighbouring
datasets apart, at false-positive rate ``FPR``, has a true-positive rate with

    TPR <= e^eps FPR + delta    and    1 - FPR <= e^eps (1 - TPR) + delta

(the hypothesis-testing view of DP; Wasserman & Zhou 2010, Kairouz, Oh & Viswanath 2015). A
membership attack on one record of a DP model is such a test, so its measured TPR at a chosen
FPR, its advantage ``max(TPR - FPR)`` and its AUC are bounded by the curve these two lines draw:

- :func:`dp_tpr_ceiling`: the largest TPR at each FPR;
- :func:`dp_advantage_ceiling`: ``(e^eps - 1)(1 - delta) / (e^eps + 1) + delta``, reached where
  the two lines cross (tighter than the ``e^eps - 1`` of Yeom et al. 2018);
- :func:`dp_auc_ceiling`: the area under the ceiling (closed form).

A measured attack result far below its ceiling is what a DP guarantee predicts, not evidence
that the guarantee is loose: the ceiling holds for the worst record and the strongest attack,
and a single run's attack sees an average record. Chapters put the ceiling beside every
attack on a DP model (Chapters 2.3, 6.1 and 6.2).
"""

from __future__ import annotations

import math

import numpy as np

from rnnsec._validate import as_float_array, check_number

__all__ = ["dp_tpr_ceiling", "dp_advantage_ceiling", "dp_auc_ceiling"]


def _check_budget(epsilon, delta) -> tuple[float, float]:
    """Finite epsilon >= 0 (an infinite one bounds nothing) and delta in [0, 1]."""
    return (float(check_number("epsilon", epsilon, low=0.0)),
            float(check_number("delta", delta, low=0.0, high=1.0)))


def dp_tpr_ceiling(fpr, *, epsilon: float, delta: float):
    """Largest TPR any test can reach at false-positive rate ``fpr`` against an (eps, delta)-DP
    mechanism: ``min(1, e^eps fpr + delta, 1 - e^-eps (1 - delta - fpr))``.

    ``fpr`` is a number or an array of numbers in [0, 1]; returns the same shape (a float for a
    number). Kairouz, Oh & Viswanath 2015, Theorem 2.1. Chapters 2.3 and 6.1.
    """
    epsilon, delta = _check_budget(epsilon, delta)
    arr = as_float_array("fpr", fpr)
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"fpr must lie in [0, 1]; got values in [{arr.min()}, {arr.max()}]")
    tpr = np.minimum.reduce([np.ones_like(arr), math.exp(epsilon) * arr + delta,
                             1.0 - math.exp(-epsilon) * (1.0 - delta - arr)])
    return float(tpr) if tpr.ndim == 0 else tpr


def _crossing(epsilon: float, delta: float) -> float:
    """FPR where the two lines of the DP region meet: ``(1 - delta) / (e^eps + 1)``."""
    return (1.0 - delta) / (math.exp(epsilon) + 1.0)


def dp_advantage_ceiling(*, epsilon: float, delta: float) -> float:
    """Largest membership advantage ``max(TPR - FPR)`` against an (eps, delta)-DP mechanism.

    ``(e^eps - 1)(1 - delta) / (e^eps + 1) + delta``: 0 at (0, 0), below 1 for every finite
    epsilon when delta < 1 (Kairouz, Oh & Viswanath 2015). Chapters 2.3 and 6.1.
    """
    epsilon, delta = _check_budget(epsilon, delta)
    return (math.exp(epsilon) - 1.0) * _crossing(epsilon, delta) + delta


def dp_auc_ceiling(*, epsilon: float, delta: float) -> float:
    """Largest AUC of a membership attack against an (eps, delta)-DP mechanism.

    The area under :func:`dp_tpr_ceiling`, piecewise linear: ``e^eps x + delta`` up to the
    crossing ``x*``, then ``1 - e^-eps (1 - delta - x)`` up to ``1 - delta``, then 1. Equals 0.5
    at (0, 0). Chapters 2.3 and 6.1.
    """
    epsilon, delta = _check_budget(epsilon, delta)
    x = _crossing(epsilon, delta)
    first = math.exp(epsilon) * x * x / 2.0 + delta * x
    width = 1.0 - delta - x
    second = width - math.exp(-epsilon) * width * width / 2.0
    return min(1.0, first + second + delta)
