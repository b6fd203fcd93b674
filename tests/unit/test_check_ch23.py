"""Self-checks of Chapter 2.3 (rnnsec.check.ch23): right answers pass, typical slips fail."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import check
from rnnsec.adversarial import evaluate_robustness, pgd
from rnnsec.privacy import attacks
from rnnsec.privacy.accounting import compute_epsilon

EPS_CONTEXT = dict(sigma=1.0, n_train=357, n_members=315, batch_size=32, epochs=30, delta=1e-5)


def _fails(result) -> bool:
    return result.passed is False and result.message.startswith("Hint:")


def _eps(n: int, steps: int) -> float:
    return compute_epsilon(1.0, sampling_rate=32 / n, steps=steps, delta=1e-5).epsilon


def test_recomputed_epsilon():
    logged = _eps(357, 30 * round(357 / 32))
    context = dict(EPS_CONTEXT, logged_epsilon=logged)
    assert check.exercise("2.3-1", logged, **context).passed is True
    members_only = _eps(315, 30 * round(315 / 32))
    result = check.exercise("2.3-1", members_only, **context)
    assert _fails(result) and "canary" in result.message
    result = check.exercise("2.3-1", _eps(357, 30), **context)            # one step per epoch
    assert _fails(result) and "per batch" in result.message
    assert _fails(check.exercise("2.3-1", 2 * logged, **context))
    assert _fails(check.exercise("2.3-1", "8.0", **context))


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    idx = np.r_[0:30, 200:230]                                # 30 members, 30 non-members
    is_member = np.r_[np.ones(30, bool), np.zeros(30, bool)]
    return model, x[idx], y[idx], is_member


def _radius_auc(model, x, y, is_member, radius):
    around = pgd(model, x, y, radius, steps=3, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False).x_adv
    losses = attacks.per_example_loss(attacks.model_logits(model, around), y)
    return attacks.loss_threshold_attack_from_losses(losses, is_member).auc


def test_radius_auc(toy):
    model, x, y, is_member = toy
    context = dict(models={"standard": model, "adversarial": model}, x=x, y=y,
                   is_member=is_member, pgd_steps=3)
    good = {(r, k): _radius_auc(model, x, y, is_member, r)
            for r in (0.05, 0.2) for k in ("standard", "adversarial")}
    assert check.exercise("2.3-2", good, **context).passed is True
    plain = attacks.loss_threshold_attack(model, x, y, is_member).auc        # no PGD at all
    no_pgd = {key: plain for key in good}
    flipped = {key: 1.0 - value for key, value in good.items()}  # scores of the wrong sign
    for wrong in (no_pgd, flipped, {(0.05, "standard"): 0.5}):
        assert _fails(check.exercise("2.3-2", wrong, **context))


def test_gaps(trained_toy_lstm):
    model, x, y = trained_toy_lstm
    context = dict(models={"standard": model, "adversarial": model}, x_members=x[:20],
                   y_members=y[:20], nonmember_robust={"standard": 0.3, "adversarial": 0.3},
                   epsilon=0.1, steps=3, restarts=1,
                   clean_gaps={"standard": 0.1, "adversarial": 0.1})
    on_members = evaluate_robustness(model, x[:20], y[:20], 0.1, steps=3, restarts=1,
                                     clip_min=0.0, clip_max=1.0, seed=0).robust_accuracy
    gap = on_members - 0.3
    good = {"standard": (gap, 0.1), "adversarial": (gap, 0.1)}
    assert check.exercise("2.3-3", good, **context).passed is True
    assert _fails(check.exercise("2.3-3", {"standard": (gap + 0.2, 0.1),
                                           "adversarial": (gap, 0.1)}, **context))
    assert _fails(check.exercise("2.3-3", {"standard": (gap, -0.1),
                                           "adversarial": (gap, 0.1)}, **context))
    assert _fails(check.exercise("2.3-3", {"standard": gap}, **context))
    pgd_only = pgd(model, x[:20], y[:20], 0.1, steps=3, clip_min=0.0, clip_max=1.0, seed=0,
                   progress=False).robust_accuracy - 0.3   # one attack, not the protocol
    if abs(pgd_only - gap) >= 0.01:
        assert _fails(check.exercise("2.3-3", {"standard": (pgd_only, 0.1),
                                               "adversarial": (gap, 0.1)}, **context))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError):
        check.exercise("2.3-1", 1.0, logged_epsilon=5.0, **EPS_CONTEXT)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a number given as text)."""
    chinese_hint("2.3-1", "8.0", logged_epsilon=5.0, **EPS_CONTEXT)
