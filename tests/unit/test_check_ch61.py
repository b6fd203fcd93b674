"""Self-checks of Chapter 6.1 (rnnsec.check.ch61): right answers pass, typical slips fail."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import check
from rnnsec.privacy import attacks
from rnnsec.privacy.audit import one_run_audit

DELTA = 1e-4


def _fails(result) -> bool:
    return result.passed is False and result.message.startswith("Hint:")


@pytest.fixture(scope="module")
def audit_data():
    """Scores that separate 200 coin-flip canaries well (a leaky model)."""
    rng = np.random.default_rng(0)
    included = rng.random(200) < 0.5
    scores = rng.normal(0.0, 1.0, 200) + 2.5 * included
    return scores, included


def test_bound_vs_guesses(audit_data):
    scores, included = audit_data
    context = dict(scores=scores, included=included, delta=DELTA)
    good = {k: one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=k,
                             delta=DELTA).epsilon
            for k in (5, 10, 20, 40, 80)}
    assert good[20] > 0.5                                     # the toy audit detects leakage
    assert check.exercise("6.1-1", good, **context).passed is True
    flipped = {k: one_run_audit(-scores, included, n_positive_guesses=k, n_negative_guesses=k,
                                delta=DELTA).epsilon for k in good}
    result = check.exercise("6.1-1", flipped, **context)
    assert _fails(result) and "score" in result.message
    positives_only = {k: one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=0,
                                       delta=DELTA).epsilon for k in good}
    assert _fails(check.exercise("6.1-1", positives_only, **context))
    assert _fails(check.exercise("6.1-1", {5: 1.0}, **context))


def test_confusion_counts():
    rng = np.random.default_rng(1)
    is_member = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    losses = rng.exponential(0.02, 100) + 0.02 * ~is_member
    guess = losses < 0.01
    tp, fn = int(np.sum(guess & is_member)), int(np.sum(~guess & is_member))
    fp, tn = int(np.sum(guess & ~is_member)), int(np.sum(~guess & ~is_member))
    context = dict(losses=losses, is_member=is_member, threshold=0.01)
    assert check.exercise("6.1-2", (tp, fn, fp, tn), **context).passed is True
    result = check.exercise("6.1-2", (fn, tp, tn, fp), **context)             # loss > threshold
    assert _fails(result) and "low loss" in result.message
    assert _fails(check.exercise("6.1-2", (tp, fp, fn, tn), **context))       # fn/fp swapped
    assert _fails(check.exercise("6.1-2", (tp, fn, fp), **context))
    assert _fails(check.exercise("6.1-2", (0.5, fn, fp, tn), **context))


def test_logit_confidence_audit(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    included = np.arange(300) < 200                          # trained on the first 200
    context = dict(models={"toy": model}, x=x, y=y, included=included, k=20, delta=DELTA,
                   accountant_epsilons={"toy": float("inf")})
    phi = attacks.logit_confidence(attacks.model_logits(model, x), y)
    good = {"toy": one_run_audit(phi, included, n_positive_guesses=20, n_negative_guesses=20,
                                 delta=DELTA).epsilon}
    assert check.exercise("6.1-3", good, **context).passed is True
    wrong_sign = {"toy": one_run_audit(-phi, included, n_positive_guesses=20, n_negative_guesses=20,
                                       delta=DELTA).epsilon}
    if wrong_sign != good:
        assert _fails(check.exercise("6.1-3", wrong_sign, **context))
    assert _fails(check.exercise("6.1-3", {"toy": good["toy"] + 0.5}, **context))
    capped = dict(context, accountant_epsilons={"toy": 0.0})
    if good["toy"] > 0:
        assert _fails(check.exercise("6.1-3", good, **capped))       # above the accountant
    assert _fails(check.exercise("6.1-3", {"other": 0.0}, **context))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError):
        check.exercise("6.1-2", (1, 2, 3), losses=[0.0] * 6, is_member=[1, 0] * 3,
                       threshold=0.01)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (three counts, not four)."""
    chinese_hint("6.1-2", (1, 2, 3), losses=[0.0] * 6, is_member=[1, 0] * 3,
                 threshold=0.01)
