"""Self-checks for the exercises of Chapter 2.3 (Robustness and security: two attackers)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import register, require

_KINDS = ("standard", "adversarial")


def _epsilon(sigma: float, n: int, batch_size: int, steps: int, delta: float) -> float:
    from rnnsec.privacy.accounting import compute_epsilon

    return compute_epsilon(sigma, sampling_rate=batch_size / n, steps=steps, delta=delta).epsilon


@register("2.3-1", topic="recompute the accountant's epsilon of the private runs")
def _recomputed_epsilon(answer, *, logged_epsilon: float, sigma: float, n_train: int,
                        n_members: int, batch_size: int, epochs: int, delta: float) -> str:
    require(isinstance(answer, (int, float, np.integer, np.floating))
            and not isinstance(answer, bool), "give the recomputed epsilon as one number")
    value = float(answer)
    require(math.isfinite(value) and value > 0,
            "epsilon of DP-SGD with sigma > 0 is finite and positive")
    if not math.isclose(value, logged_epsilon, rel_tol=1e-3):
        members_only = _epsilon(sigma, n_members, batch_size,
                                epochs * max(1, round(n_members / batch_size)), delta)
        require(n_members == n_train or not math.isclose(value, members_only, rel_tol=1e-3),
                "you counted the members only: the canary copies are training records too, "
                "and they set the sampling rate q = batch / n")
        require(not math.isclose(value, _epsilon(sigma, n_train, batch_size, epochs, delta),
                                 rel_tol=1e-3),
                "the accountant composes one step per batch, not one per epoch")
        require(False, "not the epsilon the callback logged: use the noise multiplier, "
                       "q = batch size / training records, epochs x round(1/q) steps and the "
                       "same delta")
    return "The accountant sees sigma, q and the steps only; PGD inside the step changes none."


def _adversarial_loss_auc(model, x, y, is_member, radius: float, steps: int) -> float:
    from rnnsec.adversarial import pgd
    from rnnsec.privacy import attacks

    around = pgd(model, x, y, radius, steps=steps, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False).x_adv
    losses = attacks.per_example_loss(attacks.model_logits(model, around), y)
    return attacks.loss_threshold_attack_from_losses(losses, is_member).auc


@register("2.3-2", topic="adversarial-loss membership AUC at other radii")
def _radius_auc(answer, *, models: Mapping, x, y, is_member, pgd_steps: int) -> str:
    keys = {(r, k) for r in (0.05, 0.2) for k in _KINDS}
    require(isinstance(answer, Mapping) and set(answer) == keys,
            'give a dict {(radius, kind): AUC} for radius in (0.05, 0.2) and kind in '
            '("standard", "adversarial")')
    require(all(0.0 <= float(v) <= 1.0 for v in answer.values()), "an AUC lies in [0, 1]")
    for (radius, kind), value in sorted(answer.items()):
        right = _adversarial_loss_auc(models[kind], x, y, is_member, radius, pgd_steps)
        require(abs(float(value) - right) < 0.01,
                f"the AUC for radius {radius} and the {kind} model is off: score each "
                "candidate by minus the loss of its PGD example in that ball "
                f"({pgd_steps} steps, random start seed 0)")
    return "The gain over the plain loss peaks near the radius the robust model was trained at."


@register("2.3-3", topic="robust and clean generalisation gaps")
def _gaps(answer, *, models: Mapping, x_members, y_members, nonmember_robust: Mapping,
          clean_gaps: Mapping, epsilon: float, steps: int, restarts: int) -> str:
    from rnnsec.adversarial import evaluate_robustness

    require(isinstance(answer, Mapping) and set(answer) == set(_KINDS),
            'give a dict {"standard": (robust gap, clean gap), "adversarial": (...)}')
    for kind in _KINDS:
        pair = answer[kind]
        require(isinstance(pair, (tuple, list)) and len(pair) == 2,
                f"answer[{kind!r}] must be a pair (robust gap, clean gap)")
        on_members = evaluate_robustness(models[kind], x_members, y_members, epsilon,
                                         steps=steps, restarts=restarts, clip_min=0.0,
                                         clip_max=1.0, seed=0).robust_accuracy
        right = on_members - float(nonmember_robust[kind])
        require(not (abs(right) > 0.01 and abs(float(pair[0]) + right) < 0.01),
                f"the robust gap of the {kind} model has the wrong sign: members minus "
                "non-members")
        require(abs(float(pair[0]) - right) < 0.01,
                f"the robust gap of the {kind} model is off: robust accuracy by the protocol "
                f"(evaluate_robustness, {steps} steps, {restarts} restarts, seed 0) on the "
                "members minus the non-members' robust accuracy in the table")
        require(abs(float(pair[1]) - float(clean_gaps[kind])) < 1e-6,
                f"the clean gap of the {kind} model is off: train accuracy minus test accuracy")
    return "The robust model's robust gap is what the adversarial-loss attack reads."
