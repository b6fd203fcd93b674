"""Read a Keras recurrent classifier into the pieces that bound propagation needs.

A certifiable model is the book's sequence classifier: an optional ``Masking`` layer, one
recurrent layer (``SimpleRNN``, ``GRU`` or ``LSTM``, from ``rnnsec.layers`` or Keras, with
``return_sequences=False``) and a linear ``Dense`` layer that outputs logits. Both
implementations store the same weights in the same layout (``kernel [D, G*H]``,
``recurrent_kernel [H, G*H]``, ``bias``), so one reader serves both.

The returned :class:`RecurrentNetwork` holds the layers' *variables*, so bounds computed from it
inside a ``tf.GradientTape`` are differentiable in the weights (certified training).
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from rnnsec.compat import keras

__all__ = ["RecurrentNetwork", "read_network"]

_CELLS = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}


@dataclass(frozen=True)
class RecurrentNetwork:
    """A recurrent classifier as weights: ``[Masking] -> cell -> Dense``.

    Attributes:
        cell: ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        units: hidden size H.
        kernel: ``[D, G*H]`` variable; recurrent_kernel: ``[H, G*H]``; bias: the bias variable
            (``[G*H]``; a GRU with ``reset_after`` has ``[2, 3H]``) or None.
        reset_after: GRU only: where the reset gate acts.
        go_backwards: the layer reads the sequence backwards.
        mask_value: the ``Masking`` layer's value, or None without masking.
        dense_kernel: ``[H, C]`` variable; dense_bias: ``[C]`` variable or None.
    """

    cell: str
    units: int
    kernel: object
    recurrent_kernel: object
    bias: object
    reset_after: bool
    go_backwards: bool
    mask_value: float | None
    dense_kernel: object
    dense_bias: object

    def tensors(self, dtype) -> dict:
        """The weights as tensors of ``dtype`` (differentiable: read from the variables)."""
        def cast(v):
            return None if v is None else tf.cast(tf.convert_to_tensor(v), dtype)

        out = {"W": cast(self.kernel), "U": cast(self.recurrent_kernel),
               "V": cast(self.dense_kernel), "c": cast(self.dense_bias)}
        gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[self.cell]
        bias = cast(self.bias)
        if bias is None:
            bias = tf.zeros([2, 3 * self.units] if self.cell == "gru" and self.reset_after
                            else [gates * self.units], dtype)
        out["b"] = bias
        if out["c"] is None:
            out["c"] = tf.zeros([out["V"].shape[-1]], dtype)
        return out


def read_network(model) -> RecurrentNetwork:
    """Return the :class:`RecurrentNetwork` of ``model`` or raise naming what is unsupported.

    Args:
        model: a ``keras.Model`` made of an optional ``Masking`` layer, one ``SimpleRNN``,
            ``GRU`` or ``LSTM`` layer (``rnnsec.layers`` or Keras; tanh state activation,
            sigmoid gates, ``return_sequences=False``) and one ``Dense`` layer without
            activation, e.g. ``models.sequence_classifier(..., implementation="rnnsec")``.

    Raises:
        TypeError: ``model`` is not a Keras model.
        ValueError: a layer or setting that the bounds do not cover.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    mask_value = None
    if layers and isinstance(layers[0], keras.layers.Masking):
        mask_value = float(layers[0].mask_value)
        layers = layers[1:]
    if len(layers) != 2 or type(layers[0]).__name__ not in _CELLS or not isinstance(
            layers[1], keras.layers.Dense):
        names = [type(layer).__name__ for layer in layers]
        raise ValueError("model must be [Masking] -> SimpleRNN/GRU/LSTM -> Dense (the book's "
                         f"sequence_classifier), got layers {names}")
    rnn, dense = layers
    cell = _CELLS[type(rnn).__name__]
    _check_recurrent(rnn, cell)
    if _name(dense.activation) != "linear":
        raise ValueError(f"the Dense layer must output logits (no activation), got "
                         f"{_name(dense.activation)!r}")
    weights = list(rnn.weights)
    return RecurrentNetwork(
        cell=cell, units=int(rnn.units), kernel=weights[0], recurrent_kernel=weights[1],
        bias=weights[2] if len(weights) > 2 else None,
        reset_after=bool(getattr(rnn, "reset_after", False)),
        go_backwards=bool(rnn.go_backwards), mask_value=mask_value,
        dense_kernel=dense.kernel, dense_bias=dense.bias)


def _name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _check_recurrent(rnn, cell: str) -> None:
    if rnn.return_sequences:
        raise ValueError("the recurrent layer must return only its last state "
                         "(return_sequences=False)")
    if _name(rnn.activation) != "tanh":
        raise ValueError(f"the recurrent layer's activation must be tanh, got "
                         f"{_name(rnn.activation)!r}")
    if cell != "simple_rnn" and _name(rnn.recurrent_activation) != "sigmoid":
        raise ValueError(f"the recurrent layer's recurrent_activation must be sigmoid, got "
                         f"{_name(rnn.recurrent_activation)!r}")
    if not rnn.built or not rnn.weights:
        raise ValueError("the model must be built (call it once or give it an Input) before "
                         "its bounds can be computed")
