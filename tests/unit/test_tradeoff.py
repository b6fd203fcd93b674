"""The (epsilon, delta)-DP ceilings on membership attacks (rnnsec.privacy.tradeoff)."""

import math

import numpy as np
import pytest

from rnnsec.privacy.tradeoff import dp_advantage_ceiling, dp_auc_ceiling, dp_tpr_ceiling

_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # renamed in numpy 2


def test_zero_budget_allows_only_guessing():
    fpr = np.linspace(0, 1, 11)
    np.testing.assert_allclose(dp_tpr_ceiling(fpr, epsilon=0.0, delta=0.0), fpr)
    assert dp_advantage_ceiling(epsilon=0.0, delta=0.0) == pytest.approx(0.0)
    assert dp_auc_ceiling(epsilon=0.0, delta=0.0) == pytest.approx(0.5)


@pytest.mark.parametrize("eps,delta", [(0.5, 0.0), (1.0, 1e-5), (3.0, 1e-3), (8.0, 0.05)])
def test_ceilings_agree_with_the_region_computed_numerically(eps, delta):
    x = np.linspace(0.0, 1.0, 200_001)
    tpr = dp_tpr_ceiling(x, epsilon=eps, delta=delta)
    assert np.all(tpr >= x - 1e-12) and np.all(tpr <= 1.0)
    assert np.all(np.diff(tpr) >= -1e-12)  # a ROC ceiling is non-decreasing
    # the two defining inequalities hold on the ceiling, and one of them is tight (or TPR = 1)
    assert np.all(tpr <= math.exp(eps) * x + delta + 1e-12)
    assert np.all(1 - x <= math.exp(eps) * (1 - tpr) + delta + 1e-9)
    assert dp_advantage_ceiling(epsilon=eps, delta=delta) == pytest.approx(
        float(np.max(tpr - x)), abs=1e-5)
    assert dp_auc_ceiling(epsilon=eps, delta=delta) == pytest.approx(
        float(_trapezoid(tpr, x)), abs=1e-6)


def test_known_values():
    # pure eps-DP: advantage (e^eps - 1) / (e^eps + 1) = tanh(eps / 2)
    assert dp_advantage_ceiling(epsilon=1.0, delta=0.0) == pytest.approx(math.tanh(0.5))
    assert dp_tpr_ceiling(0.01, epsilon=1.0, delta=1e-5) == pytest.approx(math.e * 0.01 + 1e-5)
    assert isinstance(dp_tpr_ceiling(0.01, epsilon=1.0, delta=0.0), float)
    # the ceiling grows with the budget and reaches 1 for a huge epsilon
    aucs = [dp_auc_ceiling(epsilon=e, delta=1e-5) for e in (0.1, 1.0, 4.0, 50.0)]
    assert aucs == sorted(aucs) and aucs[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(epsilon=-1.0, delta=0.0), "epsilon must be >= 0"),
    (dict(epsilon=float("inf"), delta=0.0), "epsilon must be finite"),
    (dict(epsilon=1.0, delta=1.5), "delta must be <= 1"),
])
def test_bad_budget_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dp_advantage_ceiling(**kwargs)
    with pytest.raises(ValueError, match=match):
        dp_tpr_ceiling(0.1, **kwargs)


def test_bad_fpr_is_refused():
    with pytest.raises(ValueError, match=r"fpr must lie in \[0, 1\]"):
        dp_tpr_ceiling([0.1, 1.2], epsilon=1.0, delta=0.0)
    with pytest.raises(TypeError, match="fpr must be numeric"):
        dp_tpr_ceiling("0.1", epsilon=1.0, delta=0.0)
    with pytest.raises(TypeError, match="epsilon must be a number"):
        dp_auc_ceiling(epsilon="1", delta=0.0)
