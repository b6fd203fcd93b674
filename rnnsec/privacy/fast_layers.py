"""The fast per-example gradient engine's layer registry: which layers it can run, and how.

The fast engine of ``rnnsec.privacy.clipping`` never runs a model once per example. It runs a
*twin* of the model once per batch: the same graph, in which every layer with weights is
replaced by a *tapped* layer that computes the same function from the *same variables* and
records, through ``rnnsec.layers.record_taps``, each linear use of a weight (its input
activation and a zero "tap" added to its output, whose gradient is ``dL/dz``; Goodfellow 2015,
Li et al. 2022). The model the user built is never changed: its variables are the ones the
twin reads, so training updates them and saving and loading work as before.

Registered out of the box (Keras 2 and Keras 3):

- ``keras.layers.Dense`` (any activation; kernels of rank 2) and ``keras.layers.Embedding``
  (``mask_zero`` either way);
- ``keras.layers.SimpleRNN``, ``GRU`` (``reset_after`` True or False) and ``LSTM``: run by the
  ``rnnsec.layers`` cell of the same name on the Keras layer's own kernel, recurrent kernel and
  bias, with Keras's masking rule, ``go_backwards`` and ``zero_output_for_mask``;
- ``keras.layers.Bidirectional`` of those (merge modes concat, sum, ave, mul);
- the ``rnnsec.layers`` recurrent layers (they record their taps themselves; the twin is a
  copy on the same variables, so the user's graph gets no second call);
- a nested ``keras.Model`` whose layers are all supported.

Layers without weights (``Masking``, ``Dropout``, ``Flatten``, pooling, ...) are copied from
their config. Anything else with weights makes the engine refuse the model with the layer's
name; :func:`register_fast_layer` adds a layer type. Example: a layer computing ``2 (x W)``::

    class Doubled(keras.layers.Layer):            # the user's layer
        def build(self, shape):
            self.kernel = self.add_weight(shape=(shape[-1], 4), name="kernel")
        def call(self, x):
            return 2.0 * tf.matmul(x, self.kernel)

    class TappedDoubled(keras.layers.Layer):      # its twin: same variables, tapped matmul
        def __init__(self, source):
            super().__init__(name=source.name + "_tapped")
            self.source = SourceLayer(source)     # a reference Keras does not track
        def call(self, x):
            return 2.0 * rnnsec.layers.tapped_dense(x, self.source.layer.kernel)

    register_fast_layer(Doubled, TappedDoubled)

A twin must route every trainable variable of its layer through ``tapped_dense`` /
``tapped_lookup`` (or record a ``LinearTap`` itself); the engine checks that each variable was
recorded exactly once. The engine runs as ``engine="fast"`` of
:func:`~rnnsec.privacy.clipping.clipped_gradient_sum`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from rnnsec import layers as rnnsec_layers
from rnnsec.compat import keras

__all__ = ["FastLayer", "SourceLayer", "register_fast_layer", "registered_fast_layers",
           "fast_layer_problems", "twin_model", "MERGE_MODES"]

#: ``Bidirectional`` merge modes the tapped twin reproduces.
MERGE_MODES = ("concat", "sum", "ave", "mul")

TwinFn = Callable[[keras.layers.Layer], keras.layers.Layer]
CheckFn = Callable[[keras.layers.Layer], list]


@dataclass(frozen=True)
class FastLayer:
    """One registry entry.

    Attributes:
        layer_type: the layer class (matched exactly, not its subclasses: a subclass may
            compute something else).
        twin: ``layer -> tapped layer`` sharing ``layer``'s variables.
        kind: a short name for tables (``fast_engine_plan``).
        check: ``layer -> list of reasons`` it cannot be run (empty: it can), or None.
    """

    layer_type: type
    twin: TwinFn
    kind: str
    check: CheckFn | None = None


class SourceLayer:
    """Holds the original layer inside a twin without Keras tracking it as a sublayer."""

    def __init__(self, layer: keras.layers.Layer):
        self.layer = layer


_REGISTRY: dict[type, FastLayer] = {}


def register_fast_layer(layer_type: type, twin: TwinFn, *, kind: str | None = None,
                        check: CheckFn | None = None, replace: bool = False) -> FastLayer:
    """Teach the fast engine a layer type (module docstring has an example).

    Args:
        layer_type: a ``keras.layers.Layer`` subclass.
        twin: called with a built layer of that type; returns a layer computing the same
            function from the same variables, with every weight used through
            ``rnnsec.layers.tapped_dense`` / ``tapped_lookup``.
        kind: name shown by ``clipping.fast_engine_plan`` (default: the class name, lowercase).
        check: optional ``layer -> list[str]`` of reasons a given layer cannot be run.
        replace: allow replacing an existing registration.

    Returns:
        The :class:`FastLayer` entry.

    The fast engine of :func:`~rnnsec.privacy.clipping.clipped_gradient_sum` runs the
    registered twins.
    """
    if not isinstance(layer_type, type) or not issubclass(layer_type, keras.layers.Layer):
        raise TypeError(f"layer_type must be a keras.layers.Layer subclass, got {layer_type!r}")
    if not callable(twin):
        raise TypeError(f"twin must be callable (layer -> tapped layer), got {twin!r}")
    if check is not None and not callable(check):
        raise TypeError(f"check must be None or callable (layer -> list of reasons), got "
                        f"{check!r}")
    if layer_type in _REGISTRY and not replace:
        raise ValueError(f"{layer_type.__name__} is already registered; pass replace=True to "
                         "override it")
    entry = FastLayer(layer_type, twin, kind or layer_type.__name__.lower(), check)
    _REGISTRY[layer_type] = entry
    return entry


def registered_fast_layers() -> dict[type, FastLayer]:
    """A copy of the registry: layer class -> :class:`FastLayer`."""
    return dict(_REGISTRY)


def entry_for(layer) -> FastLayer | None:
    """The registry entry of ``layer``'s exact type, or None."""
    return _REGISTRY.get(type(layer))


