"""Certified training with interval bounds (IBP) through ``AdversarialTrainer.fit``.

The loss of Gowal et al. 2018 mixes the clean cross-entropy with the cross-entropy of the
*worst-case logits* that IBP certifies over the box of radius ``epsilon``:
``kappa * CE(z(x), y) + (1 - kappa) * CE(z_worst, y)``, where ``z_worst_j`` is the upper bound
of ``logit_j - logit_y`` (and 0 for ``j = y``). Minimising it pushes the certified margins
up, so that after training IBP (and the tighter linear bounds) certify many more inputs. The
radius starts at 0 and grows linearly to ``epsilon`` over ``ramp_steps`` optimiser steps
after ``warmup_steps`` clean ones, while ``kappa`` moves from ``kappa_start`` to
``kappa_end``; without the ramp the bounds are so loose at first that training stalls.
CROWN-IBP (Zhang et al. 2020) replaces ``z_worst`` by a mix of IBP and linear bounds; Jia et al.
2019 train recurrent text models with IBP over word substitutions.

Use it like the adversarial-training methods::

    trainer = AdversarialTrainer(model, IBPTraining(0.1, ramp_steps=400, clip_min=0,
                                                     clip_max=1))
    trainer.compile(keras.optimizers.Adam(1e-3),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    trainer.fit(x, y, epochs=20)   # logs the clean loss and the IBP loss (ibp_loss)

Taught in Chapter 4.3.
"""

from __future__ import annotations

import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.adversarial._core import check_clip
from rnnsec.adversarial.methods import TrainingMethod
from rnnsec.certify.interval import interval_trace, margin_lower_ibp
from rnnsec.certify.network import read_network
from rnnsec.compat import compute_loss, per_example_loss

__all__ = ["IBPTraining"]


class IBPTraining(TrainingMethod):
    """Interval-bound certified training (Gowal et al. 2018) as a training method.

    Args:
        epsilon: final L-inf radius (>= 0) of the training box, in input units.
        warmup_steps: optimiser steps on the clean loss alone (>= 0).
        ramp_steps: steps over which the radius grows from 0 to ``epsilon`` and ``kappa``
            from ``kappa_start`` to ``kappa_end`` (>= 1).
        kappa_start, kappa_end: weight of the clean loss (in [0, 1]); Gowal et al. use 1 and
            0.5.
        clip_min, clip_max: valid input range (None = unbounded); the box is cut to it.

    Padding (from the model's ``Masking`` layer) is never perturbed. The model must be
    ``[Masking] -> SimpleRNN/GRU/LSTM -> Dense`` (see ``rnnsec.certify.read_network``).
    The logs add ``ibp_loss``, the cross-entropy of the worst-case logits at the current radius.
    Chapter 4.3.
    """

    extra_metric = "ibp_loss"

    def __init__(self, epsilon: float, *, warmup_steps: int = 0, ramp_steps: int = 1000,
                 kappa_start: float = 1.0, kappa_end: float = 0.5,
                 clip_min: float | None = None, clip_max: float | None = None):
        check_number("epsilon", epsilon, low=0)
        check_number("warmup_steps", warmup_steps, low=0, integer=True)
        check_number("ramp_steps", ramp_steps, low=1, integer=True)
        check_number("kappa_start", kappa_start, low=0, high=1)
        check_number("kappa_end", kappa_end, low=0, high=1)
        check_clip(clip_min, clip_max)
        self.epsilon, self.warmup_steps, self.ramp_steps = float(epsilon), warmup_steps, ramp_steps
        self.kappa_start, self.kappa_end = float(kappa_start), float(kappa_end)
        self.clip_min, self.clip_max = clip_min, clip_max
        self._net = None

    def bind(self, model) -> None:
        self._net = read_network(model)

    def schedule(self, step) -> tuple[tf.Tensor, tf.Tensor]:
        """``(epsilon, kappa)`` after ``step`` optimiser steps (float32 tensors)."""
        step = tf.cast(step, tf.float32)
        frac = tf.clip_by_value((step - self.warmup_steps) / self.ramp_steps, 0.0, 1.0)
        kappa = self.kappa_start + frac * (self.kappa_end - self.kappa_start)
        return frac * self.epsilon, kappa

    def _box(self, x, eps):
        net = self._net
        x = tf.cast(x, tf.float32)  # [B, T, D]
        if net.mask_value is None:
            mask = tf.ones(tf.shape(x)[:2], tf.bool)
        else:
            mask = tf.reduce_any(tf.not_equal(x, net.mask_value), axis=-1)  # [B, T]
        radius = eps * tf.cast(mask, tf.float32)[:, :, None]
        lower, upper = x - radius, x + radius
        if self.clip_min is not None:
            lower = tf.maximum(lower, self.clip_min)
        if self.clip_max is not None:
            upper = tf.minimum(upper, self.clip_max)
        if net.go_backwards:
            lower, upper, mask = (tf.reverse(v, [1]) for v in (lower, upper, mask))
        return lower, upper, mask

    def robust_loss(self, x, y, eps, sample_weight=None) -> tf.Tensor:
        """Cross-entropy of IBP's worst-case logits over the box of radius ``eps``."""
        net = self._net
        weights = net.tensors(tf.float32)
        h_lo, h_hi, _ = interval_trace(weights, net.cell, *self._box(x, eps),
                                       reset_after=net.reset_after)
        worst = -margin_lower_ibp(weights, h_lo, h_hi, y)  # [B, C], 0 at y
        losses = per_example_loss()(y, worst)  # [B]
        if sample_weight is None:
            return tf.reduce_mean(losses)
        sw = tf.cast(tf.reshape(sample_weight, [-1]), losses.dtype)
        return tf.reduce_sum(losses * sw) / tf.maximum(tf.reduce_sum(sw), 1e-12)

    def train_step(self, trainer, x, y, sample_weight) -> dict:
        model = trainer.base_model
        labels = tf.cast(tf.reshape(y, [-1]), tf.int32)
        eps, kappa = self.schedule(trainer.optimizer.iterations)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)  # [B, C]
            loss = compute_loss(trainer, x, y, y_pred, sample_weight)
            robust = self.robust_loss(x, labels, eps, sample_weight)
            total = kappa * loss + (1.0 - kappa) * robust
        trainer.apply_loss(tape, total)
        return trainer.logs(x, y, y_pred, sample_weight, loss, extra=robust)
