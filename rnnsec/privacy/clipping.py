"""Per-example gradients, their norms and clipped sums: the engines behind DP-SGD (Chapter 3.2).

DP-SGD (Abadi et al. 2016) needs, for every example ``i`` of a batch, the norm of its own
gradient ``||g_i||`` so that it can clip it to ``C``. Two engines compute it here.

``engine="general"`` works for any Keras model: the model runs once per example inside
``tf.vectorized_map`` (parallel-for; Agarwal and Ganichev 2019), or inside ``tf.map_fn`` (a
loop) where ``tf.vectorized_map`` fails. With ``general_method="auto"`` a model that contains a
Keras recurrent layer (``keras.layers.RNN``) uses ``tf.map_fn``: TensorFlow 2.15's pfor fails
on their while loops (a variant-dtype error), and on TensorFlow 2.21 it took about 14 s to
trace and failed at run time for a Conv1D + LSTM model (a TensorList error). On TensorFlow
2.20 (Colab's in 2026) pfor over ``rnnsec.layers``' recurrent layers returned wrong gradients
for a language model (return_sequences) and then crashed the process ("free(): invalid
pointer"), so there every recurrent model uses ``tf.map_fn`` too (``PFOR_UNSAFE_FOR_RNN``).
Every other model tries ``tf.vectorized_map`` and falls back to ``tf.map_fn`` with a warning if
its conversion fails. (Keras's recurrent layers normally run on the fast engine anyway.)

``engine="fast"`` never runs the model per example. It runs the model's *tapped twin*
(``rnnsec.privacy.fast_layers``: the same graph on the same variables, with every layer that
has weights replaced by one that records how its weights are used). Supported out of the box:
Keras's ``Dense``, ``Embedding``, ``SimpleRNN``, ``GRU`` (both ``reset_after``), ``LSTM`` and
``Bidirectional`` of those, masks included, and the ``rnnsec.layers`` recurrent layers; more
with ``fast_layers.register_fast_layer``. Every weight is used as ``z_t = a_t W (+ b)`` at one
or more steps ``t``, so example ``i``'s gradient is ``sum_t a_{i,t} g_{i,t}^T`` with
``g = dL/dz``. One forward pass records the activations ``a`` ([B, T, D]: a Dense layer's
input, a recurrent layer's ``x_t`` and ``h_{t-1}``) and one backward pass gives ``g``
([B, T, K]) at the taps (see ``rnnsec.layers``). Then, per use of a weight:

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

import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from rnnsec import layers as rnnsec_layers
from rnnsec._validate import check_choice, check_number
from rnnsec.compat import keras
from rnnsec.privacy import fast_layers

__all__ = ["ENGINES", "GENERAL_METHODS", "EMBEDDING_GRAM_MAX_STEPS", "UnsupportedLayerError",
           "ClippedGradients", "LayerPlan", "clip_factors", "per_example_gradients",
           "per_example_norms", "clipped_gradient_sum", "fast_engine_plan",
           "fast_engine_supports", "fast_layer_problems", "resolve_engine",
           "slow_path_message", "probe_general_cost", "per_example_loss_fn"]

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
    """The tapped twin of one model (cached per model; ``rnnsec.privacy.fast_layers``)."""

    twin: keras.Model
    variable_ids: tuple = field(default=())


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fast_layer_problems(model: keras.Model) -> list[str]:
    """Human-readable reasons why the fast engine cannot run ``model`` (empty: it can)."""
    return fast_layers.fast_layer_problems(model)


_unsupported_layers = fast_layer_problems


def fast_engine_supports(model: keras.Model) -> bool:
    """True if ``engine="fast"`` can compute per-example norms for ``model``."""
    return not _unsupported_layers(model)


def _unsupported_message(problems: list[str]) -> str:
    return ("engine='fast' cannot run this model: " + "; ".join(problems)
            + ". Use engine='general' (any model, slower), or register the layer with "
            "rnnsec.privacy.fast_layers.register_fast_layer (see its docstring).")


def _fast_plan(model: keras.Model) -> _FastPlan:
    """Build (or fetch from the cache) the tapped twin of ``model``."""
    ids = tuple(id(v) for v in model.trainable_variables)
    cached = _PLANS.get(model)
    if cached is not None and cached.variable_ids == ids:
        return cached
    problems = _unsupported_layers(model)
    if problems:
        raise UnsupportedLayerError(_unsupported_message(problems))
    plan = _FastPlan(twin=fast_layers.twin_model(model), variable_ids=ids)
    _PLANS[model] = plan
    return plan


# ==================================================================================== pieces
@dataclass
class _Linear:
    """A weight used as ``z_t = sum_a a_t W_a (+ b)``: activations ``a`` share one ``g``.

    ``acts``: list of (``a`` [m, T, D], variable, part); ``g``: [m, T, K]; ``bias``:
    (variable, part) or None. A part is None, ``("row", i)`` or ``("cols", start, stop)``
    (``rnnsec.layers.LinearTap``).
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


