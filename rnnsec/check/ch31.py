"""Self-checks for the exercises of Chapter 3.1 (Adversarial training).

The checkers test the pass counts of the training methods against their definitions, and
rerun cheap attacks (FGSM, PGD-10, SimBA) on the model the notebook passes as context to judge
the reader's robust accuracies.
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import fgsm, pgd, simba
from rnnsec.check._core import as_fraction, register, require

PASSES = {"standard": 1, "PGD-3 AT": 4, "FGSM-RS AT": 2, "free AT (m=4)": 1, "TRADES-3 AT": 5}
BUDGETS = (50, 200, 800)




@register("3.1-1", topic="forward/backward passes per minibatch of each training method")
def _passes(answer, **_) -> str:
    require(isinstance(answer, dict), "give a dict from method name to passes per minibatch")
    require(set(answer) == set(PASSES), f"the keys should be the methods {list(PASSES)}, got "
                                        f"{sorted(answer)}")
    for name, value in answer.items():
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        require(ok, f"answer[{name!r}] should be a whole number of passes, got {value!r}")
    require(answer["standard"] == 1, "standard training is one forward/backward pass")
    require(answer["PGD-3 AT"] == 4, "PGD-k needs k attack passes plus the training pass")
    require(answer["FGSM-RS AT"] == 2, "FGSM-RS is one attack step plus the training step")
    require(answer["free AT (m=4)"] == 1,
            "free AT reuses the training pass's input gradient: count passes per minibatch "
            "per epoch of data seen (the epochs are divided by m)")
    require(answer["TRADES-3 AT"] == 5,
            "TRADES-k: the clean forward pass, k KL steps and the training pass")
    return ("Right: PGD-k costs k+1 passes, a single step 2, free AT replays each minibatch m "
            "times over m times fewer epochs.")


@register("3.1-2", topic="gradient-masking check: FGSM against PGD-10 on the FGSM-RS model")
def _masking(answer, *, model, x, y, epsilon: float, clip_min: float = 0.0,
             clip_max: float = 1.0) -> str:
    require(isinstance(answer, dict) and set(answer) == {"fgsm", "pgd"},
            "give a dict with the keys 'fgsm' and 'pgd' (robust accuracies)")
    one, many = as_fraction(answer["fgsm"], "answer['fgsm']"), as_fraction(answer["pgd"],
                                                                         "answer['pgd']")
    tol = max(0.02, 2.0 / len(y))
    ref_one = fgsm(model, x, y, epsilon, clip_min=clip_min, clip_max=clip_max,
                   progress=False).robust_accuracy
    require(abs(one - ref_one) <= tol,
            f"answer['fgsm'] is not FGSM's robust accuracy at epsilon = {epsilon} (L-inf, "
            f"inputs clipped to [{clip_min}, {clip_max}]) on the digits passed as x=: is it an "
            "accuracy, not a success rate, on this model?")
    ref_many = pgd(model, x, y, epsilon, steps=10, clip_min=clip_min, clip_max=clip_max,
                   seed=0, progress=False).robust_accuracy
    require(abs(many - ref_many) <= max(0.04, tol),
            f"answer['pgd'] is not PGD-10's robust accuracy at epsilon = {epsilon} (random "
            "start, default step size, clipped inputs) on the same digits")
    return ("Right: PGD-10 leaves fewer digits correct than one FGSM step, as it should when "
            "the gradients are informative.")


@register("3.1-3", topic="SimBA robust accuracy against its query budget")
def _budget(answer, *, model, x, y, epsilon: float, clip_min: float = 0.0,
            clip_max: float = 1.0) -> str:
    require(isinstance(answer, dict), f"give a dict from the query budget {list(BUDGETS)} to "
                                      "SimBA's robust accuracy")
    require(set(answer) == set(BUDGETS), f"the keys should be the budgets {list(BUDGETS)}, "
                                         f"got {sorted(answer)}")
    accs = [as_fraction(answer[b], f"answer[{b}]") for b in BUDGETS]
    require(all(b <= a + 1e-9 for a, b in zip(accs, accs[1:], strict=False)),
            "a larger query budget (same seed) can only leave fewer digits correct: are these "
            "robust accuracies, not success rates, and from the same seed?")
    tol = max(0.02, 2.0 / len(y))
    ref = simba(model, x, y, epsilon, max_queries=BUDGETS[0], clip_min=clip_min,
                clip_max=clip_max, seed=0, progress=False).robust_accuracy
    require(abs(accs[0] - ref) <= tol,
            f"answer[{BUDGETS[0]}] is not SimBA's robust accuracy at epsilon = {epsilon} with "
            f"{BUDGETS[0]} queries (seed 0) on the digits passed as x=")
    features = int(np.prod(np.shape(x)[1:]))
    require(2 * features + 1 > BUDGETS[1] or abs(accs[2] - accs[1]) <= tol,
            f"with {features} coordinates SimBA runs out of directions before {BUDGETS[1]} "
            "queries, so 800 queries should change nothing: rerun both with seed 0")
    return (f"Right: with {features} coordinates, tried at most twice each, SimBA has nothing "
            "left to try beyond a few hundred queries.")
