"""Per-example gradients, their norms and clipped sums: the engines behind DP-SGD (Chapter 3.2).

DP-SGD (Abadi et al. 2016) needs, for every example ``i`` of a batch, the norm of its own
gradient ``||g_i||`` so that it can clip it to ``C``. Two engines compute it here.

``engine="general"`` works for any Keras model: the model runs once per example inside
``tf.vectorized_map`` (parallel-for; Agarwal and Ganichev 2019), or inside ``tf.map_fn`` (a
loop) where ``tf.vectorized_map`` fails. With ``general_method="auto"`` the choice is: on
TensorFlow < 2.16 a model that contains a Keras recurrent layer (``keras.layers.RNN``) uses
``tf.map_fn``, because TensorFlow 2.15's pfor fails on their while loops (a variant-dtype
error); every other model tries ``tf.vectorized_map`` and falls back to ``tf.map_fn`` with a
warning if its conversion fails. (On TensorFlow 2.21, ``tf.vectorized_map`` of Keras's LSTM
took about 14 s to trace and then ran each step about twice as fast as ``tf.map_fn``.)

``engine="fast"`` never runs the model per example. It supports models whose trainable layers
are ``keras.layers.Dense``, ``keras.layers.Embedding`` and the recurrent layers of
``rnnsec.layers`` (``SimpleRNN``, ``GRU``, ``LSTM``). Every weight in them is used as
``z_t = a_t W (+ b)`` at one or more steps ``t``, so example ``i``'s gradient is
``sum_t a_{i,t} g_{i,t}^T`` with ``g = dL/dz``. One forward pass records the activations
``a`` ([B, T, D]: a Dense layer's input, a recurrent layer's ``x_t`` and ``h_{t-1}``) and one
backward pass gives ``g`` ([B, T, K]) at the taps (see ``rnnsec.layers``). Then, per layer:

- ``"gram"``: ``||sum_t a_t g_t^T||_F^2 = sum_{t,s} (a_t . a_s)(g_t . g_s)`` (Goodfellow 2015;
  Li et al. 2022 "ghost clipping"), costing ``B T^2 (D + K)`` and never building the
  ``[B, D, K]`` per-example gradient; a bias adds 1 to ``a_t . a_s``.
- ``"materialize"``: build ``sum_t a_t g_t^T`` ``[B, D, K]`` with one einsum and square it,
  costing ``B T D K``; cheaper when ``T (D + K) > D K`` (long sequences, small layers).
- Embedding: ``||sum_t onehot(id_t) g_t^T||^2`` groups the steps by token id (equal ids add
  up); for up to ``EMBEDDING_GRAM_MAX_STEPS`` steps via ``sum_{t,s} [id_t = id_s](g_t . g_s)``,
  beyond that by summing ``g`` per (example, id) with ``tf.unique``.

The clipped sum ``sum_i c_i g_i`` with ``c_i = min(1, C / ||g_i||)`` then needs no second
backward pass: it is ``sum_{i,t} c_i a_{i,t} g_{i,t}^T``, one weighted einsum per weight, the
same cost as the ordinary weight gradient. The chosen method per layer is reported by
:func:`fast_engine_plan`.

Microbatches (``num_microbatches=m``, TF Privacy's convention): the batch is cut into ``m``
consecutive groups of ``B / m`` examples; each group's *mean* gradient is clipped as one unit.
For the fast engine a group is one long sequence of ``(B / m) T`` steps, so the same formulas
apply. ``None`` means one example per unit (per-example clipping).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from rnnsec import layers as rnnsec_layers
from rnnsec._validate import check_choice, check_number
from rnnsec.compat import keras

__all__ = ["ENGINES", "GENERAL_METHODS", "EMBEDDING_GRAM_MAX_STEPS", "UnsupportedLayerError",
           "ClippedGradients", "LayerPlan", "clip_factors", "per_example_gradients",
           "per_example_norms", "clipped_gradient_sum", "fast_engine_plan",
           "fast_engine_supports", "resolve_engine", "per_example_loss_fn"]

ENGINES = ("auto", "fast", "general")
GENERAL_METHODS = ("auto", "vectorized_map", "map_fn")
#: Embedding norms use the T x T id-equality Gram up to this many steps per unit, then
#: ``tf.unique`` + segment sums (linear in T).
EMBEDDING_GRAM_MAX_STEPS = 256

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


class UnsupportedLayerError(ValueError):
    """The fast engine cannot handle a layer of this model (the message names it)."""


# ==================================================================================== results
@dataclass(frozen=True)
class ClippedGradients:
    """The sum of clipped per-unit gradients of one batch, and what it was computed from.

    Attributes:
        grads: ``sum_j c_j g_j`` per trainable variable, in ``model.trainable_variables`` order.
        norms: per-unit gradient norms before clipping, ``[m]`` (m = batch size without
            microbatches).
        factors: clipping factors ``c_j = min(1, C / ||g_j||)``, ``[m]``.
        losses: per-example losses, ``[B]``.
        predictions: the model's outputs on the batch.
        engine: ``"fast"`` or ``"general"``.
    """

    grads: list
    norms: tf.Tensor
    factors: tf.Tensor
    losses: tf.Tensor
    predictions: tf.Tensor
    engine: str

    def as_dict(self) -> dict:
        """Norms, factors and losses as NumPy arrays (eager mode), plus the engine."""
        return {"norms": np.asarray(self.norms), "factors": np.asarray(self.factors),
                "losses": np.asarray(self.losses), "engine": self.engine}

    def __repr__(self) -> str:
        clipped = int(np.sum(np.asarray(self.factors) < 1.0))
        return (f"ClippedGradients(engine={self.engine!r}, units={len(self.norms)}, "
                f"clipped={clipped}, max_norm={float(np.max(self.norms, initial=0.0)):.4g}, "
                f"variables={len(self.grads)})")


@dataclass(frozen=True)
class LayerPlan:
    """How the fast engine treats one trainable layer.

    Attributes:
        layer: the layer's name.
        kind: ``"dense"``, ``"embedding"``, ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        variables: names of its trainable variables.
        norm_method: ``"gram"``, ``"materialize"``, ``"id-gram"``/``"id-segments"``
            (embeddings), or ``"depends on T"`` when the number of steps is not static.
    """

    layer: str
    kind: str
    variables: tuple[str, ...]
    norm_method: str

    def as_dict(self) -> dict:
        return {"layer": self.layer, "kind": self.kind, "variables": self.variables,
                "norm_method": self.norm_method}


# ==================================================================================== loss
def per_example_loss_fn(loss) -> LossFn:
    """Return a function ``(y_true, y_pred) -> [B]`` losses, one per example.

    Args:
        loss: a ``keras.losses.Loss`` instance (its unreduced ``call`` is used, whatever its
            reduction) or a callable ``(y_true, y_pred)`` returning one loss per example
            (``[B]``, or ``[B, ...]``, which is averaged over the non-batch axes, as Keras's
            mean reduction does).

    Returns:
        The per-example loss function.
    """
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    if callable(loss):
        return loss
    raise TypeError(f"loss_fn must be a keras.losses.Loss or a callable (y_true, y_pred) -> "
                    f"per-example losses, got {type(loss).__name__}")


def _losses(loss_fn: LossFn, y, y_pred) -> tf.Tensor:
    """Per-example losses ``[B]`` (non-batch axes averaged)."""
    values = tf.convert_to_tensor(loss_fn(y, y_pred))
    if values.shape.rank == 0:
        raise ValueError("loss_fn returned a scalar; it must return one loss per example "
                         "(a keras Loss with reduction='none', e.g. "
                         "rnnsec.compat.per_example_loss())")
    if values.shape.rank > 1:
        values = tf.reduce_mean(values, axis=list(range(1, values.shape.rank)))
    return tf.cast(values, tf.float32)  # [B]


# ==================================================================================== units
def _units_of(batch: tf.Tensor, num_microbatches: int | None) -> tuple[tf.Tensor, tf.Tensor]:
    """(number of units m, examples per unit k) for a batch of ``batch`` examples."""
    if num_microbatches is None:
        return batch, tf.ones_like(batch)
    m = tf.constant(num_microbatches, dtype=batch.dtype)
    tf.debugging.assert_equal(
        batch % m, tf.zeros_like(batch),
        message=f"the batch size must be a multiple of num_microbatches={num_microbatches}")
    return m, batch // m


def _group(t: tf.Tensor, m: tf.Tensor) -> tf.Tensor:
    """``[B, T, ...]`` -> ``[m, (B/m) T, ...]``: each unit's examples as one long sequence."""
    return tf.reshape(t, tf.concat([[m, -1], tf.shape(t)[2:]], axis=0))


