"""The PGD step, once: steepest direction, projection, range clipping, random start (TF ops).

Every gradient attack and every adversarial-training method of ``rnnsec.adversarial`` moves
its perturbation with these functions, so the attack that measures robustness (``pgd``,
``fgsm``, ``embedding_pgd``) and the inner maximisation that training uses (``PGD``,
``FGSMRS``, ``TRADES``, ``Free``) take exactly the same step. They are plain TensorFlow ops:
they run eagerly on NumPy arrays (the attacks) and inside a traced ``train_step`` (training).

Conventions: inputs are sequences ``[B, T, D]``; ``mask`` is ``[B, T]`` with 1 for a real step
and 0 for padding; every norm is taken per example over all its steps and features; padded
steps are never perturbed. After the first argument, tensors are passed by keyword, so that
``x`` and ``x_adv`` cannot be swapped silently. Internal to the package: used by
:func:`~rnnsec.adversarial.fgsm`, :func:`~rnnsec.adversarial.pgd`,
:func:`~rnnsec.adversarial.embedding_pgd`, :func:`~rnnsec.adversarial.simba` and the training
methods (:class:`~rnnsec.adversarial.PGD`, :class:`~rnnsec.adversarial.FGSMRS`,
:class:`~rnnsec.adversarial.TRADES`, :class:`~rnnsec.adversarial.Free`).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec.adversarial._losses import attack_loss

__all__ = ["steepest_direction", "project", "clip_to_range", "finish", "pgd_step",
           "random_start", "step_mask", "loss_and_gradient", "make_generator"]


def _per_example_l2(t: tf.Tensor) -> tf.Tensor:
    """L2 norm of each example over all its other axes, kept for broadcasting: ``[B, 1, 1]``."""
    axes = tf.range(1, tf.rank(t))
    return tf.sqrt(tf.reduce_sum(tf.square(t), axis=axes, keepdims=True))


def steepest_direction(grad, norm: str) -> tf.Tensor:
    """Unit steepest-ascent direction of ``grad`` in the given norm, per example.

    Args:
        grad: loss gradients ``[B, T, D]``.
        norm: ``"inf"`` (``sign(grad)``) or ``"2"`` (``grad / ||grad||_2`` over the whole
            sequence; zero where the gradient is zero).

    Returns:
        ``[B, T, D]``, a direction of norm 1 (or 0) in ``norm``.

    Goodfellow et al. 2015 (sign); Madry et al. 2018 (L2). Used by :func:`pgd_step`.
    """
    grad = tf.convert_to_tensor(grad, tf.float32)
    if norm == "inf":
        return tf.sign(grad)
    return tf.math.divide_no_nan(grad, _per_example_l2(grad))


def project(delta, epsilon: float, norm: str) -> tf.Tensor:
    """Project each example's perturbation ``[B, T, D]`` onto the ``epsilon`` ball of ``norm``.

    Returns:
        ``[B, T, D]``: clipped coordinate-wise (L-inf) or scaled down to norm ``epsilon`` (L2).

    Used by :func:`finish` and by :func:`~rnnsec.adversarial.simba`.
    """
    delta = tf.convert_to_tensor(delta, tf.float32)
    if norm == "inf":
        return tf.clip_by_value(delta, -epsilon, epsilon)
    return delta * tf.minimum(1.0, epsilon / tf.maximum(_per_example_l2(delta), 1e-30))


def clip_to_range(x_adv, *, clip_min: float | None, clip_max: float | None) -> tf.Tensor:
    """Clip to the valid input range ``[clip_min, clip_max]`` (None = unbounded on that side)."""
    x_adv = tf.convert_to_tensor(x_adv, tf.float32)
    if clip_min is not None:
        x_adv = tf.maximum(x_adv, clip_min)
    if clip_max is not None:
        x_adv = tf.minimum(x_adv, clip_max)
    return x_adv


def finish(x, *, delta, mask, epsilon: float, norm: str, clip_min: float | None = None,
           clip_max: float | None = None) -> tf.Tensor:
    """``x + delta`` with delta masked, projected into the ball and clipped to the range.

    Clipping to the range after projecting keeps the ball: each coordinate only moves back
    towards the clean value, so no norm grows. Padded steps are copied from ``x`` exactly.

    Args:
        x: clean inputs ``[B, T, D]``.
        delta: the proposed perturbation ``[B, T, D]``.
        mask: ``[B, T]``, 1 = real step, 0 = padding.
        epsilon, norm: the ball.
        clip_min, clip_max: valid input range (None = unbounded).

    Returns:
        The adversarial inputs ``[B, T, D]``, float32, never differentiated through.

    Used by :func:`pgd_step` and for the random start of :func:`~rnnsec.adversarial.pgd`.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    real = tf.convert_to_tensor(mask, tf.float32)[:, :, None]  # [B, T, 1]
    delta = project(tf.convert_to_tensor(delta, tf.float32) * real, epsilon, norm)
    x_adv = clip_to_range(x + delta, clip_min=clip_min, clip_max=clip_max)
    return tf.stop_gradient(tf.where(real > 0, x_adv, x))


