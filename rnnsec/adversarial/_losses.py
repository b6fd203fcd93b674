"""The objectives a gradient attack climbs: cross-entropy, the CW margin and the DLR loss (TF).

Each maps logits ``[B, C]`` and integer labels ``[B]`` to a per-example loss ``[B]`` that the
attacker increases; an example is misclassified once its margin loss is above 0.

- ``"ce"``: cross-entropy ``-log softmax(z)_y`` (Madry et al. 2018). It saturates: once the
  true class's probability is near 0 or 1 its gradient vanishes, which can hide a weak spot.
- ``"margin"``: the Carlini-Wagner margin ``max_{j != y} z_j - z_y`` (Carlini & Wagner 2017),
  which does not saturate and is positive exactly when the example is misclassified.
- ``"dlr"``: the difference of logits ratio ``-(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3)``,
  with ``z_pi1 >= z_pi2 >= z_pi3`` the three largest logits (Croce & Hein 2020). Dividing by a
  difference of logits makes it invariant to shifting and rescaling the logits, so a model
  cannot hide behind large or tiny logits; it needs at least 3 classes.

Internal to ``rnnsec.adversarial``; used by :func:`~rnnsec.adversarial.pgd` and
:func:`~rnnsec.adversarial.apgd` through ``_steps.loss_and_gradient``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec._validate import check_choice
from rnnsec.compat import keras

__all__ = ["LOSSES", "check_loss", "attack_loss", "attack_loss_numpy"]

LOSSES = ("ce", "margin", "dlr")


def check_loss(loss: str, num_classes: int | None = None) -> str:
    """Return ``loss`` if it names an attack loss; DLR also needs ``num_classes >= 3``."""
    check_choice("loss", loss, LOSSES)
    if loss == "dlr" and num_classes is not None and num_classes < 3:
        raise ValueError(f"loss='dlr' needs a model with at least 3 classes (it divides by "
                         f"the gap between the largest and the third-largest logit), got "
                         f"{num_classes} classes; use loss='margin' instead")
    return loss


def _margin(logits: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """``max_{j != y} z_j - z_y`` per example ``[B]``."""
    y = tf.cast(y, tf.int32)
    true = tf.gather(logits, y, axis=1, batch_dims=1)  # [B]
    others = tf.where(tf.one_hot(y, tf.shape(logits)[1]) > 0, -np.inf, logits)  # [B, C]
    return tf.reduce_max(others, axis=1) - true


def attack_loss(logits, y, loss: str = "ce") -> tf.Tensor:
    """Per-example attack loss ``[B]`` of ``logits [B, C]`` and labels ``y [B]`` (TF ops).

    Args:
        logits: the model's logits ``[B, C]``.
        y: integer labels ``[B]``.
        loss: ``"ce"``, ``"margin"`` or ``"dlr"`` (see the module docstring).

    Returns:
        ``[B]`` float32; higher is better for an untargeted attacker.

    Madry et al. 2018 (CE); Carlini & Wagner 2017 (margin); Croce & Hein 2020 (DLR).
    """
    logits = tf.cast(logits, tf.float32)
    if loss == "ce":
        return keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
    margin = _margin(logits, y)  # [B]
    if loss == "margin":
        return margin
    top3 = tf.math.top_k(logits, k=3).values  # [B, 3], descending
    return margin / (top3[:, 0] - top3[:, 2] + 1e-12)


def attack_loss_numpy(logits: np.ndarray, y: np.ndarray, loss: str = "ce") -> np.ndarray:
    """:func:`attack_loss` on NumPy arrays, returned as float64 ``[B]``."""
    return attack_loss(tf.constant(logits, tf.float32), tf.constant(y), loss).numpy().astype(
        np.float64)
