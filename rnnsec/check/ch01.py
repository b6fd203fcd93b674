"""Self-checks for the exercises of Chapter 1 (Background).

Each checker recomputes the reader's measurement with ``rnnsec.adversarial.fgsm`` on the model
the notebook passes as context, so a right answer passes on any stack and any training run.
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import fgsm
from rnnsec.check._core import as_number, register, require


def _rates(answer, keys: tuple[str, ...], what: str) -> dict[str, float]:
    """The dict ``answer`` with the given keys, each a fraction in [0, 1]."""
    require(isinstance(answer, dict), f"give a dict with the keys {list(keys)} ({what})")
    require(set(keys) <= set(answer), f"the dict needs the keys {list(keys)}, got {list(answer)}")
    rates = {key: as_number(answer[key], f"answer[{key!r}]") for key in keys}
    require(all(0.0 <= r <= 1.0 for r in rates.values()),
            "accuracies and success rates are fractions in [0, 1], not percentages")
    return rates


def _accuracy(model, x, y, epsilon: float, **kwargs) -> float:
    """Accuracy of ``model`` on FGSM examples with budget ``epsilon`` (0 = clean)."""
    pred = fgsm(model, x, y, epsilon, progress=False, **kwargs).pred_adv
    return float(np.mean(pred == np.asarray(y)))


@register("1-1", topic="smallest FGSM budget that halves the speaker accuracy (bisection)")
def _eps_half(answer, *, model, x, y, mask) -> str:
    eps = as_number(answer, "eps_half")
    require(0.0 < eps <= 1.0, "the budget is in standard deviations and lies between 0 and 1 "
                              "here: bisect over [0, 1]")
    target = _accuracy(model, x, y, 0.0, mask=mask) / 2
    at_eps = _accuracy(model, x, y, eps, mask=mask)
    require(at_eps <= target, f"at eps = {eps:.4g} FGSM still leaves more than half the clean "
                              "accuracy: the budget is too small (keep the upper end of the "
                              "bisection interval, where the accuracy is already halved)")
    below = _accuracy(model, x, y, max(eps - 0.01, 0.0), mask=mask)
    require(below > target, f"a budget 0.01 smaller than {eps:.4g} already halves the accuracy: "
                            "this is not the smallest one (bisect further, or start lower)")
    return (f"FGSM halves the accuracy at eps = {eps:.3f} standard deviations (to within 0.01), "
            "well under the spread of one coefficient.")


@register("1-2", topic="clean and FGSM accuracy of a GRU on the row-wise digits")
def _gru(answer, *, model, x, y, epsilon: float = 0.05) -> str:
    rates = _rates(answer, ("clean", "fgsm"), "the GRU's clean and FGSM accuracy")
    clean = _accuracy(model, x, y, 0.0)
    attacked = _accuracy(model, x, y, epsilon, clip_min=0.0, clip_max=1.0)
    tol = 1.5 / len(y)
    require(abs(rates["clean"] - clean) <= tol,
            "answer['clean'] is not the GRU's accuracy on the clean test digits "
            "(evaluate the GRU you passed as model=, on digits.x_test)")
    require(abs(rates["fgsm"] - (1 - attacked)) > tol or abs(attacked - 0.5) <= tol,
            "answer['fgsm'] looks like the attack's success rate; give the accuracy on the "
            "adversarial digits")
    require(abs(rates["fgsm"] - attacked) <= tol,
            f"answer['fgsm'] is not the GRU's accuracy under FGSM with eps = {epsilon} and "
            "pixels clipped to [0, 1] (clip_min=0.0, clip_max=1.0)")
    return (f"FGSM (eps = {epsilon}) costs the GRU {100 * (clean - attacked):.1f} percentage "
            "points of accuracy: swapping the cell is not a defence.")


@register("1-3", topic="targeted vs untargeted FGSM success (speaker 3 -> speaker 7)")
def _targeted(answer, *, model, x, y, mask, epsilon: float = 0.5, source: int = 2,
              target: int = 6) -> str:
    rates = _rates(answer, ("targeted", "untargeted"), "success rates of the two attacks")
    y = np.asarray(y)
    pick = y == source
    require(pick.any(), f"no example of class {source} in y")
    xs, ms = np.asarray(x)[pick], np.asarray(mask)[pick]
    hit = fgsm(model, xs, np.full(pick.sum(), target), epsilon, mask=ms, targeted=True,
               progress=False).success_rate
    away = fgsm(model, xs, y[pick], epsilon, mask=ms, progress=False).success_rate
    tol = 0.5 / pick.sum()
    if abs(rates["targeted"] - away) <= tol and abs(rates["untargeted"] - hit) <= tol:
        require(False, "the two rates are swapped")
    require(abs(rates["targeted"] - hit) <= tol,
            f"answer['targeted'] is not the share of class-{source} utterances that targeted "
            f"FGSM (eps = {epsilon}, targets all {target}, targeted=True, mask=) sends to "
            f"class {target}; attack only the utterances of that speaker")
    require(abs(rates["untargeted"] - away) <= tol,
            f"answer['untargeted'] is not the untargeted FGSM success rate (eps = {epsilon}) "
            f"on the same class-{source} utterances with their true labels")
    return ("Hitting one chosen speaker is much harder for a single step than leaving the "
            "true one; iterative attacks close the gap (Chapter 2.1).")