# ==================================================================================== problems
def fast_layer_problems(model: keras.Model) -> list[str]:
    """Why the fast engine cannot run ``model``: one readable reason per problem (empty: it can).

    Args:
        model: a Keras model.

    Returns:
        Reasons naming the layer and what is allowed.
    """
    if not getattr(model, "inputs", None) or not getattr(model, "outputs", None):
        return [f"model {model.name!r} is not a functional or Sequential model built on "
                "keras.Input (the fast engine copies its layer graph)"]
    problems = []
    if len(model.outputs) != 1:
        problems.append(f"model {model.name!r} has {len(model.outputs)} outputs; the fast "
                        "engine supports one")
    problems += _layer_problems(model)
    if problems:
        return problems
    covered = {id(v) for layer in _weighted_layers(model) for v in layer.trainable_weights}
    for v in model.trainable_variables:
        if id(v) not in covered:
            problems.append(f"trainable variable {v.name!r} does not belong to a layer the "
                            "fast engine supports (e.g. a LoRA or custom weight)")
            break
    return problems


def _layer_problems(model: keras.Model) -> list[str]:
    problems = []
    for layer in model.layers:
        if not layer.weights:
            continue
        if isinstance(layer, keras.Model) and entry_for(layer) is None:
            problems += _layer_problems(layer)
            continue
        entry = entry_for(layer)
        if entry is None:
            problems.append(f"layer {layer.name!r} ({type(layer).__name__}) has weights and is "
                            f"not registered with the fast engine (registered: "
                            f"{_registered_names()}; add it with rnnsec.privacy.fast_layers."
                            "register_fast_layer)")
        elif entry.check is not None:
            problems += [f"layer {layer.name!r} ({type(layer).__name__}): {why}"
                         for why in entry.check(layer)]
    return problems


def _weighted_layers(model: keras.Model) -> list:
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model) and entry_for(layer) is None:
            found += _weighted_layers(layer)
        elif layer.weights:
            found.append(layer)
    return found