def _check_microbatches(num_microbatches, x) -> None:
    if num_microbatches is None:
        return
    check_number("num_microbatches", num_microbatches, low=1, integer=True)
    batch = tf.nest.flatten(x)[0].shape[0]
    if batch is not None and batch % num_microbatches:
        raise ValueError(f"num_microbatches must divide the batch size {batch}, got "
                         f"{num_microbatches}")


# ==================================================================================== fast plan
@dataclass
class _FastPlan:
    """The auxiliary model and the supported layers of one model (cached per model)."""

    aux: keras.Model
    io_layers: list  # keras Dense and Embedding layers, in the order of the aux outputs
    recurrent: list  # rnnsec recurrent layers
    variable_ids: tuple = field(default=())


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_KIND = {rnnsec_layers.LSTM: "lstm", rnnsec_layers.GRU: "gru",
         rnnsec_layers.SimpleRNN: "simple_rnn"}


def _layer_kind(layer) -> str | None:
    if type(layer) in _KIND:
        return _KIND[type(layer)]
    if isinstance(layer, keras.layers.Dense) and type(layer) is keras.layers.Dense:
        return "dense"
    if isinstance(layer, keras.layers.Embedding) and type(layer) is keras.layers.Embedding:
        return "embedding"
    return None


def _layer_variables(layer, kind: str) -> list:
    if kind == "embedding":
        return [layer.embeddings]
    names = ("kernel", "bias") if kind == "dense" else ("kernel", "recurrent_kernel", "bias")
    return [getattr(layer, n) for n in names if getattr(layer, n, None) is not None]


