"""Tests of the Chapter 4.2 self-checks: right answers pass, typical wrong ones get a hint."""

import math

import pytest

from rnnsec import check
from rnnsec.check.ch42 import gaussian_epsilon
from rnnsec.privacy import accounting

N = 1000
DELTA = 1e-5


def _sigmas():
    q = accounting.sampling_rate(32, n_examples=N)
    steps = accounting.steps_for_epochs(N, batch_size=32, epochs=10)
    return {c: accounting.noise_for_epsilon(1.0, sampling_rate=q, steps=steps, delta=DELTA,
                                            conversion=c)
            for c in ("improved", "classic")}


def _fails(result):
    assert result.passed is False
    assert result.message.startswith("Hint: ") and len(result.message) > 10


def test_4_2_1():
    good = _sigmas()
    assert check.exercise("4.2-1", good, n_examples=N).passed is True
    swapped = {"improved": good["classic"], "classic": good["improved"]}
    _fails(check.exercise("4.2-1", swapped, n_examples=N))
    q1 = accounting.sampling_rate(32, n_examples=N)  # one epoch's steps instead of ten
    few = {c: accounting.noise_for_epsilon(1.0, sampling_rate=q1, steps=32, delta=DELTA,
                                           conversion=c) for c in good}
    _fails(check.exercise("4.2-1", few, n_examples=N))
    _fails(check.exercise("4.2-1", 1.2, n_examples=N))


def test_4_2_2():
    gauss = accounting.gaussian_mechanism_sigma(1.0, delta=DELTA)
    d = math.floor(gauss ** 2 / 2) + 1
    n = 4 * (64 * (8 + 64) + 64) + 64 * 10 + 10
    assert check.exercise("4.2-2", {"crossover_d": d, "n_params": n}).passed is True
    no_sqrt2 = math.floor(gauss ** 2) + 1
    _fails(check.exercise("4.2-2", {"crossover_d": no_sqrt2, "n_params": n}))
    _fails(check.exercise("4.2-2", {"crossover_d": d, "n_params": n - 650}))
    _fails(check.exercise("4.2-2", {"crossover_d": d, "n_params": float(n)}))


def test_4_2_3():
    q = accounting.sampling_rate(32, n_examples=N)
    steps = accounting.steps_for_epochs(N, batch_size=32, epochs=10)
    a = accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=DELTA,
                                   accountant="pld").epsilon
    good = {"a": a, "b": gaussian_epsilon(1.1 / math.sqrt(10), delta=DELTA),
            "c": gaussian_epsilon(1.1 / math.sqrt(steps), delta=DELTA)}
    assert check.exercise("4.2-3", good, n_examples=N).passed is True
    rdp = accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=DELTA).epsilon
    _fails(check.exercise("4.2-3", {**good, "a": rdp}, n_examples=N))
    _fails(check.exercise("4.2-3", {**good, "b": gaussian_epsilon(1.1, delta=DELTA)}, n_examples=N))
    _fails(check.exercise("4.2-3", {**good, "c": good["b"]}, n_examples=N))


def test_4_2_4():
    sigma10 = math.sqrt(2 * math.log(1.25 / DELTA)) / 10
    t_star = 10 * sigma10 ** 2 + 0.5
    fixed = accounting.gaussian_mechanism_sigma(10.0, delta=DELTA)
    assert check.exercise("4.2-4", {"threshold": t_star, "sigma": fixed}).passed is True
    _fails(check.exercise("4.2-4", {"threshold": 0.5, "sigma": fixed}))
    _fails(check.exercise("4.2-4", {"threshold": t_star, "sigma": sigma10}))
    _fails(check.exercise("4.2-4", {"threshold": t_star, "sigma": 2 * fixed}))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="4.2-4"):
        check.exercise("4.2-4", {"threshold": 0.5, "sigma": 1.0})


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (no violation)."""
    chinese_hint("4.2-4", {"threshold": 0.5, "sigma": 1.0})