def _registered_names() -> str:
    names = sorted({f"{t.__module__.split('.')[0]}.{t.__name__}" for t in _REGISTRY})
    return ", ".join(names)


# ==================================================================================== twin model
def twin_model(model: keras.Model) -> keras.Model:
    """The tapped twin of ``model``: same graph and variables, every weight tapped.

    Args:
        model: a functional or Sequential model that :func:`fast_layer_problems` accepts.

    Returns:
        A new ``keras.Model``; calling it inside ``rnnsec.layers.record_taps`` records the
        taps. Its outputs equal ``model``'s (tested).

    Raises:
        ValueError: if a layer is not supported (the message lists the reasons).
    """
    problems = fast_layer_problems(model)
    if problems:
        raise ValueError("the fast engine cannot run this model: " + "; ".join(problems))
    return keras.models.clone_model(model, clone_function=_twin_layer)


def _twin_layer(layer):
    entry = entry_for(layer)
    if entry is not None:
        return entry.twin(layer)
    if isinstance(layer, keras.Model):
        return twin_model(layer)
    return type(layer).from_config(layer.get_config())  # no weights: a plain copy


# ==================================================================================== Dense etc.
class _TappedDense(keras.layers.Layer):
    """``activation(x W + b)`` from a Keras ``Dense``'s variables, tapped."""

    def __init__(self, source: keras.layers.Layer):
        super().__init__(name=f"{source.name}_tapped", dtype=source.dtype)
        self.source = SourceLayer(source)
        self.supports_masking = True

    def call(self, inputs):
        dense = self.source.layer
        x = tf.cast(inputs, tf.convert_to_tensor(dense.kernel).dtype)
        z = rnnsec_layers.tapped_dense(x, dense.kernel, dense.bias if dense.use_bias else None)
        return z if dense.activation is None else dense.activation(z)

    def compute_mask(self, inputs, mask=None):
        return mask


class _TappedEmbedding(keras.layers.Layer):
    """``table[ids]`` from a Keras ``Embedding``'s table, tapped; its mask rule kept."""

    def __init__(self, source: keras.layers.Layer):
        super().__init__(name=f"{source.name}_tapped")
        self.source = SourceLayer(source)

    def call(self, inputs):
        return rnnsec_layers.tapped_lookup(inputs, self.source.layer.embeddings)

    def compute_mask(self, inputs, mask=None):
        return self.source.layer.compute_mask(inputs, mask)  # Keras's own rule (mask_zero)


def _dense_problems(layer) -> list[str]:
    problems = []
    if layer.kernel.shape.rank != 2:
        problems.append(f"Dense kernel of rank {layer.kernel.shape.rank} is not supported")
    if getattr(layer, "lora_enabled", False):
        problems.append("LoRA-enabled Dense is not supported")
    return problems


def _embedding_problems(layer) -> list[str]:
    return ["LoRA-enabled Embedding is not supported"] if getattr(layer, "lora_enabled",
                                                                  False) else []


# ==================================================================================== recurrent
_CELL_OF = {"LSTM": rnnsec_layers.LSTM, "GRU": rnnsec_layers.GRU,
            "SimpleRNN": rnnsec_layers.SimpleRNN}


class _Borrowed:
    """Mixin: an rnnsec recurrent layer whose weights are another layer's variables."""

    def __init__(self, source_cell, **kwargs):
        super().__init__(**kwargs)
        self.source = SourceLayer(source_cell)

    def build(self, input_shape):
        cell = self.source.layer
        self.kernel, self.recurrent_kernel = cell.kernel, cell.recurrent_kernel
        self.bias = cell.bias if self.use_bias else None
        self.built = True


_BORROWED = {name: type(f"Borrowed{name}", (_Borrowed, cls), {})
             for name, cls in _CELL_OF.items()}


