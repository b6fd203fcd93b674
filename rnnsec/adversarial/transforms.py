"""Input transforms: the inner maximisation of adversarial training, one example at a time.

An input transform maps ``(model, x, y)`` to adversarial inputs ``x_adv`` of the same shape.
Each example's perturbation depends only on that example and the current weights: the model
runs in inference mode and ``x_adv`` is never differentiated through (``stop_gradient``).
That is what lets a transform sit in front of any training step:

- ``AdversarialTrainer(model, PGD(0.1))``: ordinary adversarial training (Madry et al. 2018);
- ``make_private(model, l2_norm_clip=1.0, noise_multiplier=1.1, adversary=PGD(0.1))``: DP-SGD
  on adversarial inputs, with the accountant's guarantee intact (Chapter 2.3, theorem "PGD
  inside DP-SGD").

The steps are ``rnnsec.adversarial._steps``, the same as the attack ``pgd`` takes.
Taught in Chapter 3.1 (Adversarial training of RNNs).
"""

from __future__ import annotations

import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.adversarial import _steps
from rnnsec.adversarial.methods import TrainingMethod, _Ball, check_step_size
from rnnsec.compat import compute_loss

__all__ = ["InputTransform", "PGD", "FGSMRS"]


class InputTransform(TrainingMethod, _Ball):
    """Base class of per-example input transforms ``(model, x, y) -> x_adv``.

    Subclasses implement ``perturb(model, x, y, mask, start)``. As a training method its step
    is "transform, then one ordinary optimiser step on ``x_adv``"; ``loss`` and the metrics
    are logged on ``x_adv``.

    Args:
        epsilon: ball radius (>= 0) in ``norm``, in input units.
        norm: ``"inf"`` or ``"2"`` (over the whole sequence of each example).
        random_start: start from a point drawn uniformly from the ball (True) or from ``x``.
        clip_min, clip_max: valid input range (None = unbounded).
        mask_value: the value whose all-equal steps are padding (as in
            ``keras.layers.Masking``); those steps are never perturbed. None: all steps real.
        seed: seed of the random starts (None: drawn from NumPy's global state, so
            ``rnnsec.set_seed`` makes runs repeat).

    Chapter 3.1.
    """

    def __init__(self, epsilon, norm, random_start, clip_min, clip_max, mask_value, seed):
        _Ball.__init__(self, epsilon, norm, clip_min, clip_max, mask_value)
        if not isinstance(random_start, bool):
            raise TypeError(f"random_start must be True or False, got {random_start!r}")
        self.random_start = random_start
        self._rng = _steps.make_generator(seed)

    def __call__(self, model, x, y) -> tf.Tensor:
        """Adversarial inputs ``[B, T, D]`` for ``x [B, T, D]``, labels ``y [B]``."""
        x = tf.convert_to_tensor(x, tf.float32)
        if x.shape.rank != 3:
            raise ValueError(f"x must be sequences [batch, steps, features] (3 dimensions), got "
                             f"shape {tuple(x.shape)}; for token ids use EmbeddingAT")
        mask = _steps.step_mask(x, self.mask_value)  # [B, T]
        start = self.start(x, mask)
        return tf.stop_gradient(self.perturb(model, x, y, mask, start))

    def start(self, x, mask) -> tf.Tensor:
        """The first iterate: uniform in the ball (``random_start``) or ``x`` itself."""
        if not self.random_start:
            return x
        seed = self._rng.make_seeds(1)[:, 0]  # [2]
        delta = _steps.random_start(x, mask=mask, seed=seed, epsilon=self.epsilon,
                                    norm=self.norm)
        return _steps.finish(x, delta=delta, mask=mask, **self.ball())

    def perturb(self, model, x, y, mask, start) -> tf.Tensor:
        """The inner maximisation from ``start``; returns ``x_adv``."""
        raise NotImplementedError(f"{type(self).__name__} must define perturb (the inner "
                                  "maximisation of an InputTransform)")

    def ascend(self, model, x, x_adv, y, mask, step_size: float) -> tf.Tensor:
        """One PGD step on the cross-entropy at ``x_adv`` (inference mode)."""
        grad = _steps.loss_and_gradient(model, x_adv, y=y, mask=mask)[2]  # [B, T, D]
        return _steps.pgd_step(x_adv, x=x, grad=grad, mask=mask, step_size=step_size,
                               **self.ball())

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        model = trainer.base_model
        x_adv = self(model, x, y)
        with tf.GradientTape() as tape:
            y_pred = model(x_adv, training=True)  # [B, C]
            loss = compute_loss(trainer, x_adv, y, y_pred, sample_weight)
        trainer.apply_loss(tape, loss)
        return trainer.logs(x_adv, y, y_pred, sample_weight, loss)


class PGD(InputTransform):
    """PGD-k inputs: ``steps`` projected steps up the cross-entropy, by default from a random
    start uniform in the ball.

    Args:
        epsilon: ball radius (>= 0) in ``norm``, in input units.
        steps: gradient steps (>= 1).
        norm: ``"inf"`` or ``"2"``.
        step_size: step (> 0); default ``2.5 * epsilon / steps`` (a common default; Madry et
            al. use fixed steps).
        random_start, clip_min, clip_max, mask_value, seed: as :class:`InputTransform`.

    Returns (when called as ``PGD(...)(model, x, y)``):
        ``x_adv [B, T, D]``, inside the ball and the range, padded steps unchanged.

    Madry et al. 2018. Chapter 3.1 (PGD adversarial training); Chapter 2.3 (inside DP-SGD).
    """

    def __init__(self, epsilon: float, *, steps: int = 7, norm: str = "inf",
                 step_size: float | None = None, random_start: bool = True,
                 clip_min: float | None = None, clip_max: float | None = None,
                 mask_value: float | None = None, seed: int | None = None):
        super().__init__(epsilon, norm, random_start, clip_min, clip_max, mask_value, seed)
        check_number("steps", steps, low=1, integer=True)
        self.steps = steps
        self.step_size = check_step_size(step_size, 2.5 * self.epsilon / steps)

    def perturb(self, model, x, y, mask, start):
        x_adv = start
        for _ in range(self.steps):
            x_adv = self.ascend(model, x, x_adv, y, mask, self.step_size)
        return x_adv


class FGSMRS(InputTransform):
    """FGSM from a random start: one step of ``1.25 epsilon`` from a uniform point of the ball.

    With ``random_start=False`` it is plain FGSM training (Goodfellow et al. 2015), the
    setting in which Wong et al. saw catastrophic overfitting; pair either with
    ``CatastrophicOverfittingMonitor``.

    Args:
        epsilon: ball radius (>= 0) in ``norm``.
        norm: ``"inf"`` or ``"2"``.
        step_size: step (> 0); default ``1.25 * epsilon`` (Wong et al.).
        random_start, clip_min, clip_max, mask_value, seed: as :class:`InputTransform`.

    Wong, Rice, Kolter 2020. Chapter 3.1.
    """

    def __init__(self, epsilon: float, *, norm: str = "inf", step_size: float | None = None,
                 random_start: bool = True, clip_min: float | None = None,
                 clip_max: float | None = None, mask_value: float | None = None,
                 seed: int | None = None):
        super().__init__(epsilon, norm, random_start, clip_min, clip_max, mask_value, seed)
        self.step_size = check_step_size(step_size, 1.25 * self.epsilon)

    def perturb(self, model, x, y, mask, start):
        return self.ascend(model, x, start, y, mask, self.step_size)
