"""Tests of the Chapter 4.3 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np

from rnnsec import check
from rnnsec.certify import certify
from rnnsec.models import sequence_classifier


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


def test_tanh_lines():
    lo, hi = np.array([0.0, 0.5, 1.0]), np.array([1.0, 2.0, 4.0])
    a_lo = (np.tanh(hi) - np.tanh(lo)) / (hi - lo)
    b_lo = np.tanh(lo) - a_lo * lo
    mid = (lo + hi) / 2
    a_hi = 1 - np.tanh(mid) ** 2
    b_hi = np.tanh(mid) - a_hi * mid
    assert check.exercise("4.3-1", (a_lo, b_lo, a_hi, b_hi), lo=lo, hi=hi).passed
    assert _fails(check.exercise("4.3-1", (a_hi, b_hi, a_lo, b_lo), lo=lo, hi=hi))
    loose = (a_lo, b_lo - 0.1, a_hi, b_hi)
    assert "tightest" in check.exercise("4.3-1", loose, lo=lo, hi=hi).message
    assert _fails(check.exercise("4.3-1", (a_lo, b_lo), lo=lo, hi=hi))


def test_any_k():
    model = sequence_classifier((8, 2), 3, cell="simple_rnn", units=4, seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (10, 8, 2)).astype(np.float32)
    y = model(x).numpy().argmax(1)
    right = {k: certify(model, x, y, 0.1, method="linear", k=k, clip_min=0.0,
                        clip_max=1.0).certified_accuracy for k in (1, 2, 4, 8)}
    context = {"model": model, "x": x, "y": y, "epsilon": 0.1}
    assert check.exercise("4.3-2", right, **context).passed
    assert _fails(check.exercise("4.3-2", {1: 0.5}, **context))
    assert _fails(check.exercise("4.3-2", {**right, 1: right[1] + 0.1}, **context))
    assert _fails(check.exercise("4.3-2", [0.1], **context))


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (two arrays, not four)."""
    chinese_hint("4.3-1", (np.zeros(3), np.zeros(3)), lo=np.zeros(3), hi=np.ones(3))
