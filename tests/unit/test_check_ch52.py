"""Tests of the Chapter 5.2 self-checks: right answers pass, typical wrong ones get a hint."""

import pytest

from rnnsec import check
from rnnsec.privacy import accounting

N, BATCH, EPOCHS, DELTA, NOISE = 1000, 32, 5, 1e-5, 1.1


def _fails(result):
    assert result.passed is False
    assert result.message.startswith("Hint: ") and len(result.message) > 10


def test_5_2_1():
    assert check.exercise("5.2-1", {"article": 0.11, "correct": 0.93}).passed is True
    _fails(check.exercise("5.2-1", {"article": 0.93, "correct": 0.11}))  # swapped
    _fails(check.exercise("5.2-1", {"article": 11.0, "correct": 93.0}))  # percentages
    _fails(check.exercise("5.2-1", {"article": 0.9, "correct": 0.93}))  # both correct loss


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


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="5.2-1"):
        check.exercise("5.2-1", {"article": 0.93, "correct": 0.11})


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (the two accuracies swapped)."""
    chinese_hint("5.2-1", {"article": 0.93, "correct": 0.11})
