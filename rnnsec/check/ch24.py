"""Self-checks for the exercises of Chapter 2.4 (Training-time attacks: poisoning and backdoors)."""

from __future__ import annotations

import math

import numpy as np

from rnnsec.check._core import as_fraction, as_number, register, require


def _success_on(model, x, y, trigger, target: int, *, every_class: bool) -> float:
    from rnnsec.privacy.attacks import model_logits

    rows = np.ones(len(y), dtype=bool) if every_class else np.asarray(y) != target
    triggered = trigger.apply(np.asarray(x)[rows], seed=1).x
    return float(np.mean(model_logits(model, triggered).argmax(axis=1) == target))


@register("2.4-1", topic="attack success rate of a backdoor, by hand")
def _attack_success(answer, *, model, x, y, trigger, target: int) -> str:
    value = as_fraction(answer, "the attack success rate")
    n_others = int(np.sum(np.asarray(y) != target))
    expected = _success_on(model, x, y, trigger, target, every_class=False)
    if abs(value - expected) > 1.0 / n_others:
        everything = _success_on(model, x, y, trigger, target, every_class=True)
        require(abs(value - everything) > 1.0 / len(y),
                "you counted the triggered digits of the target class too: a triggered 0 "
                "classified as 0 is ordinary accuracy, keep only labels other than the target")
        clean = float(np.mean(
            _predictions(model, np.asarray(x)[np.asarray(y) != target]) == target))
        require(abs(value - clean) > 1.0 / n_others,
                "that is the share of *clean* non-target digits sent to the target: write the "
                "trigger into them first (trigger.apply(x).x)")
        require(False, "not the share of triggered non-target test digits classified as the "
                       "target")
    return (f"Attack success {expected:.3f} on {n_others} triggered digits of the other "
            "classes.")


def _predictions(model, x) -> np.ndarray:
    from rnnsec.privacy.attacks import model_logits

    return model_logits(model, x).argmax(axis=1)


def _bound(p_clean: float, k: int, epsilon: float, delta: float) -> float:
    from rnnsec.poisoning import group_privacy_bound

    return group_privacy_bound(p_clean, k=k, epsilon=epsilon, delta=delta)


@register("2.4-2", topic="group-privacy bound on a backdoor with a few poisoned records")
def _group_bound(answer, *, p_clean: float, n_poison: int, epsilon: float,
                 delta: float) -> str:
    value = as_fraction(answer, "the bound (a probability, capped at 1)")
    expected = _bound(p_clean, 2 * n_poison, epsilon, delta)
    if not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-12):
        require(not math.isclose(value, _bound(p_clean, n_poison, epsilon, delta),
                                 rel_tol=1e-6),
                "a replaced record is one removal plus one addition under the accountant's "
                "add/remove relation: the group has k = 2 n records")
        textbook = min(1.0, math.exp(2 * n_poison * epsilon) * p_clean + 2 * n_poison
                       * math.exp((2 * n_poison - 1) * epsilon) * delta)
        require(not math.isclose(value, textbook, rel_tol=1e-6),
                "that is the looser k e^((k-1) eps) delta form; sum the geometric series "
                "delta (e^(k eps) - 1) / (e^eps - 1) instead")
        require(not math.isclose(value, min(1.0, math.exp(2 * n_poison * epsilon) * p_clean),
                                 rel_tol=1e-6),
                "the delta term is missing")
        require(False, "not e^(k eps) p_clean + delta (e^(k eps) - 1) / (e^eps - 1) with "
                       "k = 2 n_poison, capped at 1")
    return f"Bound {expected:.4f} for {n_poison} replaced records (k = {2 * n_poison})."


@register("2.4-3", topic="how many poisoned records a DP guarantee covers")
def _records_covered(answer, *, p_clean: float, epsilon: float, delta: float) -> str:
    value = as_number(answer, "n_max")
    require(value == int(value) and value >= 0, "n_max is a number of records (an integer >= 0)")
    require(epsilon > 0 or delta > 0 or p_clean >= 0.5,
            "with epsilon = delta = 0 the bound never grows: every number of records is covered")
    n = 0
    while _bound(p_clean, 2 * (n + 1), epsilon, delta) < 0.5:
        n += 1
    if int(value) != n:
        m = 0
        while _bound(p_clean, m + 1, epsilon, delta) < 0.5:
            m += 1
        require(int(value) != m, "each replaced record counts twice (k = 2 n): that n_max "
                                 "is for added records")
        require(False, f"not the largest n with a bound below 0.5 (the bound at your n is "
                       f"{_bound(p_clean, 2 * int(value), epsilon, delta):.3f})")
    return f"Up to {n} poisoned records keep the bound below 0.5."
