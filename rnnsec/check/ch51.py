"""Self-checks for the exercises of Chapter 5.1 (Adversarial training in practice).

The checkers recompute clean accuracies and robust accuracies (the book's protocol,
``rnnsec.adversarial.evaluate_robustness``) of the models the notebook passes as context, and
the gap between the weight gradients with and without ``stop_gradient`` through one L2 step
of the attack on the notebook's model and batch.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec.adversarial import evaluate_robustness
from rnnsec.check._core import as_fraction, as_number, register, require


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


def _l2_step_gap(model, x, y, epsilon: float) -> float:
    """Largest weight-gradient difference with and without stop_gradient through an L2 step.

    One L2 fast-gradient step of size ``epsilon`` (norm over the whole sequence, clipped to
    [0, 1], the attack in inference mode); the loss at the attacked batch is cross-entropy on
    logits in training mode. Danskin 1967; Chapter 5.1.
    """
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.constant(np.asarray(x, dtype=np.float32))
    y = tf.constant(np.asarray(y))
    grads = []
    for stop in (True, False):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                first = loss_fn(y, model(x, training=False))
            g = inner.gradient(first, x)
            g = tf.stop_gradient(g) if stop else g
            norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2], keepdims=True))
            x_adv = tf.clip_by_value(x + epsilon * g / tf.maximum(norm, 1e-12), 0.0, 1.0)
            loss = loss_fn(y, model(x_adv, training=True))
        grads.append(outer.gradient(loss, model.trainable_variables))
    return max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(*grads, strict=True))


@register("5.1-2", topic="weight gradient with and without stop_gradient through the attack")
def _stop_gradient(answer, *, model, x, y, epsilon: float) -> str:
    require(isinstance(answer, dict) and {"gap", "l2_gap"} <= set(answer),
            "give a dict with the keys 'gap' (largest absolute difference between the two "
            "weight gradients through PGD's sign steps) and 'l2_gap' (the same through one L2 "
            "step)")
    gap = as_number(answer["gap"], "answer['gap']")
    l2_gap = as_number(answer["l2_gap"], "answer['l2_gap']")
    require(gap >= 0 and l2_gap >= 0, "a largest absolute difference is non-negative")
    require(gap <= 1e-5, "the two gradients through PGD's sign steps should agree up to float "
                         "rounding: start both attacks from the same point (no random start) "
                         "and compare the same weights in the same order")
    ref = _l2_step_gap(model, x, y, epsilon)
    require(l2_gap > 1e-3 * ref,
            "through an L2 step the two gradients differ: g / ||g||_2 has a non-zero "
            "derivative, unlike sign(); did you stop the gradient in both runs?")
    require(abs(l2_gap - ref) <= 0.05 * ref,
            "answer['l2_gap'] is not the difference for one L2 step of size epsilon from x "
            "(g / ||g||_2 with the norm over each whole sequence, clipped to [0, 1], the "
            "attack in inference mode and the loss at the attacked batch in training mode)")
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
