"""Self-checks for the exercises of Chapter 6.2 (Capstone: a robust, private, secure model)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import register, require


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and math.isfinite(float(value)))


@register("6.2-1", topic="least DP noise that meets a target epsilon")
def _least_noise(answer, *, sampling_rate: float, steps: int, delta: float,
                 target_epsilon: float) -> str:
    from rnnsec.privacy.accounting import compute_epsilon

    require(_is_number(answer) and float(answer) > 0,
            "give the noise multiplier sigma as one positive number")
    sigma = float(answer)
    spent = compute_epsilon(sigma, sampling_rate=sampling_rate, steps=steps, delta=delta).epsilon
    require(spent <= target_epsilon * 1.001,
            f"with this sigma the accountant's epsilon is above the target {target_epsilon:g} "
            "(check q = batch / n, the number of steps and delta)")
    less_noise = compute_epsilon(sigma / 1.02, sampling_rate=sampling_rate, steps=steps,
                                 delta=delta).epsilon
    require(less_noise > target_epsilon,
            "this sigma meets the target with noise to spare: 2% less noise still does, and "
            "every bit of extra noise costs accuracy")
    return (f"sigma = {sigma:.3f} spends epsilon {spent:.3f} <= {target_epsilon:g}, and no "
            "noticeably smaller sigma would.")


def _accuracies(model, x, y, mask, epsilon: float) -> tuple[float, float]:
    """Clean accuracy and PGD-10 (L-inf, seed 0) robust accuracy of ``model``."""
    from rnnsec.adversarial import pgd
    from rnnsec.privacy import attacks

    clean = float(np.mean(attacks.model_logits(model, x).argmax(axis=1) == y))
    robust = pgd(model, x, y, epsilon, steps=10, mask=mask, seed=0,
                 progress=False).robust_accuracy
    return clean, float(robust)


@register("6.2-2", topic="a model robust at a larger epsilon")
def _robust_model(answer, *, x, y, mask, epsilon: float, reference) -> str:
    from rnnsec.compat import keras

    require(isinstance(answer, keras.Model),
            "give the trained keras model itself (the one that returns logits)")
    x, y = np.asarray(x, dtype="float32"), np.asarray(y)
    require(answer.output_shape[-1] == reference.output_shape[-1],
            "the model must output one logit per class, like the chapter's models")
    ref_clean, ref_robust = _accuracies(reference, x, y, mask, epsilon)
    clean, robust = _accuracies(answer, x, y, mask, epsilon)
    require(clean >= 0.75 * ref_clean,
            f"clean accuracy {clean:.2f} gives away too much (reference {ref_clean:.2f}): "
            "train for as many epochs as the chapter's models, with the same learning rate")
    require(robust >= ref_robust + 0.05,
            f"PGD accuracy at epsilon {epsilon:g} is {robust:.2f}, not clearly above the "
            f"reference's {ref_robust:.2f}: train against the attack you will face, at that "
            "epsilon")
    return (f"On these {len(y)} sequences: PGD accuracy at epsilon {epsilon:g} {robust:.2f} "
            f"against {ref_robust:.2f}, clean accuracy {clean:.2f}.")


@register("6.2-3", topic="the one-run audit's ceiling and its tightness")
def _audit_tightness(answer, *, m: int, n_guesses: int, delta: float, alpha: float,
                     audit_epsilon: float, accountant_epsilon: float) -> str:
    from rnnsec.privacy.audit import one_run_epsilon_lower_bound

    require(isinstance(answer, Mapping) and set(answer) == {"ceiling", "tightness"},
            "give a dict with the keys 'ceiling' and 'tightness'")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "both values are non-negative numbers")
    ceiling, tightness = float(answer["ceiling"]), float(answer["tightness"])
    right = one_run_epsilon_lower_bound(m, n_guesses=n_guesses, n_correct=n_guesses, delta=delta,
                                        alpha=alpha)
    no_delta = one_run_epsilon_lower_bound(m, n_guesses=n_guesses, n_correct=n_guesses, delta=0.0,
                                           alpha=alpha)
    require(abs(ceiling - no_delta) > 1e-3 or abs(no_delta - right) < 1e-3,
            "the ceiling must be computed at the chapter's delta, not at delta = 0")
    require(abs(ceiling - right) < 1e-3,
            "the ceiling is the bound of a perfect audit: every one of its guesses right, "
            "with the chapter's number of canaries, guesses, delta and alpha")
    require(ceiling >= audit_epsilon - 1e-9, "no audit with these guesses can beat its ceiling")
    ratio = audit_epsilon / accountant_epsilon
    if 0 < ratio < 1:
        require(abs(tightness - 1 / ratio) > 1e-3 / ratio,
                "tightness is the lower bound divided by the upper bound, not the other way "
                "round")
    require(abs(tightness - ratio) <= 1e-3 * max(1.0, ratio),
            "tightness is the audit's lower bound divided by the accountant's epsilon")
    return (f"A perfect audit with these guesses proves at most epsilon >= {right:.2f}; the "
            f"measured bound closes {ratio:.1%} of the way to the accountant's epsilon.")
