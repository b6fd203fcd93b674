"""Self-checks for the exercises of Chapter 5.1 (Adversarial training in practice).

The checkers recompute clean accuracies and robust accuracies (the book's protocol,
``rnnsec.adversarial.evaluate_robustness``) of the models the notebook passes as context, and
test the properties of the gradient comparison (equal up to float rounding).
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import evaluate_robustness
from rnnsec.check._core import as_fraction, register, require


def _robust(model, x, y, epsilon: float) -> float:
    """The book's robust accuracy on pixels in [0, 1], seed 0 (the chapter's evaluation)."""
    return evaluate_robustness(model, x, y, epsilon, clip_min=0.0, clip_max=1.0,
                               seed=0).robust_accuracy


@register("5.1-1", topic="clean and robust accuracy of the mixture-loss (alpha 0.5) model")
def _mixed(answer, *, model, x, y, x_eval, y_eval, epsilon: float) -> str:
    require(isinstance(answer, dict) and {"clean", "robust"} <= set(answer),
            "give a dict with the keys 'clean' and 'robust'")
    clean_got = as_fraction(answer["clean"], "answer['clean']")
    robust_got = as_fraction(answer["robust"], "answer['robust']")
    clean = float(np.mean(np.asarray(model(np.asarray(x))).argmax(axis=1) == np.asarray(y)))
    robust = _robust(model, x_eval, y_eval, epsilon)
    require(clean >= 0.5, "the model passed as model= is not trained (clean accuracy below 50%)")
    require(not (abs(clean_got - robust) <= 0.02 and abs(robust_got - clean) <= 0.02),
            "clean and robust accuracy are swapped")
    require(abs(clean_got - clean) <= 1.5 / len(y),
            "answer['clean'] is not the model's accuracy on the clean test digits")
    require(abs(robust_got - robust) <= max(0.03, 3.0 / len(y_eval)),
            f"answer['robust'] is not the robust accuracy of evaluate_robustness at epsilon = "
            f"{epsilon} (pixels clipped to [0, 1], seed=0) on x_eval")
    return ("The clean term keeps clean accuracy up; whether the robust accuracy holds "
            "depends on the one-step examples. Optimise the loss you report.")


@register("5.1-2", topic="weight gradient with and without stop_gradient through the attack")
def _stop_gradient(answer, **_) -> str:
    require(isinstance(answer, dict) and {"gap", "l2_differs"} <= set(answer),
            "give a dict with the keys 'gap' (largest absolute difference between the two "
            "weight gradients) and 'l2_differs' (True or False)")
    gap = answer["gap"]
    ok = isinstance(gap, (int, float, np.floating)) and not isinstance(gap, bool)
    require(ok and np.isfinite(gap) and gap >= 0, "answer['gap'] should be a non-negative number")
    require(gap <= 1e-5, "the two gradients should agree up to float rounding: start both "
                         "attacks from the same point (no random start) and compare the same "
                         "weights in the same order")
    require(isinstance(answer["l2_differs"], (bool, np.bool_)),
            "answer['l2_differs'] should be True or False")
    require(bool(answer["l2_differs"]),
            "sign() has zero derivative almost everywhere, but g / ||g||_2 does not: think "
            "about the second-order path through an L2 step")
    return ("Through sign() the extra path contributes nothing; through an L2 step it "
            "does, though it vanishes at an exact maximiser. Danskin's gradient holds the "
            "maximiser fixed, which stop_gradient computes exactly and cheaply.")


@register("5.1-3", topic="robust accuracy from half a grey level to three grey levels")
def _grey(answer, *, models, grey_levels, x, y) -> str:
    require(isinstance(models, dict) and models, "pass models= as a dict from name to model")
    require(isinstance(answer, dict) and set(answer) == set(models),
            f"give a dict with the keys {list(models)}, each a list of robust accuracies")
    levels = [float(g) for g in grey_levels]
    for name, curve in answer.items():
        require(len(curve) == len(levels),
                f"answer[{name!r}] should have one accuracy per grey level ({len(levels)})")
        accs = [as_fraction(a, f"answer[{name!r}][{i}]") for i, a in enumerate(curve)]
        require(all(b <= a + 0.03 for a, b in zip(accs, accs[1:], strict=False)),
                f"answer[{name!r}] rises with the budget: give robust accuracies at growing "
                "budgets (epsilon = grey levels / 16)")
    for name, model in models.items():
        for i in (0, len(levels) - 1):
            ref = _robust(model, x, y, levels[i] / 16)
            require(abs(float(answer[name][i]) - ref) <= max(0.03, 3.0 / len(y)),
                    f"answer[{name!r}] at {levels[i]} grey levels does not match "
                    f"evaluate_robustness at epsilon = {levels[i]} / 16 (pixels clipped to "
                    "[0, 1], seed=0) on x=")
    return ("Adversarial training protects up to about its training budget and "
            "degrades beyond it.")
