"""Tests of the Chapter 1 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest

from rnnsec import check
from rnnsec.adversarial import fgsm


def _acc(model, x, y, eps, **kwargs):
    return float(np.mean(fgsm(model, x, y, eps, progress=False, **kwargs).pred_adv == y))


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    return model, x[200:], y[200:], np.ones(x[200:].shape[:2], dtype="float32")


def test_1_1_bisection(toy):
    model, x, y, mask = toy
    target = _acc(model, x, y, 0.0, mask=mask) / 2
    low, high = 0.0, 1.0
    for _ in range(8):
        mid = (low + high) / 2
        low, high = (mid, high) if _acc(model, x, y, mid, mask=mask) > target else (low, mid)
    assert check.exercise("1-1", high, model=model, x=x, y=y, mask=mask).passed
    assert _fails(check.exercise("1-1", low / 2, model=model, x=x, y=y, mask=mask))
    assert _fails(check.exercise("1-1", 1.0, model=model, x=x, y=y, mask=mask))
    assert _fails(check.exercise("1-1", "0.3", model=model, x=x, y=y, mask=mask))


def test_1_2_clean_and_fgsm(toy):
    model, x, y, _ = toy
    clean = _acc(model, x, y, 0.0)
    adv = _acc(model, x, y, 0.05, clip_min=0.0, clip_max=1.0)
    ctx = dict(model=model, x=x, y=y)
    assert check.exercise("1-2", {"clean": clean, "fgsm": adv}, **ctx).passed
    assert _fails(check.exercise("1-2", {"clean": clean, "fgsm": 1 - adv}, **ctx))
    wrong_eps = _acc(model, x, y, 0.2, clip_min=0.0, clip_max=1.0)
    assert _fails(check.exercise("1-2", {"clean": clean, "fgsm": wrong_eps}, **ctx))
    assert _fails(check.exercise("1-2", {"clean": 100 * clean, "fgsm": adv}, **ctx))


def test_1_3_targeted(toy):
    model, x, y, mask = toy
    pick = y == 2

    def rate(eps, target=None):
        labels = y[pick] if target is None else np.full(pick.sum(), target)
        return fgsm(model, x[pick], labels, eps, mask=mask[pick], targeted=target is not None,
                    progress=False).success_rate

    hit, away = rate(0.05, target=0), rate(0.05)
    ctx = dict(model=model, x=x, y=y, mask=mask, epsilon=0.05, source=2, target=0)
    assert check.exercise("1-3", {"targeted": hit, "untargeted": away}, **ctx).passed
    assert abs(hit - away) > 0.03
    assert _fails(check.exercise("1-3", {"targeted": away, "untargeted": hit}, **ctx))
    wrong_target = rate(0.05, target=1)
    assert abs(wrong_target - hit) > 0.03
    assert _fails(check.exercise("1-3", {"targeted": wrong_target, "untargeted": away}, **ctx))
    assert _fails(check.exercise("1-3", {"targeted": hit}, **ctx))


def test_strict_mode_raises(toy, monkeypatch):
    model, x, y, mask = toy
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="1-1"):
        check.exercise("1-1", 1.0, model=model, x=x, y=y, mask=mask)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a budget given as text)."""
    chinese_hint("1-1", "0.3", model=None, x=None, y=None, mask=None)
