"""APGD (auto-PGD): PGD that chooses its own step size, the core of AutoAttack.

PGD's strength depends on a step size and a number of steps that the evaluator picks, and a
poor pick makes a model look more robust than it is. APGD (Croce & Hein 2020, "Reliable
evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks")
removes the choice:

- it starts with a large step, ``eta = 2 * epsilon``, and adds momentum (0.75) to each step;
- at checkpoints ``w_j = ceil(p_j * steps)``, with ``p_0 = 0``, ``p_1 = 0.22`` and
  ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)``, it looks back over the last period:
  when the loss rose on fewer than ``rho = 0.75`` of its steps, or when the step was not
  halved last time and the best loss has not improved since, it halves the step and restarts
  from the best point found so far.

It explores with large steps first and refines later, per example. It runs on the
cross-entropy (APGD-CE) or on the difference-of-logits-ratio loss (APGD-DLR, needs >= 3
classes), which is invariant to rescaling the logits. The moves are the same PGD step as
:func:`~rnnsec.adversarial.pgd` (``_steps``: steepest direction, projection into the ball,
clipping to the valid range, padded steps never changed).
"""

from __future__ import annotations

import math

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
from rnnsec.adversarial._losses import check_loss
from rnnsec.adversarial.results import AttackResult, make_result

__all__ = ["apgd", "apgd_checkpoints"]

MOMENTUM = 0.75  # alpha in Croce & Hein 2020, Algorithm 1
RHO = 0.75  # the share of increasing steps below which a period counts as stalled
INITIAL_STEP = 2.0  # eta^(0) = 2 * epsilon (L-inf and L2)


def apgd_checkpoints(steps: int) -> tuple[int, ...]:
    """The iterations ``w_0 = 0 < w_1 < ... <= steps`` at which APGD may halve its step.

    ``w_j = ceil(p_j * steps)`` with ``p_0 = 0``, ``p_1 = 0.22`` and
    ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` while ``p_j <= 1``: long periods
    first (explore), then shorter ones, never under 6% of the budget.

    Args:
        steps: the number of APGD steps (>= 1).

    Returns:
        The distinct checkpoints in increasing order, starting with 0 (for 100 steps:
        0, 22, 41, 57, 70, 80, 87, 93, 99).

    Croce & Hein 2020, Section 3.
    """
    check_number("steps", steps, low=1, integer=True)
    p = [0.0, 0.22]
    while p[-1] + max(p[-1] - p[-2] - 0.03, 0.06) <= 1.0:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    # round first: 0.22 * 50 is 11.000000000000002 in floating point, and its ceil is 11
    return tuple(sorted({min(steps, math.ceil(round(pj * steps, 9))) for pj in p}))


def apgd(model, x, y, epsilon: float, *, norm: str = "inf", loss: str = "ce",
         steps: int = 100, restarts: int = 1, clip_min: float | None = None,
         clip_max: float | None = None, mask=None, seed=None, batch_size: int = 256,
         progress: bool = True) -> AttackResult:
    """Untargeted APGD with the cross-entropy or the DLR loss, L-inf or L2.

    Each restart starts from a point drawn uniformly from the ``epsilon`` ball, takes
    ``steps`` momentum steps whose size APGD adapts per example (see the module docstring),
    and keeps, per example, the first iterate that is misclassified, otherwise the one with the
    highest loss. Over restarts the same rule applies, so more steps or restarts never make it
    weaker.

    Args:
        model: a Keras model mapping ``[B, T, D]`` to logits ``[B, C]``.
        x: clean inputs ``[B, T, D]``.
        y: true integer labels ``[B]``.
        epsilon: ball radius (>= 0) in the chosen norm, in input units.
        norm: ``"inf"`` or ``"2"`` (over the whole sequence of each example).
        loss: ``"ce"`` (APGD-CE), ``"dlr"`` (APGD-DLR; needs a model with >= 3 classes) or
            ``"margin"`` (the Carlini-Wagner margin).
        steps: steps per restart (>= 1); the paper uses 100.
        restarts: random restarts (>= 1).
        clip_min, clip_max: valid input range (None = unbounded); ``x`` must lie inside it.
        mask: ``[B, T]``, 1 = real step, 0 = padding (never changed); None = all real.
        seed: int, ``np.random.Generator``, or None (draw from NumPy's global state).
        batch_size: examples attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` named ``"apgd-ce"``, ``"apgd-dlr"`` or ``"apgd-margin"``.

    Croce & Hein 2020 (Algorithm 1); the moves are Madry et al.'s PGD step.
    """
    check_number("epsilon", epsilon, low=0)
    check_norm(norm)
    check_batching(batch_size, progress)
    x, y, mask, classes = check_attack_inputs(model, x, y, targeted=False, mask=mask,
                                              clip_min=clip_min, clip_max=clip_max)
    check_loss(loss, classes)
    check_number("steps", steps, low=1, integer=True)
    check_number("restarts", restarts, low=1, integer=True)
    rng = make_rng(seed)
    grad_fn = loss_and_grad_fn(model, loss)
    ball = {"epsilon": float(epsilon), "norm": norm, "clip_min": clip_min,
            "clip_max": clip_max}
    x_adv = np.empty_like(x)
    for s in batches(len(x), batch_size, progress, f"apgd-{loss}"):
        best = BestIterate(x[s])
        for _ in range(restarts):
            start = _steps.random_start(x[s], mask=mask[s], seed=stateless_seed(rng),
                                        epsilon=epsilon, norm=norm)  # [b, T, D]
            _apgd_run(grad_fn, x[s], y[s], mask[s], start, steps, ball, best)
        x_adv[s] = best.x
    pred_clean = np.argmax(logits_of(model, x, batch_size), axis=1)
    pred_adv = np.argmax(logits_of(model, x_adv, batch_size), axis=1)
    return make_result(f"apgd-{loss}", x, x_adv, y, pred_clean, pred_adv, norm=norm,
                       epsilon=epsilon, targeted=False)