def pgd_step(x_adv, *, x, grad, mask, step_size: float, epsilon: float, norm: str,
             clip_min: float | None = None, clip_max: float | None = None) -> tf.Tensor:
    """One projected gradient step: ``finish(x, x_adv - x + step_size * direction(grad))``.

    The direction is that of the gradient restricted to the real steps.

    With ``x_adv = x`` and ``step_size = epsilon`` it is FGSM (FGM for L2). A targeted attack
    passes the negated gradient.

    Args:
        x_adv: the current iterate ``[B, T, D]`` (inside the ball).
        x: clean inputs ``[B, T, D]``, the centre of the ball.
        grad: the loss gradient at ``x_adv`` ``[B, T, D]``.
        mask: ``[B, T]``, 1 = real step.
        step_size: step length (> 0) in ``norm``.
        epsilon, norm, clip_min, clip_max: as :func:`finish`.

    Returns:
        The next iterate ``[B, T, D]``.

    Madry et al. 2018; Kurakin et al. 2017. Used by :func:`~rnnsec.adversarial.fgsm`,
    :func:`~rnnsec.adversarial.pgd` and :class:`~rnnsec.adversarial.PGD`.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    real = tf.convert_to_tensor(mask, tf.float32)[:, :, None]  # [B, T, 1]
    # The direction is taken over the real coordinates only (padding's gradient is ignored).
    direction = steepest_direction(tf.convert_to_tensor(grad, tf.float32) * real, norm)
    delta = tf.convert_to_tensor(x_adv, tf.float32) - x + step_size * direction
    return finish(x, delta=delta, mask=mask, epsilon=epsilon, norm=norm, clip_min=clip_min,
                  clip_max=clip_max)


def random_start(x, *, mask, seed, epsilon: float, norm: str) -> tf.Tensor:
    """A perturbation drawn uniformly from the ``epsilon`` ball over the real coordinates.

    L-inf: every real coordinate uniform in ``[-epsilon, epsilon]``. L2: a Gaussian direction
    over the ``d`` real coordinates of the example, normalised, at radius
    ``epsilon * U^(1/d)`` with ``U ~ Uniform(0, 1)``: the volume of a d-ball of radius r grows
    as r^d, so this radius makes the point uniform in the ball (a radius ``epsilon * U`` would
    crowd the points near the centre). Padded steps get 0.

    Args:
        x: the clean inputs ``[B, T, D]`` (only their shape is used).
        mask: ``[B, T]``, 1 = real step, 0 = padding.
        seed: shape-[2] integer tensor or pair for TensorFlow's stateless random ops; the
            same seed gives the same start.
        epsilon: ball radius (>= 0).
        norm: ``"inf"`` or ``"2"``.

    Returns:
        ``[B, T, D]`` float32 perturbation (not yet added to ``x``).

    Madry et al. 2018 (random start). Used by :func:`~rnnsec.adversarial.pgd`,
    :func:`~rnnsec.adversarial.embedding_pgd` and :class:`~rnnsec.adversarial.PGD`.
    """
    shape = tf.shape(x)
    real = tf.convert_to_tensor(mask, tf.float32)[:, :, None]  # [B, T, 1]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)  # [2, 2]
    if norm == "inf":
        return tf.random.stateless_uniform(shape, seeds[0], -epsilon, epsilon) * real
    direction = steepest_direction(tf.random.stateless_normal(shape, seeds[0]) * real, "2")
    dims = tf.reduce_sum(real, axis=[1, 2]) * tf.cast(shape[2], tf.float32)  # [B] real coords
    u = tf.random.stateless_uniform(shape[:1], seeds[1])  # [B]
    radius = epsilon * tf.pow(u, 1.0 / tf.maximum(dims, 1.0))  # [B]
    return direction * radius[:, None, None]


def step_mask(x, mask_value: float | None) -> tf.Tensor:
    """``[B, T]`` float mask of real steps: steps whose features all equal ``mask_value`` are
    padding (as in ``keras.layers.Masking``); None means every step is real."""
    x = tf.convert_to_tensor(x, tf.float32)
    if mask_value is None:
        return tf.ones_like(x[:, :, 0])
    return tf.cast(tf.reduce_any(tf.not_equal(x, mask_value), axis=-1), tf.float32)


def loss_and_gradient(model, x, *, y, mask, loss: str = "ce"):
    """Per-example attack loss, logits and masked input gradient, in inference mode.

    Args:
        model: maps ``[B, T, D]`` to logits ``[B, C]``; called with ``training=False`` so
            that each example's gradient depends only on itself and the weights.
        x: inputs ``[B, T, D]`` at which to differentiate.
        y: integer labels ``[B]``.
        mask: ``[B, T]``, 1 = real step.
        loss: ``"ce"`` (cross-entropy), ``"margin"`` (CW margin) or ``"dlr"`` (Croce & Hein's
            difference of logits ratio); see ``_losses``.

    Returns:
        ``(loss [B], logits [B, C], grad [B, T, D])``; padded steps get zero gradient.

    Used by :func:`~rnnsec.adversarial.pgd` and :func:`~rnnsec.adversarial.apgd` (compiled)
    and :class:`~rnnsec.adversarial.PGD`.
    """
    x = tf.convert_to_tensor(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=False)  # [B, C]
        value = attack_loss(logits, y, loss)  # [B]
    # [B, T, D]: each example's own loss gradient (zeros if the input is disconnected)
    grad = tape.gradient(value, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return value, logits, grad * tf.convert_to_tensor(mask, tf.float32)[:, :, None]


def make_generator(seed: int | None) -> tf.random.Generator:
    """A ``tf.random.Generator`` for a training method's random starts.

    ``seed=None`` draws the seed from NumPy's global generator, so runs after
    ``rnnsec.set_seed`` repeat without this function reseeding anything.
    """
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    return tf.random.Generator.from_seed(seed)
