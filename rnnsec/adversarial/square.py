"""Square Attack (Andriushchenko et al. 2020): a gradient-free, score-based L-inf attack.

Each query changes one random square window of the input (time steps x features) to a random
corner of the epsilon ball and keeps the change if the margin of the true class,
``z_y - max_{j != y} z_j``, falls. The window's share of the input shrinks on the paper's
schedule. It needs no gradients, so it is not fooled by masked or obfuscated gradients, and
unlike SimBA in the coordinate basis it does not run out of directions on small inputs: it is
the gradient-free member of AutoAttack (Croce & Hein 2020) and the book's check that white-box
robust accuracies are not an artefact of the gradients.

Taught in Chapter 3.1 (evaluating the defences adaptively).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.adversarial._core import (
    batches,
    check_attack_inputs,
    check_batching,
    make_rng,
)
from rnnsec.adversarial.blackbox import QueryBudgetExceeded
from rnnsec.adversarial.results import AttackResult, make_result

__all__ = ["square_attack", "square_share"]

# Fractions of the query budget after which the window's share of the input halves (the
# paper's schedule for 10,000 queries, at 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000).
_HALVINGS = (0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8)


def square_share(query: int, max_queries: int, p_init: float) -> float:
    """The share of the input a window covers at ``query`` (1-based) of ``max_queries``."""
    return p_init / 2 ** sum(query > max_queries * f for f in _HALVINGS)


def _compiled_logits(model):
    """``x [B, T, D] -> logits [B, C]`` of ``model`` in inference mode, as a NumPy function.

    Compiled once per attack (``reduce_retracing``: the shrinking set of examples still to
    break does not retrace it); a query is a single small call, about five times cheaper
    compiled than eager on the book's models.
    """
    fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return lambda x: fn(tf.convert_to_tensor(np.asarray(x, dtype=np.float32))).numpy()


def _margins(logits, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``z_y - max_{j != y} z_j`` per example (> 0: still classified correctly)."""
    z = logits(x).astype(np.float64)  # [B, C]
    rows = np.arange(len(y))
    true = z[rows, y].copy()
    z[rows, y] = -np.inf
    return true - z.max(axis=1)


def square_attack(model, x, y, epsilon: float, *, max_queries: int = 1000, p_init: float = 0.3,
                  clip_min: float | None = None, clip_max: float | None = None, mask=None,
                  seed=None, batch_size: int = 1024, progress: bool = False) -> AttackResult:
    """Untargeted L-inf Square Attack (Andriushchenko et al. 2020, Algorithm 1).

    The first query adds vertical stripes (``+-epsilon``, one sign per feature, the same at
    every time step); each later query redraws one ``h x h`` window (``h`` = the square root
    of the window's share of ``T * D``, rounded) as a random corner of the ball around ``x``
    and keeps it if the margin falls. An example stops at success or when its budget is spent.
    Padded steps are never changed. One query = one model evaluation of one sequence.

    Args:
        model: Keras model ``[B, T, D] -> logits`` (only its outputs are used).
        x: clean inputs ``[B, T, D]``.
        y: true integer labels ``[B]``.
        epsilon: L-inf radius (>= 0).
        max_queries: query budget per example (>= 1).
        p_init: the first window's share of the input, in (0, 1].
        clip_min, clip_max: valid input range (None = unbounded).
        mask: ``[B, T]``, 1 = real step, 0 = padding; None = all real.
        seed: int, ``np.random.Generator`` or None (NumPy's global state).
        batch_size: examples attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` whose ``queries`` holds, per example, the queries used: up to and
        including the one that succeeded, or ``max_queries``. The accuracy after ``q``
        queries is ``mean(~(success & (queries <= q)))``.

    Chapter 3.1.
    """
    check_number("epsilon", epsilon, low=0)
    check_number("max_queries", max_queries, low=1, integer=True)
    check_number("p_init", p_init, low=0, high=1, low_open=True)
    check_batching(batch_size, progress)
    x, y, mask, _ = check_attack_inputs(model, x, y, targeted=False, mask=mask,
                                        clip_min=clip_min, clip_max=clip_max)
    rng = make_rng(seed)
    logits = _compiled_logits(model)
    x_adv = x.copy()
    queries = np.zeros(len(x), dtype=np.int64)
    pred_clean = np.argmax(logits(x), axis=1)
    for s in batches(len(x), batch_size, progress, "square"):
        x_adv[s], queries[s] = _square_batch(logits, x[s], y[s], mask[s], float(epsilon),
                                             int(max_queries), float(p_init), clip_min,
                                             clip_max, rng)
    pred_adv = np.argmax(logits(x_adv), axis=1)
    return make_result("square", x, x_adv, y, pred_clean, pred_adv, norm="inf",
                       epsilon=epsilon, targeted=False, queries=queries)


def _corner(x, signs, epsilon, real, clip_min, clip_max) -> np.ndarray:
    """``x + epsilon * signs`` on real steps, clipped to the valid range; padding stays ``x``."""
    out = x + epsilon * signs * real
    if clip_min is not None or clip_max is not None:
        out = np.clip(out, clip_min, clip_max)
    return out.astype(np.float32)


def _square_batch(logits, x, y, mask, epsilon, max_queries, p_init, clip_min, clip_max, rng):
    """The attack on one batch (``logits``: the model as a NumPy function); returns
    ``(x_adv, queries)``."""
    b, steps, feats = x.shape
    real = mask[:, :, None].astype(np.float32)  # [b, T, 1]
    stripes = rng.choice([-1.0, 1.0], size=(b, 1, feats))
    x_adv = _corner(x, stripes, epsilon, real, clip_min, clip_max)
    margin = _margins(logits, x_adv, y)
    queries = np.ones(b, dtype=np.int64)
    t_idx, d_idx = np.arange(steps)[None, :, None], np.arange(feats)[None, None, :]
    for query in range(2, max_queries + 1):
        active = np.flatnonzero(margin > 0)
        if active.size == 0:
            break
        share = square_share(query, max_queries, p_init)
        h = int(np.clip(round(np.sqrt(share * steps * feats)), 1, min(steps, feats)))
        t0 = rng.integers(0, steps - h + 1, size=(active.size, 1, 1))
        d0 = rng.integers(0, feats - h + 1, size=(active.size, 1, 1))
        window = (t_idx >= t0) & (t_idx < t0 + h) & (d_idx >= d0) & (d_idx < d0 + h)
        signs = rng.choice([-1.0, 1.0], size=(active.size, 1, feats))
        corner = _corner(x[active], signs, epsilon, real[active], clip_min, clip_max)
        candidate = np.where(window, corner, x_adv[active])
        new = _margins(logits, candidate, y[active])
        queries[active] += 1
        if np.any(queries > max_queries):
            raise QueryBudgetExceeded(f"query budget of {max_queries} per example exceeded")
        better = new < margin[active]
        x_adv[active[better]] = candidate[better]
        margin[active[better]] = new[better]
    return x_adv, queries