def _recurrent_twin(layer) -> keras.layers.Layer:
    """The rnnsec cell of the same kind, running on the Keras layer's own variables."""
    name = type(layer).__name__
    cell = layer.cell
    kwargs = {"units": layer.units, "activation": cell.activation, "use_bias": cell.use_bias,
              "return_sequences": layer.return_sequences, "go_backwards": layer.go_backwards,
              "zero_output_for_mask": bool(layer.zero_output_for_mask),
              "name": f"{layer.name}_tapped"}
    if name != "SimpleRNN":
        kwargs["recurrent_activation"] = cell.recurrent_activation
    if name == "GRU":
        kwargs["reset_after"] = bool(cell.reset_after)
    if name == "LSTM":
        kwargs["unit_forget_bias"] = False  # initialisation only; the weights are borrowed
    return _BORROWED[name](cell, **kwargs)


def _recurrent_problems(layer) -> list[str]:
    problems = []
    for attr in ("return_state", "stateful", "time_major"):
        if getattr(layer, attr, False):
            problems.append(f"{attr}=True is not supported")
    cell = layer.cell
    for attr in ("dropout", "recurrent_dropout"):
        if getattr(cell, attr, 0):
            problems.append(f"{attr}={getattr(cell, attr)} is not supported (use a Dropout "
                            "layer on the inputs, or engine='general')")
    return problems


class _TappedBidirectional(keras.layers.Layer):
    """Keras's ``Bidirectional``: forward twin, backward twin (reversed), merged."""

    def __init__(self, source: keras.layers.Layer):
        super().__init__(name=f"{source.name}_tapped")
        self.forward_twin = _twin_layer(source.forward_layer)
        self.backward_twin = _twin_layer(source.backward_layer)
        self.merge_mode = source.merge_mode
        self.return_sequences = source.return_sequences
        self.supports_masking = True

    def call(self, inputs, mask=None):
        y_fw = self.forward_twin(inputs, mask=mask)
        y_bw = self.backward_twin(inputs, mask=mask)
        if self.return_sequences:
            y_bw = tf.reverse(y_bw, axis=[1])  # back into forward time order
        if self.merge_mode == "concat":
            return tf.concat([y_fw, y_bw], axis=-1)
        if self.merge_mode == "sum":
            return y_fw + y_bw
        if self.merge_mode == "ave":
            return (y_fw + y_bw) / 2.0
        return y_fw * y_bw  # "mul"

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None


def _bidirectional_problems(layer) -> list[str]:
    problems = []
    if layer.merge_mode not in MERGE_MODES:
        problems.append(f"merge_mode={layer.merge_mode!r} is not supported (allowed: "
                        f"{', '.join(MERGE_MODES)})")
    if getattr(layer, "return_state", False):
        problems.append("return_state=True is not supported")
    for sub in (layer.forward_layer, layer.backward_layer):
        entry = entry_for(sub)
        if entry is None:
            problems.append(f"its layer {type(sub).__name__} is not registered")
        elif entry.check is not None:
            problems += entry.check(sub)
    return problems


def _rnnsec_twin(layer) -> keras.layers.Layer:
    """An rnnsec recurrent layer's copy on the same variables (the user's graph stays as is)."""
    config = layer.get_config()
    config["name"] = f"{layer.name}_tapped"
    return _BORROWED[type(layer).__name__](layer, **config)


def _register_builtins() -> None:
    register_fast_layer(keras.layers.Dense, _TappedDense, kind="dense", check=_dense_problems)
    register_fast_layer(keras.layers.Embedding, _TappedEmbedding, kind="embedding",
                        check=_embedding_problems)
    for name, kind in (("LSTM", "lstm"), ("GRU", "gru"), ("SimpleRNN", "simple_rnn")):
        register_fast_layer(getattr(keras.layers, name), _recurrent_twin, kind=kind,
                            check=_recurrent_problems)
        register_fast_layer(_CELL_OF[name], _rnnsec_twin, kind=kind)
    register_fast_layer(keras.layers.Bidirectional, _TappedBidirectional, kind="bidirectional",
                        check=_bidirectional_problems)


_register_builtins()