def _fast_forward(model, loss_fn, x, y, num_microbatches):
    """One forward and one backward pass of the twin; returns (pieces, losses, predictions)."""
    plan = _fast_plan(model)
    with tf.GradientTape() as tape:
        with rnnsec_layers.record_taps(tape) as recorder:
            predictions = plan.twin(x, training=True)
        losses = _losses(loss_fn, y, predictions)  # [B]
        total = tf.reduce_sum(losses)
    records = recorder.records
    _check_records(model, records)
    taps = list({id(r.tap): r.tap for r in records}.values())
    grads = tape.gradient(total, taps, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    at_tap = {id(t): g for t, g in zip(taps, grads, strict=True)}
    m, k = _units_of(tf.shape(losses)[0], num_microbatches)
    scale = 1.0 / tf.cast(k, tf.float32)  # a unit's loss is the mean over its k examples

    def unit(t):  # [B, T, ...] -> [m, kT, ...]
        return _group(t, m) if num_microbatches is not None else t

    pieces = [_piece(r, at_tap[id(r.tap)], unit, scale) for r in records]
    return pieces, losses, predictions


def _piece(record, g, unit, scale):
    """The norm/sum piece of one recorded tap, in units (examples or microbatches)."""
    if isinstance(record, rnnsec_layers.EmbeddingTap):
        ids = record.ids
        ids = ids[:, None] if ids.shape.rank == 1 else tf.reshape(ids, [tf.shape(ids)[0], -1])
        g = tf.reshape(g, [tf.shape(g)[0], -1, g.shape[-1]])  # [B, T, E]
        return _Embedding(ids=unit(ids), g=unit(g) * scale, variable=record.variable)
    if record.cols is not None:
        g = g[..., record.cols[0]:record.cols[1]]
    g = tf.cast(g, tf.float32)
    acts = [(unit(_as_steps(tf.cast(a, g.dtype))), var, part) for a, var, part in record.acts]
    return _Linear(acts=acts, g=unit(_as_steps(g)) * scale, bias=record.bias)


def _check_records(model, records) -> None:
    """Every trainable variable (part) recorded exactly once, and nothing else."""
    seen: dict = {}
    for r in records:
        if isinstance(r, rnnsec_layers.EmbeddingTap):
            uses = [(r.variable, None)]
        else:
            uses = [(var, part) for _, var, part in r.acts]
            uses += [r.bias] if r.bias is not None else []
        for var, part in uses:
            key = (id(var), part)
            if key in seen:
                raise UnsupportedLayerError(
                    f"engine='fast': variable {var.name!r} is used more than once in one "
                    "forward pass (a layer called twice, or shared weights); its per-example "
                    "norm would miss the cross terms. Use engine='general'.")
            seen[key] = var
    recorded = {key[0] for key in seen}
    for v in model.trainable_variables:
        if id(v) not in recorded:
            raise UnsupportedLayerError(
                f"engine='fast': trainable variable {v.name!r} was not recorded by any tapped "
                "layer in the forward pass (a registered twin must use every weight through "
                "rnnsec.layers.tapped_dense / tapped_lookup). Use engine='general'.")


# ==================================================================================== norms
def _linear_method(piece: _Linear) -> str:
    """``"gram"`` or ``"materialize"``: whichever needs fewer multiply-adds (static shapes)."""
    steps = piece.g.shape[1]
    width = piece.g.shape[-1]
    depth = sum(a.shape[-1] for a, _, _ in piece.acts)
    if steps is None:
        return "gram"
    return "gram" if steps * (depth + width) <= depth * width else "materialize"


def _linear_sq_norms(piece: _Linear) -> tf.Tensor:
    """Squared Frobenius norms of each unit's gradient of the piece's weights, ``[m]``."""
    g = piece.g  # [m, T, K]
    if _linear_method(piece) == "gram":
        gram_g = tf.matmul(g, g, transpose_b=True)  # [m, T, T]
        gram_a = tf.add_n([tf.matmul(a, a, transpose_b=True) for a, _, _ in piece.acts])
        if piece.bias is not None:
            gram_a = gram_a + 1.0
        return tf.reduce_sum(gram_a * gram_g, axis=[1, 2])
    sq = tf.add_n([tf.reduce_sum(tf.square(tf.matmul(a, g, transpose_a=True)), axis=[1, 2])
                   for a, _, _ in piece.acts])  # [m], from [m, D, K] per activation
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
    parts: dict = {}  # id(var) -> {part: gradient}
    w = weights[:, None, None]  # [m, 1, 1]
    for p in pieces:
        gw = p.g * w  # [m, T, K]
        gw_flat = tf.reshape(gw, [-1, gw.shape[-1]])  # [m T, K]
        if isinstance(p, _Embedding):
            _put(parts, p.variable, None, tf.math.unsorted_segment_sum(
                gw_flat, tf.reshape(p.ids, [-1]), tf.shape(p.variable)[0]))  # [V, E]
            continue
        for a, var, part in p.acts:
            a_flat = tf.reshape(a, [-1, a.shape[-1]])  # [m T, D]
            _put(parts, var, part, tf.matmul(a_flat, gw_flat, transpose_a=True))  # [D, K]
        if p.bias is not None:
            _put(parts, *p.bias, tf.reduce_sum(gw_flat, axis=0))  # [K]
    return {key: _assemble(value, batch_axis=False) for key, value in parts.items()}


def _per_unit_grads(pieces) -> dict:
    """Materialised per-unit gradients ``[m, *shape]`` per variable id."""
    parts: dict = {}
    for p in pieces:
        if isinstance(p, _Embedding):
            m, vocab = tf.shape(p.ids)[0], tf.shape(p.variable)[0]
            keys = tf.range(m)[:, None] * vocab + p.ids  # [m, T]: one segment per (unit, id)
            table = tf.math.unsorted_segment_sum(
                tf.reshape(p.g, [-1, p.g.shape[-1]]), tf.reshape(keys, [-1]), m * vocab)
            _put(parts, p.variable, None, tf.reshape(table, [m, vocab, p.g.shape[-1]]))
            continue
        for a, var, part in p.acts:
            _put(parts, var, part, tf.matmul(a, p.g, transpose_a=True))  # [m, D, K]
        if p.bias is not None:
            _put(parts, *p.bias, tf.reduce_sum(p.g, axis=1))  # [m, K]
    return {key: _assemble(value, batch_axis=True) for key, value in parts.items()}


def _put(parts: dict, var, part, value: tf.Tensor) -> None:
    parts.setdefault(id(var), {})[part] = value


def _assemble(parts: dict, batch_axis: bool) -> tf.Tensor:
    """One variable's gradient from its parts: whole, rows (GRU bias) or column blocks."""
    if None in parts:
        return parts[None]
    kinds = {part[0] for part in parts}
    ordered = [parts[key] for key in sorted(parts, key=lambda part: part[1:])]
    if kinds == {"row"}:
        return tf.stack(ordered, axis=1 if batch_axis else 0)  # [2, 3H] / [m, 2, 3H]
    return tf.concat(ordered, axis=-1)  # column blocks, in order


def _in_model_order(model, by_id: dict) -> list:
    return [by_id[id(v)] for v in model.trainable_variables]


# ==================================================================================== general
# TensorFlow releases whose pfor (tf.vectorized_map) gives wrong per-example gradients through
# rnnsec's recurrent layers (see the module docstring); tests/unit/test_clipping.py finds them.
PFOR_UNSAFE_FOR_RNN = ("2.20.",)


def _general_method(model, method: str) -> str:
    if method != "auto":
        return method
    layers = _all_layers(model)
    keras_rnn = any(isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))
                    for layer in layers)
    own = tuple(rnnsec_layers.RECURRENT_LAYERS.values())
    own_rnn = any(isinstance(layer, own) for layer in layers)
    unsafe = own_rnn and tf.__version__.startswith(PFOR_UNSAFE_FOR_RNN)
    return "map_fn" if keras_rnn or unsafe else "vectorized_map"


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

    ``"auto"`` is ``"fast"`` when every layer with weights is registered with the fast engine
    (``rnnsec.privacy.fast_layers``), else ``"general"``, with a warning that names the
    layers that forced the slow path and how to register them (``DPModel`` adds the measured
    cost). ``"fast"`` with an unsupported layer raises :class:`UnsupportedLayerError`.
    """
    check_choice("engine", engine, ENGINES)
    if engine == "general":
        return "general"
    problems = _unsupported_layers(model)
    if not problems:
        return "fast"
    if engine == "fast":
        raise UnsupportedLayerError(_unsupported_message(problems))
    warnings.warn(slow_path_message(problems), stacklevel=3)
    return "general"


def slow_path_message(problems: list[str], ratio: float | None = None) -> str:
    """The warning for ``engine="auto"`` falling back to the general engine."""
    cost = ("" if ratio is None else
            f" On a probe batch its per-example gradients cost {ratio:.1f}x a non-private "
            "gradient step of the same model.")
    return ("engine='auto' falls back to the general (slow) per-example engine: "
            + "; ".join(problems) + "." + cost + " To use the fast engine, register the layer "
            "with rnnsec.privacy.fast_layers.register_fast_layer (its docstring has an "
            "example), or build the model from supported layers.")


def probe_general_cost(model: keras.Model, batch_size: int = 8, repeats: int = 3,
                       steps: int = 16) -> float | None:
    """Measured cost of the general engine relative to one non-private gradient, or None.

    Runs both once to trace, then ``repeats`` times each on a random batch shaped like
    ``model.inputs`` (unknown sequence lengths get ``steps`` steps; integer inputs get id 1),
    with a surrogate loss (the sum of squared outputs); returns the ratio of the medians
    (process CPU time). None when the model's inputs cannot be probed (several inputs, or
    unknown feature sizes).
    """
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("repeats", repeats, low=1, integer=True)
    check_number("steps", steps, low=1, integer=True)
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or None in inputs[0].shape[2:]:
        return None
    spec = inputs[0]
    shape = [batch_size] + [steps if d is None else int(d) for d in spec.shape[1:]]
    dtype = tf.as_dtype(spec.dtype)
    x = (tf.ones(shape, dtype) if dtype.is_integer
         else tf.random.stateless_uniform(shape, [0, 1], dtype=dtype))
    y = tf.zeros([batch_size])

    def surrogate(y_true, y_pred):
        flat = tf.reshape(tf.cast(y_pred, tf.float32), [tf.shape(y_pred)[0], -1])
        return tf.reduce_sum(tf.square(flat), axis=1)  # [B]

    @tf.function
    def plain():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(surrogate(y, model(x, training=True)))
        return tape.gradient(loss, model.trainable_variables)

    @tf.function
    def general():
        return _general_units(model, surrogate, x, y, None, "auto")[0]

    return _median_cpu(general, repeats) / max(_median_cpu(plain, repeats), 1e-9)


def _median_cpu(fn, repeats: int) -> float:
    fn()  # trace
    times = []
    for _ in range(repeats):
        start = time.process_time()
        tf.nest.map_structure(lambda t: t.numpy(), fn())
        times.append(time.process_time() - start)
    return float(np.median(times))


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

    Abadi et al. 2016 (per-example clipping needs them); Goodfellow 2015.
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
    """How the fast engine handles each layer with weights of ``model`` (for tables in the book).

    Args:
        model: a model the fast engine supports (else :class:`UnsupportedLayerError`).
        steps: sequence length T to decide ``"gram"`` vs ``"materialize"`` (default: the
            model input's static length, if any).

    Returns:
        One :class:`LayerPlan` per registered layer, in model order.
    """
    _fast_plan(model)  # raises UnsupportedLayerError for unsupported models
    if steps is None:
        shape = tf.nest.flatten(model.inputs)[0].shape
        steps = shape[1] if len(shape) > 1 else 1
    if steps is not None:
        check_number("steps", steps, low=1, integer=True)
    rows = []
    for layer in fast_layers._weighted_layers(model):
        entry = fast_layers.entry_for(layer)
        names = tuple(getattr(v, "path", v.name) for v in layer.trainable_weights)
        rows.append(LayerPlan(layer.name, entry.kind, names,
                              _plan_method(layer, entry.kind, steps)))
    return rows


_GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}


def _plan_method(layer, kind: str, steps: int | None) -> str:
    if kind == "embedding":
        if steps is None:
            return "depends on T"
        return "id-gram" if steps <= EMBEDDING_GRAM_MAX_STEPS else "id-segments"
    if kind == "dense":
        try:
            inner = layer.input.shape[1:-1]
        except (AttributeError, ValueError):  # a layer called more than once
            inner = (None,)
        t = 1 if not inner else (steps if None in inner else int(np.prod(inner)))
        depth, width = int(layer.kernel.shape[0]), int(layer.kernel.shape[1])
        return _cost_choice(t, [depth], width)
    if kind == "bidirectional":
        return _plan_method(layer.forward_layer, fast_layers.entry_for(
            layer.forward_layer).kind, steps) + " (each direction)"
    if kind not in _GATES:
        return "chosen per tap at run time"
    cell = getattr(layer, "cell", layer)
    units, gates = int(cell.units), _GATES[kind]
    depth = int(cell.kernel.shape[0])
    if kind == "gru":
        return "/".join(_cost_choice(steps, [d], gates * units) for d in (depth, units))
    return _cost_choice(steps, [depth, units], gates * units)


def _cost_choice(steps: int | None, depths: list[int], width: int) -> str:
    if steps is None:
        return "gram"
    depth = sum(depths)
    return "gram" if steps * (depth + width) <= depth * width else "materialize"
