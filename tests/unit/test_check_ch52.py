"""Tests of the Chapter 5.2 self-checks: right answers pass, typical wrong ones get a hint."""

import pytest

from rnnsec import check
from rnnsec.privacy import accounting

N, BATCH, EPOCHS, DELTA, NOISE = 1000, 32, 5, 1e-5, 1.1


def _fails(result):
    assert result.passed is False
    assert result.message.startswith("Hint: ") and len(result.message) > 10


@pytest.fixture(scope="module")
def two_models():
    """A linear model that labels its own test set perfectly and one that always says 0,
    standing in for the correct and the article's loss; the test set and both accuracies."""
    import numpy as np

    from rnnsec.compat import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8, 8)).astype("float32")
    inputs = keras.Input((8, 8))
    right = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    y = right.predict(x, verbose=0).argmax(1)
    constant = keras.layers.Dense(10, kernel_initializer="zeros",
                                  bias_initializer=keras.initializers.Constant(
                                      [1.0] + [0.0] * 9))
    wrong = keras.Model(inputs, constant(keras.layers.Flatten()(inputs)))
    context = {"models": {"article": wrong, "correct": right}, "x": x, "y": y}
    return context, float(np.mean(y == 0)), 1.0


def test_5_2_1(two_models):
    ctx, article, correct = two_models
    good = {"article": article, "correct": correct}
    assert check.exercise("5.2-1", good, **ctx).passed is True
    _fails(check.exercise("5.2-1", {"article": correct, "correct": article}, **ctx))  # swapped
    _fails(check.exercise("5.2-1", {"article": 100 * article, "correct": 100.0}, **ctx))  # %
    _fails(check.exercise("5.2-1", {"article": 0.11, "correct": 0.93}, **ctx))  # typed in
    both = {**ctx, "models": {"article": ctx["models"]["correct"],
                              "correct": ctx["models"]["correct"]}}
    _fails(check.exercise("5.2-1", {"article": 1.0, "correct": 1.0}, **both))  # same loss
    _fails(check.exercise("5.2-1", good, **{**ctx, "models": {"correct": None}}))  # no key


def test_5_2_2():
    q, steps = BATCH / N, EPOCHS * (N // BATCH)
    ctx = {"noise_multiplier": NOISE, "sampling_rate": q, "steps": steps, "delta": DELTA}
    full = accounting.compute_epsilon(NOISE, sampling_rate=q, steps=steps, delta=DELTA).epsilon
    half = accounting.compute_epsilon(NOISE / 2, sampling_rate=q, steps=steps, delta=DELTA).epsilon
    good = {"full_noise": full, "half_noise": half, "default": "half_noise"}
    assert check.exercise("5.2-2", good, **ctx).passed is True
    _fails(check.exercise("5.2-2", {**good, "full_noise": half, "half_noise": full}, **ctx))
    _fails(check.exercise("5.2-2", {**good, "default": "full_noise"}, **ctx))
    pld = accounting.compute_epsilon(NOISE, sampling_rate=q, steps=steps, delta=DELTA,
                                     accountant="pld").epsilon
    _fails(check.exercise("5.2-2", {**good, "full_noise": pld}, **ctx))


def test_5_2_3():
    ctx = {"n_examples": N, "batch_size": BATCH, "epochs": EPOCHS, "delta": DELTA}
    steps = EPOCHS * round(N / BATCH)
    sigma = accounting.noise_for_epsilon(1.0, sampling_rate=BATCH / N, steps=steps, delta=DELTA)
    assert check.exercise("5.2-3", sigma, **ctx).passed is True
    _fails(check.exercise("5.2-3", NOISE, **ctx))  # the article's noise: budget exceeded
    _fails(check.exercise("5.2-3", 2 * sigma, **ctx))  # safe but not the smallest
    _fails(check.exercise("5.2-3", accounting.noise_for_epsilon(1.0, sampling_rate=BATCH / N,
                                                                steps=EPOCHS, delta=DELTA),
                          **ctx))  # one step per epoch


def test_strict_mode_raises(monkeypatch, two_models):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="5.2-1"):
        check.exercise("5.2-1", {"article": 0.93, "correct": 0.11}, **two_models[0])


def test_hint_in_chinese(chinese_hint, two_models):
    """Under Chinese the hint is the checker's Chinese twin (accuracies typed in)."""
    chinese_hint("5.2-1", {"article": 0.93, "correct": 0.11}, **two_models[0])
