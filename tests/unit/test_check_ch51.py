"""Tests of the Chapter 5.1 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import check
from rnnsec.adversarial import evaluate_robustness


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


def _robust(model, x, y, eps):
    return evaluate_robustness(model, x, y, eps, clip_min=0.0, clip_max=1.0,
                               seed=0).robust_accuracy


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    return model, x[200:], y[200:]


def test_5_1_1_scores(toy):
    model, x, y = toy
    clean = float(np.mean(model.predict(x, verbose=0).argmax(1) == y))
    robust = _robust(model, x[:50], y[:50], 0.1)
    ctx = dict(model=model, x=x, y=y, x_eval=x[:50], y_eval=y[:50], epsilon=0.1)
    assert check.exercise("5.1-1", {"clean": clean, "robust": robust}, **ctx).passed
    assert _fails(check.exercise("5.1-1", {"clean": robust, "robust": clean}, **ctx))
    wrong_eps = _robust(model, x[:50], y[:50], 0.3)
    assert _fails(check.exercise("5.1-1", {"clean": clean, "robust": wrong_eps}, **ctx))
    assert _fails(check.exercise("5.1-1", (clean, robust), **ctx))


def _l2_gap(model, x, y, epsilon, stop_both=False):
    """The exercise's L2-step gradient gap, written out as a reader would."""
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.constant(x)
    grads = []
    for stop in (True, False):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                first = loss_fn(y, model(x, training=False))
            g = inner.gradient(first, x)
            if stop or stop_both:
                g = tf.stop_gradient(g)
            g = g / tf.norm(tf.reshape(g, [len(y), -1]), axis=1)[:, None, None]
            loss = loss_fn(y, model(tf.clip_by_value(x + epsilon * g, 0.0, 1.0), training=True))
        grads.append(outer.gradient(loss, model.trainable_variables))
    return max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(*grads, strict=True))


def test_5_1_2_gap(toy):
    model, x, y = toy
    x, y = x[:32], y[:32]
    ctx = dict(model=model, x=x, y=y, epsilon=0.5)
    l2_gap = _l2_gap(model, x, y, 0.5)
    assert l2_gap > 1e-6
    assert check.exercise("5.1-2", {"gap": 0.0, "l2_gap": l2_gap}, **ctx).passed
    assert check.exercise("5.1-2", {"gap": np.float32(3e-8), "l2_gap": l2_gap}, **ctx).passed
    stopped = _l2_gap(model, x, y, 0.5, stop_both=True)
    assert _fails(check.exercise("5.1-2", {"gap": 0.0, "l2_gap": stopped}, **ctx))
    other_eps = _l2_gap(model, x, y, 0.1)
    assert _fails(check.exercise("5.1-2", {"gap": 0.0, "l2_gap": other_eps}, **ctx))
    assert _fails(check.exercise("5.1-2", {"gap": 0.0, "l2_gap": 1.0}, **ctx))
    assert _fails(check.exercise("5.1-2", {"gap": 0.2, "l2_gap": l2_gap}, **ctx))
    assert _fails(check.exercise("5.1-2", {"gap": 0.0, "l2_differs": True}, **ctx))


def test_5_1_3_grey_levels(toy):
    model, x, y = toy
    x, y = x[:50], y[:50]
    levels = [0.5, 1.0, 2.0]
    curves = {"a": [_robust(model, x, y, g / 16) for g in levels]}
    ctx = dict(models={"a": model}, grey_levels=levels, x=x, y=y)
    assert check.exercise("5.1-3", curves, **ctx).passed
    pixels = {"a": [_robust(model, x, y, min(g, 1.0)) for g in levels]}
    assert _fails(check.exercise("5.1-3", pixels, **ctx))
    assert _fails(check.exercise("5.1-3", {"a": [1 - a for a in curves["a"]]}, **ctx))
    assert _fails(check.exercise("5.1-3", {"b": curves["a"]}, **ctx))


def test_strict_mode_raises(monkeypatch, toy):
    model, x, y = toy
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="5.1-2"):
        check.exercise("5.1-2", {"gap": 0.5, "l2_gap": 1.0}, model=model, x=x[:8], y=y[:8],
                       epsilon=0.5)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a tuple, not a dict)."""
    chinese_hint("5.1-1", (0.9, 0.5), model=None, x=None, y=None, x_eval=None,
                 y_eval=None, epsilon=0.1)