def _unsupported_layers(model: keras.Model) -> list[str]:
    """Human-readable reasons why the fast engine cannot run ``model`` (empty: it can)."""
    problems = []
    if not hasattr(model, "inputs") or not model.inputs or not model.outputs:
        return [f"model {model.name!r} is not a functional or Sequential model built on "
                "keras.Input (the fast engine reads its layer graph)"]
    if len(model.outputs) != 1:
        problems.append(f"model {model.name!r} has {len(model.outputs)} outputs; the fast "
                        "engine supports one")
    covered = set()
    for layer in model.layers:
        if not layer.trainable_weights:
            continue
        kind = _layer_kind(layer)
        if kind is None:
            problems.append(f"layer {layer.name!r} ({type(layer).__name__}) has trainable "
                            "weights and is not supported by the fast engine (supported: "
                            "Dense, Embedding, rnnsec.layers.SimpleRNN/GRU/LSTM; build "
                            "recurrent layers with implementation='rnnsec')")
            continue
        if kind == "dense" and layer.kernel.shape.rank != 2:
            problems.append(f"layer {layer.name!r}: Dense kernel of rank "
                            f"{layer.kernel.shape.rank} is not supported")
        covered.update(id(v) for v in _layer_variables(layer, kind))
    for v in model.trainable_variables:
        if id(v) not in covered and not problems:
            problems.append(f"trainable variable {v.name!r} does not belong to a layer the "
                            "fast engine supports (e.g. a LoRA or custom weight)")
    return problems


def fast_engine_supports(model: keras.Model) -> bool:
    """True if ``engine="fast"`` can compute per-example norms for ``model``."""
    return not _unsupported_layers(model)


def _fast_plan(model: keras.Model) -> _FastPlan:
    """Build (or fetch from the cache) the auxiliary model that exposes layer inputs/outputs."""
    ids = tuple(id(v) for v in model.trainable_variables)
    cached = _PLANS.get(model)
    if cached is not None and cached.variable_ids == ids:
        return cached
    problems = _unsupported_layers(model)
    if problems:
        raise UnsupportedLayerError("engine='fast' cannot run this model: " + "; ".join(problems)
                                    + ". Use engine='general' (any model, slower).")
    io_layers, recurrent, taps = [], [], []
    for layer in model.layers:
        kind = _layer_kind(layer) if layer.trainable_weights else None
        if kind in ("dense", "embedding"):
            try:
                taps += [layer.input, layer.output]
            except (AttributeError, ValueError) as err:
                raise UnsupportedLayerError(
                    f"engine='fast' cannot run this model: layer {layer.name!r} is called more "
                    f"than once ({err}). Use engine='general'.") from None
            io_layers.append(layer)
        elif kind is not None:
            recurrent.append(layer)
    inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
    aux = keras.Model(inputs, [model.outputs[0], *taps], name=f"{model.name}_taps")
    plan = _FastPlan(aux=aux, io_layers=io_layers, recurrent=recurrent, variable_ids=ids)
    _PLANS[model] = plan
    return plan


# ==================================================================================== pieces
@dataclass
class _Linear:
    """A weight used as ``z_t = sum_a a_t W_a (+ b)``: activations ``a`` share one ``g``.

    ``acts``: list of (``a`` [m, T, D], kernel variable); ``g``: [m, T, K]; ``bias``:
    (variable, row or None) or None.
    """

    acts: list
    g: tf.Tensor
    bias: tuple | None


