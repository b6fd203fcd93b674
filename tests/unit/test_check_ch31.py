"""Tests of the Chapter 3.1 self-checks: right answers pass, typical wrong ones get a hint."""

import pytest

from rnnsec import check
from rnnsec.adversarial import fgsm, pgd, simba

EPS = 0.06
GOOD_PASSES = {"standard": 1, "PGD-3 AT": 4, "FGSM-RS AT": 2, "free AT (m=4)": 1,
               "TRADES-3 AT": 5}


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    return model, x[200:260], y[200:260]


def test_3_1_1_passes():
    assert check.exercise("3.1-1", dict(GOOD_PASSES)).passed
    assert _fails(check.exercise("3.1-1", {**GOOD_PASSES, "PGD-3 AT": 3}))  # forgot training
    assert _fails(check.exercise("3.1-1", {**GOOD_PASSES, "free AT (m=4)": 4}))  # per replay
    assert _fails(check.exercise("3.1-1", {**GOOD_PASSES, "TRADES-3 AT": 4.0}))
    assert _fails(check.exercise("3.1-1", list(GOOD_PASSES.values())))
    assert _fails(check.exercise("3.1-1", {"standard": 1}))


def test_3_1_2_masking(toy):
    model, x, y = toy
    ctx = dict(model=model, x=x, y=y, epsilon=EPS)
    one = fgsm(model, x, y, EPS, clip_min=0.0, clip_max=1.0, progress=False).robust_accuracy
    strong = pgd(model, x, y, EPS, steps=10, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False)
    many, clean = strong.robust_accuracy, strong.clean_accuracy
    assert clean - many > 0.3  # the attacks bite, so a clean accuracy is told apart
    assert check.exercise("3.1-2", {"fgsm": one, "pgd": many}, **ctx).passed
    assert _fails(check.exercise("3.1-2", {"fgsm": clean, "pgd": many}, **ctx))
    assert _fails(check.exercise("3.1-2", {"fgsm": one, "pgd": clean}, **ctx))
    assert _fails(check.exercise("3.1-2", {"fgsm": 1 - one, "pgd": 1 - many}, **ctx))
    small = fgsm(model, x, y, EPS / 4, clip_min=0.0, clip_max=1.0,
                 progress=False).robust_accuracy
    assert _fails(check.exercise("3.1-2", {"fgsm": small, "pgd": many}, **ctx))
    assert _fails(check.exercise("3.1-2", (one, many), **ctx))


def test_3_1_3_budget(toy):
    model, x, y = toy
    ctx = dict(model=model, x=x, y=y, epsilon=EPS)
    good = {b: simba(model, x, y, EPS, max_queries=b, clip_min=0.0, clip_max=1.0, seed=0,
                     progress=False).robust_accuracy for b in (50, 200, 800)}
    assert check.exercise("3.1-3", good, **ctx).passed
    assert _fails(check.exercise("3.1-3", {b: 1 - a for b, a in good.items()}, **ctx))
    few = simba(model, x, y, EPS, max_queries=10, clip_min=0.0, clip_max=1.0, seed=0,
                progress=False).robust_accuracy
    assert few - good[50] > 0.1  # 10 queries leave clearly more sequences correct
    assert _fails(check.exercise("3.1-3", {50: few, 200: few, 800: few}, **ctx))
    assert _fails(check.exercise("3.1-3", {50: good[50], 200: good[200]}, **ctx))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="3.1-1"):
        check.exercise("3.1-1", {**GOOD_PASSES, "standard": 2})


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a list, not a dict)."""
    chinese_hint("3.1-1", list(GOOD_PASSES.values()))
