"""Robustness evaluation: robust_accuracy, robustness_curve, sanity_checks."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import set_seed
from rnnsec.adversarial import (
    fgsm,
    pgd,
    robust_accuracy,
    robustness_curve,
    sanity_checks,
)
from rnnsec.compat import keras


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    """The shared toy LSTM (tests/unit/conftest.py); the seed is reset so these tests see the
    same random state whichever test file ran before."""
    model, x, y = trained_toy_lstm
    set_seed(0)
    return model, x[200:250], y[200:250]


class GradientMasked(keras.Model):
    """Quantises its input with a zero gradient: a classic gradient-masking 'defence'."""

    def __init__(self, base: keras.Model, levels: int = 8):
        super().__init__()
        self.base, self.levels = base, levels

    def call(self, x, training=None):
        quantised = tf.stop_gradient(tf.round(x * self.levels) / self.levels)
        return self.base(quantised + 0.0 * x, training=training)  # d/dx = 0


def test_robust_accuracy_matches_the_attack(toy):
    model, x, y = toy
    expected = pgd(model, x, y, 0.05, seed=0, clip_min=0.0, clip_max=1.0, progress=False)
    got = robust_accuracy(model, x, y, "pgd", 0.05, seed=0, clip_min=0.0, clip_max=1.0,
                          progress=False)
    assert got == expected.robust_accuracy
    assert robust_accuracy(model, x, y, fgsm, 0.05, progress=False) == \
        fgsm(model, x, y, 0.05, progress=False).robust_accuracy


def test_robust_accuracy_rejects_bad_attacks(toy):
    model, x, y = toy
    with pytest.raises(ValueError, match="attack"):
        robust_accuracy(model, x, y, "deepfool", 0.1)
    with pytest.raises(TypeError, match="AttackResult"):
        robust_accuracy(model, x, y, lambda m, x, y, e: 0.5, 0.1)
    with pytest.raises(ValueError, match="untargeted"):
        robust_accuracy(model, x, y, "fgsm", 0.1, targeted=True, progress=False)
    with pytest.raises(ValueError, match="epsilon"):
        robust_accuracy(model, x, y, "pgd", -0.1)


def test_robustness_curve_table(toy):
    model, x, y = toy
    curve = robustness_curve(model, x, y, [0.0, 0.03, 0.1], attacks=("fgsm", "pgd", "simba"),
                             clip_min=0.0, clip_max=1.0, progress=False,
                             attack_kwargs={"pgd": {"seed": 0},
                                            "simba": {"max_queries": 40, "seed": 0}})
    table = curve.as_dict()
    assert len(curve.rows) == 9 and set(table) == set(curve.COLUMNS)
    assert table["attack"][:3] == ["fgsm"] * 3
    eps, acc = curve.accuracy("pgd")
    np.testing.assert_array_equal(eps, [0.0, 0.03, 0.1])
    assert acc[0] == table["clean_accuracy"][0]
    assert np.all(np.diff(acc) <= 0) and acc[-1] < acc[0] - 0.3
    assert table["mean_queries"][6] is not None and table["mean_queries"][0] is None
    assert "simba" in repr(curve)
    with pytest.raises(ValueError, match="attack"):
        curve.accuracy("cw")
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(ImportError, match="pandas"):
            curve.to_frame()
    else:
        assert curve.to_frame().shape == (9, len(curve.COLUMNS))


def test_robustness_curve_rejects_bad_epsilons(toy):
    model, x, y = toy
    with pytest.raises(ValueError, match="epsilons"):
        robustness_curve(model, x, y, [0.1, -0.1])
    with pytest.raises(ValueError, match="epsilons"):
        robustness_curve(model, x, y, [])


def test_sanity_checks_pass_on_an_honest_model(toy):
    model, x, y = toy
    report = sanity_checks(model, x, y, 0.05, clip_min=0.0, clip_max=1.0, steps=5,
                           more_steps=20, restarts=2, max_queries=60)
    assert report.passed, report
    names = [c.name for c in report.checks]
    assert names == ["more_steps", "more_restarts", "iterative_vs_single_step",
                     "black_box_vs_white_box", "large_epsilon_to_chance"]
    steps = report["more_steps"].details
    assert steps["stronger_accuracy"] <= steps["weaker_accuracy"] + 0.03
    assert report["large_epsilon_to_chance"].details["accuracies"][-1] <= 1 / 3
    assert report.as_dict()["passed"] is True and "PASS" in repr(report)


def test_sanity_checks_catch_gradient_masking(toy):
    model, x, y = toy
    masked = GradientMasked(model)
    report = sanity_checks(masked, x, y, 0.1, clip_min=0.0, clip_max=1.0, steps=5,
                           more_steps=20, restarts=2, max_queries=60)
    assert not report.passed
    assert not report["black_box_vs_white_box"].passed
    assert not report["large_epsilon_to_chance"].passed
    white = report["black_box_vs_white_box"].details
    assert white["black_box_success"] > white["white_box_success"]
    assert "FAIL" in repr(report)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"epsilon": 0.0}, "epsilon"), ({"more_steps": 5}, "more_steps"),
    ({"restarts": 1}, "restarts"), ({"tolerance": 2.0}, "tolerance"),
])
def test_sanity_checks_reject_bad_arguments(toy, kwargs, name):
    model, x, y = toy
    args = {"epsilon": 0.05, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=name):
        sanity_checks(model, x, y, **args)
