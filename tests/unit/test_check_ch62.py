"""Self-checks of Chapter 6.2 (rnnsec.check.ch62): right answers pass, typical slips fail."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import check, set_seed
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier
from rnnsec.privacy.accounting import noise_for_epsilon
from rnnsec.privacy.audit import one_run_epsilon_lower_bound

Q, STEPS, DELTA, TARGET = 0.1, 100, 1e-4, 4.0
EPS_ADV = 0.02


def _fails(result) -> bool:
    return result.passed is False and result.message.startswith("Hint:")


def test_least_noise_accepts_the_calibrated_sigma_and_rejects_slips():
    context = dict(sampling_rate=Q, steps=STEPS, delta=DELTA, target_epsilon=TARGET)
    sigma = noise_for_epsilon(TARGET, sampling_rate=Q, steps=STEPS, delta=DELTA)
    assert check.exercise("6.2-1", sigma, **context).passed is True
    too_little = check.exercise("6.2-1", 0.9 * sigma, **context)      # spends more than 4
    assert _fails(too_little) and "above the target" in too_little.message
    too_much = check.exercise("6.2-1", 1.5 * sigma, **context)        # wastes accuracy
    assert _fails(too_much) and "noise to spare" in too_much.message
    # batch / n miscounted
    wrong_q = noise_for_epsilon(TARGET, sampling_rate=Q / 2, steps=STEPS, delta=DELTA)
    assert _fails(check.exercise("6.2-1", wrong_q, **context))
    assert _fails(check.exercise("6.2-1", "1.2", **context))
    assert _fails(check.exercise("6.2-1", -sigma, **context))


def _mean_classifier(weights) -> keras.Model:
    """Logits = mean over the 6 steps times a 3x3 matrix (no bias)."""
    inputs = keras.Input((6, 3))
    pooled = keras.layers.GlobalAveragePooling1D()(inputs)  # [B, 3]
    model = keras.Model(inputs, keras.layers.Dense(3, use_bias=False)(pooled))
    model.set_weights([np.asarray(weights, dtype="float32")])
    return model


@pytest.fixture(scope="module")
def dead_feature_data():
    """Two live features in [0, 1] and one always 0; the label is the larger live mean."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (100, 6, 3)).astype("float32")
    x[:, :, 2] = 0.0
    return x, x.mean(axis=1)[:, :2].argmax(axis=1)


def test_robust_model_passes_only_when_clearly_more_robust(dead_feature_data):
    x, y = dead_feature_data
    live = np.diag([20.0, 20.0, 0.0])                                # class 2 never wins
    fragile = _mean_classifier(live + np.array([[0, 0, 0], [0, 0, 0], [1e3, -1e3, 0]]))
    context = dict(x=x, y=y, mask=None, epsilon=EPS_ADV, reference=fragile)
    robust = _mean_classifier(live)                                   # ignores the dead feature
    assert check.exercise("6.2-2", robust, **context).passed is True
    same = check.exercise("6.2-2", fragile, **context)                # no better than before
    assert _fails(same) and "not clearly above" in same.message
    assert _fails(check.exercise("6.2-2", robust.get_weights(), **context))
    set_seed(2)
    four_classes = sequence_classifier((6, 3), 4, units=8)
    result = check.exercise("6.2-2", four_classes, **context)
    assert _fails(result) and "one logit per class" in result.message
    constant = _mean_classifier(np.zeros((3, 3)))                     # never changes its mind
    result = check.exercise("6.2-2", constant, **context)
    assert _fails(result) and "clean accuracy" in result.message


def test_audit_tightness_accepts_ceiling_and_ratio_and_rejects_slips():
    m, r, alpha = 100, 20, 0.05
    audit_eps, accountant = 0.4, 8.0
    context = dict(m=m, n_guesses=r, delta=DELTA, alpha=alpha, audit_epsilon=audit_eps,
                   accountant_epsilon=accountant)
    ceiling = one_run_epsilon_lower_bound(m, n_guesses=r, n_correct=r, delta=DELTA, alpha=alpha)
    good = {"ceiling": ceiling, "tightness": audit_eps / accountant}
    assert check.exercise("6.2-3", good, **context).passed is True
    inverted = check.exercise("6.2-3", dict(good, tightness=accountant / audit_eps), **context)
    assert _fails(inverted) and "other way round" in inverted.message
    half = one_run_epsilon_lower_bound(m, n_guesses=r // 2, n_correct=r // 2, delta=DELTA,
                                       alpha=alpha)
    assert _fails(check.exercise("6.2-3", dict(good, ceiling=half), **context))
    no_delta = one_run_epsilon_lower_bound(m, n_guesses=r, n_correct=r, delta=0.0, alpha=alpha)
    if abs(no_delta - ceiling) > 1e-3:
        assert _fails(check.exercise("6.2-3", dict(good, ceiling=no_delta), **context))
    assert _fails(check.exercise("6.2-3", {"ceiling": ceiling}, **context))
    assert _fails(check.exercise("6.2-3", dict(good, tightness=float("nan")), **context))
    # An audit that proved nothing: tightness 0 is right.
    zero = dict(context, audit_epsilon=0.0)
    assert check.exercise("6.2-3", {"ceiling": ceiling, "tightness": 0.0}, **zero).passed


def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="6.2-1"):
        check.exercise("6.2-1", 100.0, sampling_rate=Q, steps=STEPS, delta=DELTA,
                       target_epsilon=TARGET)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a number given as text)."""
    chinese_hint("6.2-1", "1.2", sampling_rate=Q, steps=STEPS, delta=DELTA,
                 target_epsilon=TARGET)
