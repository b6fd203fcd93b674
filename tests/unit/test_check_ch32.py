"""Tests of the Chapter 3.2 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import check, set_seed
from rnnsec.compat import per_example_loss
from rnnsec.models import sequence_classifier
from rnnsec.privacy import accounting, clipping
from rnnsec.privacy.dp import EpsilonCallback, shuffled_batches

N, BATCH, EPOCHS, DELTA = 1000, 32, 5, 1e-5


def _fails(result):
    assert result.passed is False
    assert result.message.startswith("Hint: ") and len(result.message) > 10


def test_3_2_1():
    ctx = {"n_examples": N, "batch_size": BATCH, "epochs": EPOCHS, "delta": DELTA}
    steps = EPOCHS * round(N / BATCH)
    sigma = accounting.noise_for_epsilon(2.0, sampling_rate=BATCH / N, steps=steps, delta=DELTA,
                                         rtol=1e-3)
    assert check.exercise("3.2-1", sigma, **ctx).passed is True
    # TF Privacy's count also passes
    ceil_steps = accounting.steps_for_epochs(N, batch_size=BATCH, epochs=EPOCHS)
    sigma_ceil = accounting.noise_for_epsilon(2.0, sampling_rate=BATCH / N, steps=ceil_steps,
                                              delta=DELTA, rtol=1e-3)
    assert check.exercise("3.2-1", sigma_ceil, **ctx).passed is True
    _fails(check.exercise("3.2-1", accounting.noise_for_epsilon(2.0, sampling_rate=BATCH / N,
                                                                steps=EPOCHS, delta=DELTA,
                                                                rtol=1e-3),
                          **ctx))  # counted epochs, not steps
    _fails(check.exercise("3.2-1", 1.5 * sigma, **ctx))  # not the smallest
    _fails(check.exercise("3.2-1", [sigma], **ctx))


def _largest_changes(model, x, y, scale=1.0):
    """Brute force, as the exercise does: remove each example and compare clipped sums."""
    out = {}
    for clip in (0.1, 1.0, 10.0):
        full = clipping.clipped_gradient_sum(model, per_example_loss(), x, y, clip).grads
        changes = []
        for j in range(len(x)):
            keep = np.arange(len(x)) != j
            less = clipping.clipped_gradient_sum(model, per_example_loss(), x[keep], y[keep],
                                                 clip).grads
            changes.append(np.sqrt(sum(float(tf.reduce_sum((a - b) ** 2))
                                       for a, b in zip(full, less, strict=True))))
        out[clip] = max(changes) * scale
    return out


def test_3_2_2():
    set_seed(0)
    model = sequence_classifier((5, 3), 3, units=8, implementation="rnnsec")  # fast engine
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(5, 5, 3)).astype("float32")
    ys = rng.integers(0, 3, size=5)
    good = _largest_changes(model, xs, ys)
    assert check.exercise("3.2-2", good, model=model, x=xs, y=ys).passed is True
    norms = clipping.per_example_norms(model, per_example_loss(), xs, ys).numpy()
    unclipped = {c: float(norms.max()) for c in good}
    _fails(check.exercise("3.2-2", unclipped, model=model, x=xs, y=ys))
    means = {c: v / len(xs) for c, v in good.items()}  # changes of the mean, not the sum
    _fails(check.exercise("3.2-2", means, model=model, x=xs, y=ys))
    _fails(check.exercise("3.2-2", {0.1: good[0.1]}, model=model, x=xs, y=ys))


def test_3_2_3():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 4, 2)).astype("float32")
    y = rng.integers(0, 3, size=N)
    batches = shuffled_batches(x, y, BATCH, seed=0, drop_remainder=True)
    ctx = {"batches": batches, "noise_multiplier": 1.0, "delta": DELTA, "epochs": EPOCHS,
           "num_microbatches": 8}

    def logged(num_microbatches):
        cb = EpsilonCallback.from_batches(batches, noise_multiplier=1.0, delta=DELTA,
                                          num_microbatches=num_microbatches,
                                          verbose=False)
        for epoch in range(EPOCHS):
            for batch in range(batches.steps_per_epoch):
                cb.on_train_batch_end(batch)
            cb.on_epoch_end(epoch)
        return cb.history[-1]

    good = {"accuracy": 0.8, **logged(8)}
    assert check.exercise("3.2-3", good, **ctx).passed is True
    per_example = {"accuracy": 0.8, **logged(None)}  # forgot the microbatches
    _fails(check.exercise("3.2-3", per_example, **ctx))
    swapped = {**good, "epsilon": good["epsilon_if_poisson"]}
    _fails(check.exercise("3.2-3", swapped, **ctx))
    _fails(check.exercise("3.2-3", {**good, "accuracy": 80.0}, **ctx))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="3.2-1"):
        check.exercise("3.2-1", 100.0, n_examples=N, batch_size=BATCH, epochs=EPOCHS,
                       delta=DELTA)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a list, not a number)."""
    chinese_hint("3.2-1", [1.0], n_examples=N, batch_size=BATCH, epochs=EPOCHS,
                 delta=DELTA)