@dataclass
class _Embedding:
    """An embedding table used at every step: ids [m, T], ``g`` [m, T, E]."""

    ids: tf.Tensor
    g: tf.Tensor
    variable: object


def _as_steps(t: tf.Tensor) -> tf.Tensor:
    """``[B, D]`` -> ``[B, 1, D]``; ``[B, T1, T2, D]`` -> ``[B, T1 T2, D]``."""
    if t.shape.rank == 2:
        return t[:, None]
    if t.shape.rank == 3:
        return t
    return tf.reshape(t, tf.concat([tf.shape(t)[:1], [-1], tf.shape(t)[-1:]], axis=0))


def _dense_pre_activation_grad(layer, a, out_grad) -> tf.Tensor:
    """``dL/dz`` for ``out = activation(z)``, ``z = a W + b`` (an identity for linear layers)."""
    if layer.activation is keras.activations.linear or layer.activation is None:
        return out_grad
    z = tf.tensordot(a, tf.convert_to_tensor(layer.kernel), axes=1)
    if layer.use_bias:
        z = z + tf.convert_to_tensor(layer.bias)
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = layer.activation(z)
    return tape.gradient(out, z, output_gradients=out_grad)  # vector-Jacobian product


def _fast_forward(model, loss_fn, x, y, num_microbatches):
    """One forward and one backward pass; returns (pieces, losses [B], predictions)."""
    plan = _fast_plan(model)
    with tf.GradientTape() as tape:
        with rnnsec_layers.record_taps(tape) as recorder:
            outs = plan.aux(x, training=True)
        predictions, io = outs[0], outs[1:]
        losses = _losses(loss_fn, y, predictions)  # [B]
        total = tf.reduce_sum(losses)
    traces = _one_trace_per_layer(plan.recurrent, recorder.traces)
    sources = [io[2 * i + 1] for i in range(len(plan.io_layers))]  # layer outputs
    for trace in traces:
        sources += [t for t in (trace.input_tap, trace.recurrent_tap) if t is not None]
    grads = tape.gradient(total, sources, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    m, k = _units_of(tf.shape(losses)[0], num_microbatches)
    scale = 1.0 / tf.cast(k, tf.float32)  # a unit's loss is the mean over its k examples

    def unit(t):  # [B, T, ...] -> [m, kT, ...], gradients scaled to the unit's mean loss
        return _group(t, m) if num_microbatches is not None else t

    pieces = _io_pieces(plan.io_layers, io, grads[:len(plan.io_layers)], unit, scale)
    pieces += _recurrent_pieces(traces, grads[len(plan.io_layers):], unit, scale)
    return pieces, losses, predictions


def _one_trace_per_layer(recurrent: list, traces: list) -> list:
    """The trace of each recurrent layer, in ``recurrent`` order; each must run exactly once."""
    found = []
    for layer in recurrent:
        mine = [t for t in traces if t.layer is layer]
        if len(mine) != 1:
            raise UnsupportedLayerError(
                f"engine='fast': recurrent layer {layer.name!r} ran {len(mine)} times in one "
                "forward pass (it must run exactly once). Use engine='general'.")
        found.append(mine[0])
    return found


def _io_pieces(io_layers: list, io: list, grads: list, unit, scale) -> list:
    """Pieces of Dense layers (input ``a``, ``g = dL/dz``) and Embeddings (ids, ``g``)."""
    pieces = []
    for i, (layer, g) in enumerate(zip(io_layers, grads, strict=True)):
        a = io[2 * i]  # the layer's input
        if _layer_kind(layer) == "dense":
            g = _dense_pre_activation_grad(layer, tf.cast(a, g.dtype), g)
            bias = (layer.bias, None) if layer.use_bias else None
            pieces.append(_Linear(acts=[(unit(_as_steps(a)), layer.kernel)],
                                  g=unit(_as_steps(g)) * scale, bias=bias))
            continue
        ids = tf.cast(a, tf.int32)
        ids = ids[:, None] if ids.shape.rank == 1 else tf.reshape(ids, [tf.shape(ids)[0], -1])
        g = tf.reshape(g, [tf.shape(g)[0], -1, g.shape[-1]])  # [B, T, E]
        pieces.append(_Embedding(ids=unit(ids), g=unit(g) * scale, variable=layer.embeddings))
    return pieces


def _recurrent_pieces(traces: list, grads: list, unit, scale) -> list:
    """Pieces of rnnsec recurrent layers from their traces and the gradients at the taps."""
    pieces, pos = [], 0
    for trace in traces:
        layer = trace.layer
        x_t, h_prev = unit(trace.inputs), unit(trace.prev_states)  # [m, kT, D], [m, kT, H]
        g_x = unit(grads[pos]) * scale  # [m, kT, G*H]
        pos += 1
        if trace.recurrent_tap is None:  # LSTM, SimpleRNN: one pre-activation
            bias = (layer.bias, None) if layer.use_bias else None
            pieces.append(_Linear(acts=[(x_t, layer.kernel), (h_prev, layer.recurrent_kernel)],
                                  g=g_x, bias=bias))
            continue
        g_h = unit(grads[pos]) * scale  # GRU: the recurrent pre-activation's own gradient
        pos += 1
        pieces.append(_Linear(acts=[(x_t, layer.kernel)], g=g_x,
                              bias=(layer.bias, 0) if layer.use_bias else None))
        pieces.append(_Linear(acts=[(h_prev, layer.recurrent_kernel)], g=g_h,
                              bias=(layer.bias, 1) if layer.use_bias else None))
    return pieces


# ==================================================================================== norms
def _linear_method(piece: _Linear) -> str:
    """``"gram"`` or ``"materialize"``: whichever needs fewer multiply-adds (static shapes)."""
    steps = piece.g.shape[1]
    width = piece.g.shape[-1]
    depth = sum(a.shape[-1] for a, _ in piece.acts)
    if steps is None:
        return "gram"
    return "gram" if steps * (depth + width) <= depth * width else "materialize"


def _linear_sq_norms(piece: _Linear) -> tf.Tensor:
    """Squared Frobenius norms of each unit's gradient of the piece's weights, ``[m]``."""
    g = piece.g  # [m, T, K]
    if _linear_method(piece) == "gram":
        gram_g = tf.matmul(g, g, transpose_b=True)  # [m, T, T]
        gram_a = tf.add_n([tf.matmul(a, a, transpose_b=True) for a, _ in piece.acts])
        if piece.bias is not None:
            gram_a = gram_a + 1.0
        return tf.reduce_sum(gram_a * gram_g, axis=[1, 2])
    sq = tf.add_n([tf.reduce_sum(tf.square(tf.matmul(a, g, transpose_a=True)), axis=[1, 2])
                   for a, _ in piece.acts])  # [m], from [m, D, K] per activation
    if piece.bias is not None:
        sq = sq + tf.reduce_sum(tf.square(tf.reduce_sum(g, axis=1)), axis=1)
    return sq


def _embedding_sq_norms(piece: _Embedding) -> tf.Tensor:
    """Squared norms of each unit's embedding-table gradient, ``[m]``."""
    ids, g = piece.ids, piece.g  # [m, T], [m, T, E]
    steps = ids.shape[1]
    if steps is not None and steps <= EMBEDDING_GRAM_MAX_STEPS:
        same = tf.cast(tf.equal(ids[:, :, None], ids[:, None, :]), g.dtype)  # [m, T, T]
        return tf.reduce_sum(same * tf.einsum("bte,bse->bts", g, g), axis=[1, 2])
    m = tf.shape(ids, out_type=tf.int64)[0]
    vocab = tf.cast(tf.shape(piece.variable)[0], tf.int64)
    unit = tf.range(m)[:, None] * tf.ones_like(ids, tf.int64)  # [m, T]
    keys = tf.reshape(unit * vocab + tf.cast(ids, tf.int64), [-1])  # [m T]
    uniq, idx = tf.unique(keys)
    summed = tf.math.unsorted_segment_sum(tf.reshape(g, [-1, g.shape[-1]]), idx,
                                          tf.shape(uniq)[0])  # [U, E]
    return tf.math.unsorted_segment_sum(tf.reduce_sum(tf.square(summed), axis=1),
                                        uniq // vocab, m)  # [m]


def _sq_norms(pieces) -> tf.Tensor:
    parts = [(_linear_sq_norms(p) if isinstance(p, _Linear) else _embedding_sq_norms(p))
             for p in pieces]
    return tf.add_n(parts)


# ==================================================================================== sums
def _weighted_grads(pieces, weights: tf.Tensor) -> dict:
    """``sum_j w_j g_j`` per variable id, from the pieces (weights ``[m]``)."""
    out: dict = {}
    rows: dict = {}  # GRU bias rows, stacked at the end
    w = weights[:, None, None]  # [m, 1, 1]
    for p in pieces:
        gw = p.g * w  # [m, T, K]
        gw_flat = tf.reshape(gw, [-1, gw.shape[-1]])  # [m T, K]
        if isinstance(p, _Embedding):
            out[id(p.variable)] = tf.math.unsorted_segment_sum(
                gw_flat, tf.reshape(p.ids, [-1]), tf.shape(p.variable)[0])  # [V, E]
            continue
        for a, var in p.acts:
            a_flat = tf.reshape(a, [-1, a.shape[-1]])  # [m T, D]
            out[id(var)] = tf.matmul(a_flat, gw_flat, transpose_a=True)  # [D, K]
        if p.bias is not None:
            _put_bias(out, rows, p.bias, tf.reduce_sum(gw_flat, axis=0))  # [K]
    _stack_rows(out, rows, axis=0)
    return out


def _per_unit_grads(pieces) -> dict:
    """Materialised per-unit gradients ``[m, *shape]`` per variable id."""
    out: dict = {}
    rows: dict = {}
    for p in pieces:
        if isinstance(p, _Embedding):
            m, vocab = tf.shape(p.ids)[0], tf.shape(p.variable)[0]
            keys = tf.range(m)[:, None] * vocab + p.ids  # [m, T]: one segment per (unit, id)
            table = tf.math.unsorted_segment_sum(
                tf.reshape(p.g, [-1, p.g.shape[-1]]), tf.reshape(keys, [-1]), m * vocab)
            out[id(p.variable)] = tf.reshape(table, [m, vocab, p.g.shape[-1]])  # [m, V, E]
            continue
        for a, var in p.acts:
            out[id(var)] = tf.matmul(a, p.g, transpose_a=True)  # [m, D, K]
        if p.bias is not None:
            _put_bias(out, rows, p.bias, tf.reduce_sum(p.g, axis=1))  # [m, K]
    _stack_rows(out, rows, axis=1)
    return out


def _put_bias(out: dict, rows: dict, bias: tuple, value: tf.Tensor) -> None:
    """Store a bias gradient; a GRU's (2, 3H) bias arrives one row at a time."""
    var, row = bias
    if row is None:
        out[id(var)] = value
    else:
        rows.setdefault(id(var), {})[row] = value


def _stack_rows(out: dict, rows: dict, axis: int) -> None:
    for key, parts in rows.items():
        out[key] = tf.stack([parts[i] for i in sorted(parts)], axis=axis)  # [2, 3H] / [m, 2, 3H]


def _in_model_order(model, by_id: dict) -> list:
    return [by_id[id(v)] for v in model.trainable_variables]


# ==================================================================================== general
def _general_method(model, method: str) -> str:
    if method != "auto":
        return method
    old_tf = tuple(int(p) for p in tf.__version__.split(".")[:2]) < (2, 16)
    has_keras_rnn = any(isinstance(layer, keras.layers.RNN) for layer in _all_layers(model))
    return "map_fn" if old_tf and has_keras_rnn else "vectorized_map"


def _all_layers(model) -> list:
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if isinstance(layer, keras.Model):
            found += _all_layers(layer)
    return found


def _general_units(model, loss_fn, x, y, num_microbatches, method):
    """Per-unit gradients ``[m, *shape]`` per variable, losses ``[B]`` and predictions."""
    variables = model.trainable_variables
    batch = tf.shape(tf.nest.flatten(x)[0])[0]
    m, _ = _units_of(batch, num_microbatches)

    def split(t):  # [B, ...] -> [m, k, ...]
        t = tf.convert_to_tensor(t)
        return tf.reshape(t, tf.concat([[m, -1], tf.shape(t)[1:]], axis=0))

    def one_unit(args):
        x_u, y_u = args  # [k, ...]
        with tf.GradientTape() as tape:
            pred = model(x_u, training=True)
            losses = _losses(loss_fn, y_u, pred)  # [k]
            loss = tf.reduce_mean(losses)
        grads = tape.gradient(loss, variables,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return [tf.convert_to_tensor(g) for g in grads], losses, pred

    args = (tf.nest.map_structure(split, x), tf.nest.map_structure(split, y))
    chosen = _general_method(model, method)
    if chosen == "vectorized_map":
        try:
            grads, losses, preds = tf.vectorized_map(one_unit, args)
        except Exception as err:  # noqa: BLE001 -- pfor conversion failures vary by op
            if method == "vectorized_map":
                raise
            warnings.warn(f"tf.vectorized_map failed for model {model.name!r} "
                          f"({type(err).__name__}); using tf.map_fn (slower)", stacklevel=3)
            chosen = "map_fn"
    if chosen == "map_fn":
        pred_spec = tf.nest.map_structure(
            lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype),  # [k, ...] per unit
            model(tf.nest.map_structure(lambda t: t[0], args[0]), training=False))  # one unit
        signature = ([tf.TensorSpec(v.shape, v.dtype) for v in variables],
                     tf.TensorSpec([None], tf.float32), pred_spec)
        grads, losses, preds = tf.map_fn(one_unit, args, fn_output_signature=signature)
    flat = tf.nest.map_structure(
        lambda t: tf.reshape(t, tf.concat([[-1], tf.shape(t)[2:]], axis=0)), (losses, preds))
    return list(grads), flat[0], flat[1]


# ==================================================================================== public
def resolve_engine(model: keras.Model, engine: str = "auto") -> str:
    """``"fast"`` or ``"general"``: what ``engine`` means for ``model``.

    ``"auto"`` is ``"fast"`` when every trainable layer is supported by it, else
    ``"general"``, with a warning that names the layers that forced the slow path.
    ``"fast"`` with an unsupported layer raises :class:`UnsupportedLayerError`.
    """
    check_choice("engine", engine, ENGINES)
    if engine == "general":
        return "general"
    problems = _unsupported_layers(model)
    if not problems:
        return "fast"
    if engine == "fast":
        raise UnsupportedLayerError("engine='fast' cannot run this model: " + "; ".join(problems)
                                    + ". Use engine='general' (any model, slower).")
    warnings.warn("engine='auto' falls back to the general (slow) per-example engine: "
                  + "; ".join(problems), stacklevel=3)
    return "general"


def _check_common(model, loss_fn, engine, general_method, num_microbatches, x):
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    check_choice("engine", engine, ENGINES)
    check_choice("general_method", general_method, GENERAL_METHODS)
    _check_microbatches(num_microbatches, x)
    return per_example_loss_fn(loss_fn)


def per_example_gradients(model: keras.Model, loss_fn, x, y, engine: str = "auto", *,
                          num_microbatches: int | None = None,
                          general_method: str = "auto") -> list[tf.Tensor]:
    """Each example's (or microbatch's) gradient of its loss, one tensor per variable.

    Args:
        model: a Keras model.
        loss_fn: per-example loss, see :func:`per_example_loss_fn`.
        x, y: one batch of inputs ``[B, ...]`` and targets.
        engine: ``"auto"``, ``"fast"`` or ``"general"`` (module docstring).
        num_microbatches: None (one example per unit) or m dividing B (units of B/m examples,
            each unit's gradient is that of its mean loss).
        general_method: ``"auto"``, ``"vectorized_map"`` or ``"map_fn"`` for the general
            engine.

    Returns:
        A list in ``model.trainable_variables`` order; entry ``v`` has shape ``[m, *v.shape]``
        (m = B without microbatches). The fast engine materialises them here (an embedding's
        per-example gradient is ``[m, V, E]``), so use it for small models and teaching;
        training only needs :func:`clipped_gradient_sum`.

    Abadi et al. 2016 (per-example clipping needs them); Goodfellow 2015. Chapter 3.2.
    """
    loss_fn = _check_common(model, loss_fn, engine, general_method, num_microbatches, x)
    if resolve_engine(model, engine) == "general":
        return _general_units(model, loss_fn, x, y, num_microbatches, general_method)[0]
    pieces, _, _ = _fast_forward(model, loss_fn, x, y, num_microbatches)
    return _in_model_order(model, _per_unit_grads(pieces))


def per_example_norms(model: keras.Model, loss_fn, x, y, engine: str = "auto", *,
                      num_microbatches: int | None = None,
                      general_method: str = "auto") -> tf.Tensor:
    """L2 norm of each example's (or microbatch's) gradient over all trainable variables.

    Args: as :func:`per_example_gradients`.

    Returns:
        ``[m]`` norms. The fast engine never builds per-example gradients for this (module
        docstring, "gram"), except where materialising is cheaper.

    Goodfellow 2015; Li et al. 2022 (ghost clipping). Chapter 3.2.
    """
    loss_fn = _check_common(model, loss_fn, engine, general_method, num_microbatches, x)
    if resolve_engine(model, engine) == "general":
        grads = _general_units(model, loss_fn, x, y, num_microbatches, general_method)[0]
        return _global_norms(grads)
    pieces, _, _ = _fast_forward(model, loss_fn, x, y, num_microbatches)
    return tf.sqrt(tf.maximum(_sq_norms(pieces), 0.0))


def _global_norms(per_unit: list) -> tf.Tensor:
    """``[m]`` norms of per-unit gradients given as ``[m, ...]`` tensors."""
    sq = [tf.reduce_sum(tf.reshape(tf.square(g), [tf.shape(g)[0], -1]), axis=1) for g in per_unit]
    return tf.sqrt(tf.add_n(sq))


def clip_factors(norms: tf.Tensor, l2_norm_clip: float) -> tf.Tensor:
    """``c_j = min(1, C / ||g_j||)``, computed as ``C / max(||g_j||, C)`` (no division by 0)."""
    clip = tf.constant(l2_norm_clip, dtype=norms.dtype)
    return clip / tf.maximum(norms, clip)


def clipped_gradient_sum(model: keras.Model, loss_fn, x, y, l2_norm_clip: float,
                         engine: str = "auto", *, num_microbatches: int | None = None,
                         general_method: str = "auto") -> ClippedGradients:
    """Sum over units of gradients clipped to L2 norm ``l2_norm_clip``: ``sum_j c_j g_j``.

    Args:
        model, loss_fn, x, y, engine, num_microbatches, general_method: as
            :func:`per_example_gradients`.
        l2_norm_clip: the clipping norm C > 0.

    Returns:
        A :class:`ClippedGradients`; ``grads`` is in ``model.trainable_variables`` order. No
        noise is added here (see ``rnnsec.privacy.dp``).

    Abadi et al. 2016, Algorithm 1 (clip step); Li et al. 2022 (ghost clipping, fast engine).
    Chapter 3.2.
    """
    check_number("l2_norm_clip", l2_norm_clip, low=0, low_open=True)
    loss_fn = _check_common(model, loss_fn, engine, general_method, num_microbatches, x)
    chosen = resolve_engine(model, engine)
    if chosen == "general":
        grads, losses, preds = _general_units(model, loss_fn, x, y, num_microbatches,
                                              general_method)
        norms = _global_norms(grads)
        factors = clip_factors(norms, l2_norm_clip)
        summed = [tf.tensordot(factors, g, axes=1) for g in grads]
        return ClippedGradients(summed, norms, factors, losses, preds, "general")
    pieces, losses, preds = _fast_forward(model, loss_fn, x, y, num_microbatches)
    norms = tf.sqrt(tf.maximum(_sq_norms(pieces), 0.0))  # [m]
    factors = clip_factors(norms, l2_norm_clip)
    summed = _in_model_order(model, _weighted_grads(pieces, factors))
    return ClippedGradients(summed, norms, factors, losses, preds, "fast")


def fast_engine_plan(model: keras.Model, steps: int | None = None) -> list[LayerPlan]:
    """How the fast engine handles each trainable layer of ``model`` (for tables in the book).

    Args:
        model: a model the fast engine supports (else :class:`UnsupportedLayerError`).
        steps: sequence length T to decide ``"gram"`` vs ``"materialize"`` (default: the
            model input's static length, if any).

    Returns:
        One :class:`LayerPlan` per trainable layer, in model order.
    """
    _fast_plan(model)  # raises UnsupportedLayerError for unsupported models
    if steps is None:
        shape = tf.nest.flatten(model.inputs)[0].shape
        steps = shape[1] if len(shape) > 1 else 1
    if steps is not None:
        check_number("steps", steps, low=1, integer=True)
    rows = []
    for layer in model.layers:
        kind = _layer_kind(layer) if layer.trainable_weights else None
        if kind is None:
            continue
        names = tuple(getattr(v, "path", v.name) for v in _layer_variables(layer, kind))
        rows.append(LayerPlan(layer.name, kind, names, _plan_method(layer, kind, steps)))
    return rows


def _plan_method(layer, kind: str, steps: int | None) -> str:
    if kind == "embedding":
        if steps is None:
            return "depends on T"
        return "id-gram" if steps <= EMBEDDING_GRAM_MAX_STEPS else "id-segments"
    if kind == "dense":
        in_shape = layer.input.shape
        inner = in_shape[1:-1]
        t = 1 if not inner else (steps if None in inner else int(np.prod(inner)))
        depth, width = int(layer.kernel.shape[0]), int(layer.kernel.shape[1])
        return _cost_choice(t, [depth], width)
    units, gates = layer.units, layer.GATES
    depth = int(layer.kernel.shape[0])
    if kind == "gru":
        return "/".join(_cost_choice(steps, [d], gates * units) for d in (depth, units))
    return _cost_choice(steps, [depth, units], gates * units)


def _cost_choice(steps: int | None, depths: list[int], width: int) -> str:
    if steps is None:
        return "gram"
    depth = sum(depths)
    return "gram" if steps * (depth + width) <= depth * width else "materialize"
