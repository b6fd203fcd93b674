"""Self-checks for the exercises of Chapter 6.1 (What differential privacy buys)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import register, require

_GUESSES = (5, 10, 20, 40, 80)


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and math.isfinite(float(value)))


@register("6.1-1", topic="one-run audit bound against the number of guesses")
def _bound_vs_guesses(answer, *, scores, included, delta: float) -> str:
    from rnnsec.privacy.audit import one_run_audit

    require(isinstance(answer, Mapping) and set(answer) == set(_GUESSES),
            f"give a dict from k (each of {_GUESSES}) to the audit's epsilon lower bound")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "each lower bound is a non-negative number")
    scores = np.asarray(scores, dtype=float)
    for k in _GUESSES:
        right = one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=k,
                              delta=delta).epsilon
        if abs(float(answer[k]) - right) > 1e-6:
            flipped = one_run_audit(-scores, included, n_positive_guesses=k, n_negative_guesses=k,
                                    delta=delta).epsilon
            require(abs(float(answer[k]) - flipped) > 1e-6 or abs(flipped - right) < 1e-6,
                    "the score must be higher for canaries that look included: minus the loss")
            no_delta = one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=k,
                                     delta=0.0).epsilon
            require(abs(float(answer[k]) - no_delta) > 1e-6 or abs(no_delta - right) < 1e-6,
                    "pass the chapter's delta to the audit")
            require(False, f"the bound for k = {k} is off: k guesses 'included' and k "
                           "guesses 'excluded', alpha = 0.05")
    return "Fix k before looking: choosing the best k afterwards voids the 95% confidence."


@register("6.1-2", topic="confusion counts of a fixed-threshold membership guess")
def _confusion(answer, *, losses, is_member, threshold: float) -> str:
    require(isinstance(answer, (tuple, list)) and len(answer) == 4
            and all(isinstance(v, (int, np.integer)) for v in answer),
            "give the four integer counts (tp, fn, fp, tn)")
    losses = np.asarray(losses, dtype=float)
    members = np.asarray(is_member, dtype=bool)
    guess = losses < threshold
    tp, fn = int(np.sum(guess & members)), int(np.sum(~guess & members))
    fp, tn = int(np.sum(guess & ~members)), int(np.sum(~guess & ~members))
    require(sum(int(v) for v in answer) == len(losses),
            f"the four counts must add up to the {len(losses)} candidates")
    require(tuple(int(v) for v in answer) != (fn, tp, tn, fp),
            "you guessed 'member' for a loss above the threshold: members have low loss")
    require(tuple(int(v) for v in answer) != (tp, fp, fn, tn),
            "fn and fp are swapped: fn counts members guessed 'non-member'")
    require(tuple(int(v) for v in answer) == (tp, fn, fp, tn),
            "recount: tp = members guessed member, fn = members guessed non-member, "
            "fp = non-members guessed member, tn = the rest")
    return "Right counts; but without coin flips deciding membership they prove nothing."


@register("6.1-3", topic="one-run audit with the logit-confidence score")
def _logit_audit(answer, *, models: Mapping, x, y, included, k: int, delta: float,
                 accountant_epsilons: Mapping) -> str:
    from rnnsec.privacy import attacks
    from rnnsec.privacy.audit import one_run_audit

    require(isinstance(answer, Mapping) and set(answer) == set(models),
            f"give a dict from run label ({', '.join(models)}) to the audit's lower bound")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "each lower bound is a non-negative number")
    for label, model in models.items():
        require(float(answer[label]) <= float(accountant_epsilons[label]),
                f"the bound for {label!r} exceeds the accountant's epsilon: that would be a bug")
        logits = attacks.model_logits(model, x)
        right = one_run_audit(attacks.logit_confidence(logits, y), included, n_positive_guesses=k,
                              n_negative_guesses=k, delta=delta).epsilon
        require(abs(float(answer[label]) - right) < 1e-6,
                f"the bound for {label!r} is off: score = logit confidence of the canary's "
                f"label, {k} guesses each way, the chapter's delta")
    return "Both scores are increasing in p_y, so they rank canaries alike (up to ties)."
