"""Self-checks of Chapter 2.4 (rnnsec.check.ch24): right answers pass, typical slips fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnsec import check, poisoning


def _fails(result) -> bool:
    return result.passed is False and result.message.startswith("Hint:")


@pytest.fixture(scope="module")
def backdoored(trained_toy_lstm):
    """The toy LSTM with a trigger it never saw: the checker recomputes whatever it does."""
    model, x, y = trained_toy_lstm
    trigger = poisoning.SequenceTrigger(np.ones((2, 3)), position="end")
    return model, x[200:], y[200:], trigger


def test_attack_success(backdoored):
    model, x, y, trigger = backdoored
    others = y != 0
    pred = model(trigger.apply(x[others]).x, training=False).numpy().argmax(axis=1)
    asr = float(np.mean(pred == 0))
    context = dict(model=model, x=x, y=y, trigger=trigger, target=0)
    assert check.exercise("2.4-1", asr, **context).passed is True
    every = model(trigger.apply(x).x, training=False).numpy().argmax(axis=1)
    everything = float(np.mean(every == 0))
    if abs(everything - asr) > 1 / len(y):
        result = check.exercise("2.4-1", everything, **context)
        assert _fails(result) and "target class too" in result.message
    assert _fails(check.exercise("2.4-1", min(1.0, asr + 0.2), **context))
    assert _fails(check.exercise("2.4-1", "0.5", **context))


def test_group_bound():
    context = dict(p_clean=0.03, n_poison=2, epsilon=0.65, delta=1e-5)
    right = poisoning.poisoning_success_bound(0.03, n_poison=2, epsilon=0.65, delta=1e-5)
    assert check.exercise("2.4-2", right, **context).passed is True
    added = poisoning.group_privacy_bound(0.03, k=2, epsilon=0.65, delta=1e-5)
    result = check.exercise("2.4-2", added, **context)
    assert _fails(result) and "k = 2 n" in result.message
    no_delta = math.exp(4 * 0.65) * 0.03
    result = check.exercise("2.4-2", no_delta, **context)
    assert _fails(result) and ("delta" in result.message)
    assert _fails(check.exercise("2.4-2", 0.9, **context))


def test_records_covered():
    context = dict(p_clean=0.03, epsilon=0.65, delta=1e-5)
    n = 0
    while poisoning.poisoning_success_bound(0.03, n_poison=n + 1, epsilon=0.65,
                                            delta=1e-5) < 0.5:
        n += 1
    assert check.exercise("2.4-3", n, **context).passed is True
    assert _fails(check.exercise("2.4-3", n + 3, **context))
    assert _fails(check.exercise("2.4-3", 1.5, **context))


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (not a whole number of records)."""
    chinese_hint("2.4-3", 1.5, p_clean=0.03, epsilon=0.65, delta=1e-5)
