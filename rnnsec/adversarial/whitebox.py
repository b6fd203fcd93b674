"""White-box attacks on continuous sequences: FGSM/FGM and PGD (L-inf and L2).

The attacker knows the model and follows the gradient of its loss with respect to the input
sequence ``[B, T, D]``. The L2 norm is taken over the whole sequence of each example; padded
steps (``mask == 0``) are never changed. Taught in Chapter 2.1 (White-box attacks on RNNs);
the source article's FGSM cell is rebuilt on ``fgsm`` in Chapter 1.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.adversarial import _steps
from rnnsec.adversarial._core import (
    BestIterate,
    batches,
    check_attack_inputs,
    check_batching,
    check_norm,
    logits_of,
    loss_and_grad_fn,
    make_rng,
    stateless_seed,
)
from rnnsec.adversarial._losses import attack_loss_numpy, check_loss
from rnnsec.adversarial.results import AttackResult, make_result

__all__ = ["fgsm", "pgd"]


def fgsm(model, x, y, epsilon: float, *, norm: str = "inf", targeted: bool = False,
         clip_min: float | None = None, clip_max: float | None = None, mask=None,
         batch_size: int = 256, progress: bool = True) -> AttackResult:
    """Fast gradient sign method: one step of size ``epsilon`` up the loss gradient.

    ``x_adv = x + epsilon * sign(grad)`` for ``norm="inf"`` (Goodfellow et al. 2015) and
    ``x_adv = x + epsilon * grad / ||grad||_2`` for ``norm="2"`` (the fast gradient method,
    FGM), with the L2 norm taken over the whole sequence. The loss is cross-entropy on the
    model's logits. A targeted attack steps *down* the loss of the target class.

    Args:
        model: a Keras model mapping ``[B, T, D]`` to logits ``[B, C]``.
        x: clean inputs ``[B, T, D]``.
        y: integer labels ``[B]`` in ``[0, C)`` (targets when ``targeted``).
        epsilon: perturbation budget (>= 0) in the chosen norm, in input units.
        norm: ``"inf"`` or ``"2"``.
        targeted: make the model predict ``y`` instead of moving it away from ``y``.
        clip_min, clip_max: valid input range (None = unbounded); ``x`` must lie inside it.
        mask: ``[B, T]`` with 1 for real steps and 0 for padding, or None (all real).
            Padded steps are never changed.
        batch_size: examples per gradient computation.
        progress: show a progress bar when there is more than one batch.

    Returns:
        An ``AttackResult`` (``queries`` is None: white-box).

    Chapter 1 (the source article's attack) and Chapter 2.1.
    """
    x, y, mask, _ = _validate(model, x, y, epsilon, norm, clip_min, clip_max, mask, targeted,
                              batch_size, progress)
    grad_fn = loss_and_grad_fn(model)
    direction = -1.0 if targeted else 1.0
    x_adv = np.empty_like(x)
    pred_clean = np.empty(len(x), dtype=np.int64)
    for s in batches(len(x), batch_size, progress, "fgsm"):
        _, logits, grad = grad_fn(tf.constant(x[s]), tf.constant(y[s]), tf.constant(mask[s]))
        pred_clean[s] = np.argmax(logits.numpy(), axis=1)
        # FGSM is one PGD step of size epsilon from x.
        x_adv[s] = _steps.pgd_step(x[s], x=x[s], grad=direction * grad, mask=mask[s],
                                   step_size=epsilon, epsilon=epsilon, norm=norm,
                                   clip_min=clip_min, clip_max=clip_max).numpy()  # [b, T, D]
    pred_adv = _predict(model, x_adv, batch_size)
    return make_result("fgsm", x, x_adv, y, pred_clean, pred_adv, norm=norm, epsilon=epsilon,
                       targeted=targeted)


def pgd(model, x, y, epsilon: float, *, norm: str = "inf", targeted: bool = False,
        clip_min: float | None = None, clip_max: float | None = None, mask=None,
        steps: int = 10, step_size: float | None = None, random_start: bool = True,
        restarts: int = 1, loss: str = "ce", seed=None, batch_size: int = 256,
        progress: bool = True) -> AttackResult:
    """Projected gradient descent: ``steps`` gradient steps, each projected back into the ball.

    Each step moves by ``step_size`` along the steepest-ascent direction of the loss (sign of
    the gradient for L-inf, the gradient over its whole-sequence L2 norm for L2), then
    projects onto the ``epsilon`` ball around ``x`` and clips to ``[clip_min, clip_max]``
    (Madry et al. 2018; Kurakin et al. 2017 for the iterative method). With ``restarts > 1`` it
    runs again from new random starts. Per example it returns the best iterate over all steps
    and restarts: the first that succeeds, otherwise the one with the highest loss, so more
    steps or restarts can only help the attacker (a sanity check of Carlini et al. 2019).

    Args:
        model: a Keras model mapping ``[B, T, D]`` to logits ``[B, C]``.
        x: clean inputs ``[B, T, D]``.
        y: integer labels ``[B]`` (targets when ``targeted``).
        epsilon: ball radius (>= 0) in the chosen norm, in input units.
        norm: ``"inf"`` or ``"2"`` (over the whole sequence of each example).
        targeted: make the model predict ``y``.
        clip_min, clip_max: valid input range (None = unbounded).
        mask: ``[B, T]``, 1 = real step, 0 = padding (never changed); None = all real.
        steps: gradient steps per restart (>= 1).
        step_size: size of each step (> 0); default ``2.5 * epsilon / steps`` (a common
            default; Madry et al. use fixed steps).
        random_start: start from a uniformly random point of the ball instead of ``x``.
        restarts: number of random restarts (>= 1; > 1 needs ``random_start``).
        loss: the objective: ``"ce"`` (cross-entropy), ``"margin"`` (the Carlini-Wagner
            margin ``max_{j != y} z_j - z_y``, which does not saturate; Carlini & Wagner 2017)
            or ``"dlr"`` (Croce & Hein 2020; needs >= 3 classes).
        seed: int, ``np.random.Generator``, or None (draw from NumPy's global state).
        batch_size: examples attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` (``queries`` is None: white-box).

    Chapter 2.1 (PGD) and Chapter 3.1 (PGD adversarial training).
    """
    x, y, mask, classes = _validate(model, x, y, epsilon, norm, clip_min, clip_max, mask,
                                    targeted, batch_size, progress)
    check_loss(loss, classes)
    check_number("steps", steps, low=1, integer=True)
    check_number("restarts", restarts, low=1, integer=True)
    if not isinstance(random_start, bool):
        raise TypeError(f"random_start must be True or False, got {random_start!r}")
    if restarts > 1 and not random_start:
        raise ValueError("restarts > 1 needs random_start=True (every restart would repeat "
                         "the same deterministic attack)")
    if step_size is None:
        step_size = 2.5 * epsilon / steps
    else:
        check_number("step_size", step_size, low=0, low_open=True)
    rng = make_rng(seed)
    grad_fn = loss_and_grad_fn(model, loss)
    x_adv = np.empty_like(x)
    pred_clean = np.empty(len(x), dtype=np.int64)
    for s in batches(len(x), batch_size, progress, "pgd"):
        pred_clean[s] = _predict(model, x[s], batch_size)
        x_adv[s] = _pgd_batch(model, grad_fn, x[s], y[s], mask[s], epsilon, steps, step_size,
                              norm, random_start, targeted, clip_min, clip_max, restarts, rng,
                              loss)
    pred_adv = _predict(model, x_adv, batch_size)
    return make_result("pgd", x, x_adv, y, pred_clean, pred_adv, norm=norm, epsilon=epsilon,
                       targeted=targeted)


def _pgd_batch(model, grad_fn, x, y, mask, epsilon, steps, step_size, norm, random_start,
               targeted, clip_min, clip_max, restarts, rng, loss) -> np.ndarray:
    """PGD on one batch; returns the best iterate per example over steps and restarts."""
    direction = -1.0 if targeted else 1.0
    best = BestIterate(x)
    y_t, mask_t = tf.constant(y), tf.constant(mask)
    ball = {"epsilon": epsilon, "norm": norm, "clip_min": clip_min, "clip_max": clip_max}
    for _ in range(restarts):
        start = (_steps.random_start(x, mask=mask, seed=stateless_seed(rng), epsilon=epsilon,
                                     norm=norm) if random_start else tf.zeros_like(x))
        x_adv = _steps.finish(x, delta=start, mask=mask, **ball)  # [b, T, D]
        for _ in range(steps):
            value, logits, grad = grad_fn(x_adv, y_t, mask_t)
            best.update(x_adv.numpy(), logits.numpy(), direction * value.numpy(), y, targeted)
            x_adv = _steps.pgd_step(x_adv, x=x, grad=direction * grad, mask=mask,
                                    step_size=step_size, **ball)
        logits = model(x_adv, training=False).numpy()
        x_adv = x_adv.numpy()
        best.update(x_adv, logits, direction * attack_loss_numpy(logits, y, loss), y, targeted)
    return best.x


def _validate(model, x, y, epsilon, norm, clip_min, clip_max, mask, targeted, batch_size,
              progress):
    check_number("epsilon", epsilon, low=0)
    check_norm(norm)
    check_batching(batch_size, progress)
    x, y, mask, classes = check_attack_inputs(model, x, y, targeted=targeted, mask=mask,
                                              clip_min=clip_min, clip_max=clip_max)
    return x, y, mask, classes


def _predict(model, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Predicted classes ``[B]`` (inference mode)."""
    return np.argmax(logits_of(model, x, batch_size), axis=1)