class _Checkpoint:
    """The state APGD compares at each checkpoint, per example ``[b]``."""

    def __init__(self, size: int, epsilon: float, f_start: np.ndarray):
        self.eta = np.full(size, INITIAL_STEP * epsilon, dtype=np.float32)  # step sizes
        self.increases = np.zeros(size)  # steps since the last checkpoint where f rose
        self.f_max_last = f_start.copy()  # best loss at the last checkpoint
        self.reduced_last = np.zeros(size, dtype=bool)  # step halved at the last checkpoint
        self.last = 0  # the last checkpoint's iteration

    def halve(self, w: int, f_max: np.ndarray) -> np.ndarray:
        """At checkpoint ``w``: which examples halve their step (and go back to their best)."""
        stalled = self.increases < RHO * (w - self.last)  # condition 1
        no_progress = ~self.reduced_last & (f_max <= self.f_max_last)  # condition 2
        halve = stalled | no_progress
        self.eta[halve] /= 2.0
        self.reduced_last, self.f_max_last = halve, f_max.copy()
        self.increases[:], self.last = 0.0, w
        return halve


def _apgd_run(grad_fn, x, y, mask, start, steps: int, ball: dict, best: BestIterate) -> None:
    """One APGD run from ``x + start`` on one batch; updates ``best`` after every step."""
    y_t, mask_t = tf.constant(y), tf.constant(mask)

    def evaluate(x_at):  # loss [b], logits [b, C], grad [b, T, D] as NumPy
        loss, logits, grad = grad_fn(tf.constant(x_at), y_t, mask_t)
        best.update(x_at, logits.numpy(), loss.numpy(), y)
        return loss.numpy(), grad.numpy()

    x_cur = np.array(_steps.finish(x, delta=start, mask=mask, **ball))  # [b, T, D]
    f_cur, grad = evaluate(x_cur)
    x_max, grad_max, f_max = x_cur.copy(), grad.copy(), f_cur.copy()
    x_prev, state = x_cur, _Checkpoint(len(x), ball["epsilon"], f_cur)
    checkpoints = set(apgd_checkpoints(steps)[1:])
    for k in range(steps):
        eta = tf.constant(state.eta[:, None, None])  # [b, 1, 1], one step size per example
        z = _steps.pgd_step(x_cur, x=x, grad=grad, mask=mask, step_size=eta,
                            **ball).numpy()  # [b, T, D]
        a = MOMENTUM if k > 0 else 1.0  # the first step has no previous step to follow
        proposal = x_cur + a * (z - x_cur) + (1.0 - a) * (x_cur - x_prev)
        x_prev = x_cur
        x_cur = np.array(_steps.finish(x, delta=proposal - x, mask=mask, **ball))
        f_new, grad = evaluate(x_cur)
        state.increases += f_new > f_cur
        f_cur = f_new
        better = f_cur > f_max
        x_max[better], grad_max[better], f_max[better] = x_cur[better], grad[better], f_cur[
            better]
        if k + 1 in checkpoints:
            back = state.halve(k + 1, f_max)  # restart these from their best point
            x_cur[back], grad[back], f_cur[back] = x_max[back], grad_max[back], f_max[back]
