"""The few real differences between Keras 2 (TensorFlow 2.15) and Keras 3, in one place.

Every other module writes plain Keras code (``from tensorflow import keras``, layers, ``Model``
subclasses with a custom ``train_step``, ``tf.GradientTape``) and asks this module when the two
versions disagree. See the setup page of the book for the two stacks.
"""

from __future__ import annotations

from importlib.metadata import version

import tensorflow as tf
from tensorflow import keras

KERAS_VERSION: str = version("keras")
KERAS3: bool = int(KERAS_VERSION.split(".")[0]) >= 3

__all__ = ["keras", "KERAS3", "KERAS_VERSION", "per_example_loss", "compute_loss",
           "track_loss", "compute_metrics", "tf_privacy_available", "recurrent_seed_kwargs",
           "layer_config"]


def per_example_loss(from_logits: bool = True) -> keras.losses.Loss:
    """Sparse categorical cross-entropy that returns one loss per example (no reduction).

    ``reduction="none"`` is accepted by both Keras 2 (``Reduction.NONE``) and Keras 3.
    """
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction="none")


def compute_loss(model: keras.Model, x, y, y_pred, sample_weight=None) -> tf.Tensor:
    """The compiled loss (plus regularisation) of ``model``, called the same way on both Kerases.

    Keras 2.15 and Keras 3 both define ``Model.compute_loss``; Keras 3 adds a ``training``
    argument and wants keywords, which Keras 2 also accepts. Only Keras 2 also updates the
    ``loss`` that ``fit`` reports from here; use ``track_loss`` in a custom ``train_step``.
    """
    return model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)


def track_loss(model: keras.Model, loss: tf.Tensor, batch_size) -> None:
    """Count a batch's loss in the ``loss`` that ``fit`` reports, from a custom ``train_step``.

    Call it after ``compute_loss``. Keras 2 has already counted the loss there (in
    ``compiled_loss``); Keras 3 (3.15) counts it in ``Model.train_step`` itself, which a custom
    step replaces, so here its loss tracker is updated with ``loss`` weighted by ``batch_size``.
    """
    tracker = getattr(model, "_loss_tracker", None)
    if KERAS3 and tracker is not None:
        tracker.update_state(loss, sample_weight=tf.cast(batch_size, tf.float32))


def compute_metrics(model: keras.Model, x, y, y_pred, sample_weight=None) -> dict:
    """Update the compiled metrics and return their current values as a dict.

    Keras 3 counts the loss through ``compute_loss``; Keras 2 tracks it in ``compiled_loss``,
    so this returns the same keys (``loss`` plus the compiled metrics) on both.
    """
    return model.compute_metrics(x, y, y_pred, sample_weight)


def recurrent_seed_kwargs(seed: int) -> dict:
    """Keyword arguments that seed a Keras recurrent layer's own random generator.

    Keras 3's ``LSTM``/``GRU``/``SimpleRNN`` take a ``seed`` (for dropout) and otherwise draw
    one from Python's global ``random`` when built; Keras 2's take none (their dropout draws
    from Keras's global seed only when dropout is on).
    """
    return {"seed": int(seed)} if KERAS3 else {}


def layer_config(layer: keras.layers.Layer) -> dict:
    """``layer.get_config()`` with a ``"seed"`` entry wherever the layer takes one.

    Keras 3's ``SimpleRNN`` takes a ``seed`` but leaves it out of its configuration, so a copy
    built from the configuration would draw one from Python's global ``random``.
    """
    config = layer.get_config()
    cell = getattr(layer, "cell", None)
    if KERAS3 and isinstance(layer, keras.layers.RNN) and hasattr(cell, "seed"):
        config.setdefault("seed", None)
    return config


def tf_privacy_available() -> bool:
    """True when ``import tensorflow_privacy`` works (only on the pinned stack)."""
    try:
        import tensorflow_privacy  # noqa: F401
    except Exception:  # noqa: BLE001 -- any import failure means "not available here"
        return False
    return True
