"""Recurrent layers that expose their per-time-step activations (Chapter 3.2).

``SimpleRNN``, ``GRU`` and ``LSTM`` here are drop-in replacements for Keras's layers of the same
names: the same weights in the same order and layout (``kernel [D, G*H]``,
``recurrent_kernel [H, G*H]``, ``bias``), the same gate order (LSTM ``i, f, c, o``; GRU
``z, r, h``; ``reset_after=True`` with a ``(2, 3H)`` bias, or ``False`` with ``[3H]``), the same
masking rule (a masked step keeps the previous state and repeats the previous output, or
outputs zeros with ``zero_output_for_mask``), the same ``go_backwards``. ``set_weights`` with a
trained Keras layer's weights gives the same outputs.

The fast engine runs Keras's own recurrent layers with these cells too, on the Keras layers'
variables (``rnnsec.privacy.fast_layers``), so a model needs them only where their per-step
activations are wanted directly (the book's MPC and gradient chapters).

What they add: while a :class:`TapRecorder` is active (``with record_taps(tape) as rec:``), each
call also records, for the fast per-example gradient engine of ``rnnsec.privacy.clipping``,

- the per-step inputs ``x_t`` ``[B, T, D]`` and the previous hidden states ``h_{t-1}``
  ``[B, T, H]`` (the "activations" that multiply the kernels), and
- *taps*: zero tensors, watched by the tape, added to the per-step pre-activations. The
  gradient of the loss with respect to a tap is the gradient with respect to the
  pre-activation, ``g_t = dL/dz_t`` ``[B, T, G*H]``, for every example and step.

For a weight ``W`` used at every step as ``z_t = a_t W``, example ``i``'s gradient is
``sum_t a_{i,t} g_{i,t}^T``, so per-example gradient norms follow from ``a`` and ``g`` without
one backward pass per example (Goodfellow 2015; Li et al. 2022). Chapter 3.2 derives this; the
layers themselves compute exactly what Keras's layers compute.

The time loop is a Python loop over a static number of steps up to ``MAX_UNROLL`` (unrolled
into the graph) and ``tf.scan`` beyond that or when the number of steps is only known at run
time; both run eagerly and under ``tf.function`` on Keras 2 and Keras 3. Measured on a 2-core
CPU (TF 2.15 and 2.21): for ``LSTM(64)`` on 8-step digits the unrolled training step took about
half the time of ``tf.scan`` and slightly less than Keras's own ``LSTM``; at 100 steps the
unrolled graph still trains faster but takes about 10 s to trace, hence the cap.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.compat import keras

__all__ = ["SimpleRNN", "GRU", "LSTM", "RECURRENT_LAYERS", "RecurrentTrace", "LinearTap",
           "EmbeddingTap", "TapRecorder", "record_taps", "tapped_dense", "tapped_lookup",
           "MAX_UNROLL"]

#: Sequences with a static length up to this many steps are unrolled with a Python loop;
#: longer or unknown lengths use ``tf.scan`` (tracing time grows with the unrolled length).
MAX_UNROLL = 128

_LOCAL = threading.local()


@dataclass(frozen=True)
class RecurrentTrace:
    """What one call of an rnnsec recurrent layer exposes to the per-example gradient engine.

    Attributes:
        layer: the layer that was called.
        inputs: per-step inputs ``x_t``, ``[B, T, D]``.
        prev_states: hidden state entering each step, ``h_{t-1}``, ``[B, T, H]`` (zeros at t=0;
            at a masked step, the state carried over it).
        input_tap: zero tensor added to ``x_t W + b``, ``[B, T, G*H]``; its gradient is
            ``dL/dz_t``. For LSTM and SimpleRNN the recurrent term is added to the same
            pre-activation, so this gradient also serves ``recurrent_kernel``.
        recurrent_tap: GRU only (``reset_after=True``): zero tensor added to
            ``h_{t-1} U + b_h``, ``[B, T, 3H]``; None for the other cells.
    """

    layer: keras.layers.Layer
    inputs: tf.Tensor
    prev_states: tf.Tensor
    input_tap: tf.Tensor
    recurrent_tap: tf.Tensor | None


@dataclass(frozen=True)
class LinearTap:
    """One use of weights as ``z = sum_k a_k W_k + b``, with a tap on ``z``.

    Every weight that enters a model linearly is recorded this way (Dense kernels, the
    recurrent layers' kernels at every step), so that example ``i``'s gradient of ``W_k`` is
    ``sum_t a_{k,i,t} g_{i,t}^T`` with ``g = dL/dz`` the gradient at the tap.

    Attributes:
        acts: tuples ``(a, variable, part)``: the activation ``a`` ``[B, ..., D]`` that
            multiplies ``variable`` (or its ``part``, see below) in ``z``.
        tap: the zero tensor added to ``z`` ``[B, ..., K']``, watched by the tape.
        cols: None, or ``(start, stop)``: only these columns of the tap belong to this use
            (``z`` is ``tap[..., start:stop]``; a GRU without ``reset_after`` multiplies its
            recurrent kernel's candidate block by ``r * h``, not ``h``).
        bias: None or ``(variable, part)``: the bias added to ``z``.

    A ``part`` is None (the whole variable), ``("row", i)`` (``variable[i]``: a GRU's
    ``(2, 3H)`` bias) or ``("cols", start, stop)`` (``variable[..., start:stop]``).
    """

    acts: tuple
    tap: tf.Tensor
    cols: tuple | None = None
    bias: tuple | None = None


@dataclass(frozen=True)
class EmbeddingTap:
    """One lookup ``e = table[ids]`` with a tap on ``e``.

    Attributes:
        ids: token ids ``[B, ...]`` (int32).
        tap: the zero tensor added to the looked-up vectors ``[B, ..., E]``.
        variable: the embedding table ``[V, E]``.
    """

    ids: tf.Tensor
    tap: tf.Tensor
    variable: object


class TapRecorder:
    """Collects the taps of every tapped layer called inside it.

    ``traces`` holds a :class:`RecurrentTrace` per call of an rnnsec recurrent layer;
    ``records`` holds every :class:`LinearTap` and :class:`EmbeddingTap` (recurrent layers,
    :func:`tapped_dense`, :func:`tapped_lookup`), which is what the fast per-example gradient
    engine reads.

    Args:
        tape: the ``tf.GradientTape`` that must watch the taps (it has to be recording while
            the model runs).
    """

    def __init__(self, tape: tf.GradientTape):
        if not isinstance(tape, tf.GradientTape):
            raise TypeError(f"tape must be a tf.GradientTape, got {type(tape).__name__}")
        self.tape = tape
        self.traces: list[RecurrentTrace] = []
        self.records: list[LinearTap | EmbeddingTap] = []

    def new_tap(self, like: tf.Tensor) -> tf.Tensor:
        """A zero tensor shaped like ``like`` that the tape watches."""
        tap = tf.zeros_like(like)
        self.tape.watch(tap)
        return tap


@contextlib.contextmanager
def record_taps(tape: tf.GradientTape) -> Iterator[TapRecorder]:
    """Context manager: rnnsec recurrent layers called inside it record their taps.

    Args:
        tape: a recording ``tf.GradientTape``.

    Yields:
        The :class:`TapRecorder`; its ``traces`` list fills as layers are called.

    Used by the fast per-example gradient engine of
    :func:`~rnnsec.privacy.clipping.clipped_gradient_sum`.
    """
    recorder = TapRecorder(tape)
    stack = _recorder_stack()
    stack.append(recorder)
    try:
        yield recorder
    finally:
        stack.pop()


def tapped_dense(x: tf.Tensor, kernel, bias=None) -> tf.Tensor:
    """``x W + b`` over the last axis of ``x``, recorded as a :class:`LinearTap` when recording.

    Use it inside a layer's ``call`` to make the layer's weights visible to the fast
    per-example gradient engine (``rnnsec.privacy.fast_layers.register_fast_layer``).

    Args:
        x: ``[B, ..., D]``.
        kernel: the ``[D, K]`` weight variable.
        bias: None or the ``[K]`` bias variable.

    Returns:
        ``[B, ..., K]``.

    Goodfellow 2015 (per-example gradients of a linear layer). Used by the fast engine's twin of
    ``keras.layers.Dense`` and by custom twins (see ``register_fast_layer``).
    """
    z = tf.tensordot(x, tf.convert_to_tensor(kernel), axes=1)  # [B, ..., K]
    if bias is not None:
        z = z + tf.convert_to_tensor(bias)
    recorder = _active_recorder()
    if recorder is None:
        return z
    tap = recorder.new_tap(z)
    recorder.records.append(LinearTap(acts=((x, kernel, None),), tap=tap,
                                      bias=None if bias is None else (bias, None)))
    return z + tap


def tapped_lookup(ids: tf.Tensor, table) -> tf.Tensor:
    """``table[ids]``, recorded as an :class:`EmbeddingTap` when recording.

    Args:
        ids: integer ids ``[B, ...]``.
        table: the ``[V, E]`` embedding variable.

    Returns:
        ``[B, ..., E]``.

    Used by the fast engine's twin of ``keras.layers.Embedding`` (per-example gradients of an
    embedding).
    """
    ids = tf.cast(ids, tf.int32)
    out = tf.gather(tf.convert_to_tensor(table), ids)  # [B, ..., E]
    recorder = _active_recorder()
    if recorder is None:
        return out
    tap = recorder.new_tap(out)
    recorder.records.append(EmbeddingTap(ids=ids, tap=tap, variable=table))
    return out + tap


def _recorder_stack() -> list[TapRecorder]:
    if not hasattr(_LOCAL, "stack"):
        _LOCAL.stack = []
    return _LOCAL.stack


def _active_recorder() -> TapRecorder | None:
    stack = _recorder_stack()
    return stack[-1] if stack else None


class _Recurrent(keras.layers.Layer):
    """Shared machinery: weights, masking, the time loop and the taps. Subclasses define a cell.

    Subclasses set ``GATES`` (G) and implement ``_step``. Every cell has the form
    ``z_t = x_t W + b`` (all steps at once, outside the loop) followed by a step that adds the
    recurrent term and updates the state.
    """

    GATES = 1

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 return_sequences: bool = False, go_backwards: bool = False,
                 zero_output_for_mask: bool = False, **kwargs):
        super().__init__(**kwargs)
        check_number("units", units, low=1, integer=True)
        for name, value in (("use_bias", use_bias), ("return_sequences", return_sequences),
                            ("go_backwards", go_backwards),
                            ("zero_output_for_mask", zero_output_for_mask)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, got {value!r}")
        self.go_backwards = go_backwards
        self.zero_output_for_mask = zero_output_for_mask
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.return_sequences = return_sequences
        self.supports_masking = True

    # ----------------------------------------------------------------------------- weights
    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} expects inputs [batch, steps, features] "
                             f"with a known number of features, got shape {input_shape}")
        features, width = int(input_shape[-1]), self.GATES * self.units
        self.kernel = self.add_weight(name="kernel", shape=(features, width),
                                      initializer=self.kernel_initializer)  # [D, G*H]
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.units, width),
            initializer=self.recurrent_initializer)  # [H, G*H]
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=self._bias_shape(),
                                        initializer=self._bias_init())
        else:
            self.bias = None
        self.built = True

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.GATES * self.units,)  # [G*H]

    def _bias_init(self):
        return self.bias_initializer

    def _input_bias(self) -> tf.Tensor:
        """The bias added to ``x_t W`` (the whole bias, except for GRU)."""
        return tf.convert_to_tensor(self.bias)

    # ----------------------------------------------------------------------------- forward
    def call(self, inputs, mask=None):
        x = tf.convert_to_tensor(inputs)
        x = tf.cast(x, self.compute_dtype)  # [B, T, D]
        if mask is not None:
            mask = tf.cast(mask, tf.bool)  # [B, T]
        if self.go_backwards:  # Keras's rule: inputs and mask reversed, outputs not
            x = tf.reverse(x, axis=[1])
            mask = None if mask is None else tf.reverse(mask, axis=[1])
        z = tf.tensordot(x, tf.convert_to_tensor(self.kernel), axes=1)  # [B, T, G*H]
        if self.use_bias:
            z = z + self._input_bias()
        recorder = _active_recorder()
        input_tap = recurrent_tap = None
        if recorder is not None:
            input_tap = recorder.new_tap(z)
            z = z + input_tap
            if self._has_recurrent_tap():
                recurrent_tap = recorder.new_tap(z)  # [B, T, 3H]
        weights = self._step_weights()
        states = self._run(z, mask, recurrent_tap, weights)  # per state: T x [B, H] / [B, T, H]
        outputs = states[0]
        if recorder is not None:
            trace = RecurrentTrace(layer=self, inputs=x, prev_states=_previous_states(outputs),
                                   input_tap=input_tap, recurrent_tap=recurrent_tap)
            recorder.traces.append(trace)
            recorder.records.extend(self._linear_taps(trace, states))
        return self._outputs(outputs, mask)

    def _outputs(self, outputs, mask) -> tf.Tensor:
        """The layer's output: every step ``[B, T, H]`` or the last ``[B, H]``."""
        seq = _stacked(outputs)  # [B, T, H]
        last = seq[:, -1]  # [B, H]
        if self.zero_output_for_mask and mask is not None:  # Keras: zeros at masked steps
            seq = tf.where(mask[:, :, None], seq, tf.zeros_like(seq))
            last = tf.where(mask[:, -1:], last, tf.zeros_like(last))
        return seq if self.return_sequences else last

    def _linear_taps(self, trace: RecurrentTrace, states) -> list[LinearTap]:
        """How the weights enter the pre-activations (LSTM, SimpleRNN: one shared ``z``)."""
        bias = (self.bias, None) if self.use_bias else None
        return [LinearTap(acts=((trace.inputs, self.kernel, None),
                                (trace.prev_states, self.recurrent_kernel, None)),
                          tap=trace.input_tap, bias=bias)]

    def _has_recurrent_tap(self) -> bool:
        return False

    def _step_weights(self) -> tuple[tf.Tensor, ...]:
        """Weights used inside the loop, read once per call: ``recurrent_kernel [H, G*H]``."""
        return (tf.convert_to_tensor(self.recurrent_kernel),)

    def _run(self, z, mask, recurrent_tap, weights) -> list:
        """Run the time loop; return, per state, its value after every step.

        Per state a list of T tensors ``[B, H]`` when unrolled (stacking them only when needed
        keeps the backward pass lean), a ``[B, T, H]`` tensor from ``tf.scan``. State 0 is the
        hidden state (the output).
        """
        batch = tf.shape(z)[0]
        init = [tf.zeros([batch, self.units], dtype=z.dtype)] * self._num_states()  # [B, H]
        steps = z.shape[1]
        if steps is not None and steps <= MAX_UNROLL:
            return self._run_unrolled(z, mask, recurrent_tap, weights, init, steps)
        return self._run_scan(z, mask, recurrent_tap, weights, init)

    def _run_unrolled(self, z, mask, recurrent_tap, weights, states, steps) -> list:
        """Python loop over a static number of steps (one ``unstack``, not T slices)."""
        z_steps = tf.unstack(z, num=steps, axis=1)  # T x [B, G*H]
        taps = (tf.unstack(recurrent_tap, num=steps, axis=1) if recurrent_tap is not None
                else [None] * steps)
        masks = tf.unstack(mask, num=steps, axis=1) if mask is not None else None  # T x [B]
        history = [[] for _ in states]
        for t in range(steps):
            new = self._step(z_steps[t], states, taps[t], weights)
            states = new if masks is None else _keep_masked(masks[t], new, states)
            for seq, state in zip(history, states, strict=True):
                seq.append(state)
        return history

    def _run_scan(self, z, mask, recurrent_tap, weights, init) -> list:
        """``tf.scan`` over time for sequences whose length is known only at run time."""
        z_tm = tf.transpose(z, [1, 0, 2])  # [T, B, G*H]
        mask_tm = (tf.ones(tf.shape(z)[:2], tf.bool) if mask is None else mask)
        mask_tm = tf.transpose(mask_tm, [1, 0])  # [T, B]
        tap_tm = z_tm if recurrent_tap is None else tf.transpose(recurrent_tap, [1, 0, 2])
        use_tap = recurrent_tap is not None

        def step(states, elems):
            z_t, m_t, tap_t = elems
            new = self._step(z_t, list(states), tap_t if use_tap else None, weights)
            return tuple(_keep_masked(m_t, new, list(states)))

        out = tf.scan(step, (z_tm, mask_tm, tap_tm), initializer=tuple(init))
        return [tf.transpose(o, [1, 0, 2]) for o in out]  # per state [B, T, H]

    def _num_states(self) -> int:
        return 1

    def _step(self, z_t, states, recurrent_tap_t, weights) -> list[tf.Tensor]:
        """One time step: pre-activation ``z_t`` ``[B, G*H]`` and states -> new states."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------- Keras API
    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None  # never reversed (Keras's rule)

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "return_sequences": self.return_sequences,
            "go_backwards": self.go_backwards,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        return config


def _stacked(seq: list[tf.Tensor] | tf.Tensor) -> tf.Tensor:
    """T x ``[B, H]`` (or ``[B, T, H]``) -> ``[B, T, H]``."""
    return seq if tf.is_tensor(seq) else tf.stack(seq, axis=1)


def _previous_states(outputs: list[tf.Tensor] | tf.Tensor) -> tf.Tensor:
    """``h_{t-1}`` for every step: zeros, then the states after steps 0..T-2. ``[B, T, H]``."""
    if tf.is_tensor(outputs):  # [B, T, H]
        return tf.concat([tf.zeros_like(outputs[:, :1]), outputs[:, :-1]], axis=1)
    return tf.stack([tf.zeros_like(outputs[0])] + outputs[:-1], axis=1)


def _keep_masked(mask_t: tf.Tensor, new: list, old: list) -> list:
    """Keras's masking rule: where ``mask_t`` is False the state is carried unchanged."""
    keep = mask_t[:, None]  # [B, 1]
    return [tf.where(keep, n, o) for n, o in zip(new, old, strict=True)]


@keras.utils.register_keras_serializable(package="rnnsec")
class SimpleRNN(_Recurrent):
    """Fully connected RNN, ``h_t = tanh(x_t W + h_{t-1} U + b)``; drop-in for Keras's.

    Args:
        units: hidden size H.
        activation: the state activation (default tanh).
        use_bias: whether to add ``b`` ``[H]``.
        return_sequences: return ``[B, T, H]`` (every step) instead of ``[B, H]``.
        **kwargs: the Keras initializer arguments and ``name`` (``recurrent_activation`` is
            unused).

    Elman 1990. Chapter 4.1 analyses this network (with Keras's ``SimpleRNN``); build it with
    ``models.sequence_classifier(..., cell="simple_rnn", implementation="rnnsec")``.
    """

    GATES = 1

    def _step(self, z_t, states, recurrent_tap_t, weights):
        (h,), (u,) = states, weights  # [B, H], [H, H]
        return [self.activation(z_t + tf.matmul(h, u))]  # [B, H]

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("recurrent_activation")
        return config


@keras.utils.register_keras_serializable(package="rnnsec")
class LSTM(_Recurrent):
    """Long short-term memory layer with gates ``i, f, c, o``; drop-in for Keras's ``LSTM``.

    ``z_t = x_t W + h_{t-1} U + b`` ``[B, 4H]``; ``c_t = f * c_{t-1} + i * tanh(g)``;
    ``h_t = o * tanh(c_t)``.

    Args:
        units: hidden size H.
        activation: cell and output activation (default tanh).
        recurrent_activation: gate activation (default sigmoid).
        use_bias: whether to add ``b`` ``[4H]``.
        unit_forget_bias: initialise the forget gate's bias to 1 (Jozefowicz et al. 2015).
        return_sequences: return ``[B, T, H]`` instead of ``[B, H]``.
        **kwargs: the Keras initializer arguments and ``name``.

    Hochreiter and Schmidhuber 1997. Chapter 1 (the article's model, with Keras's ``LSTM``) and
    Chapter 3.2 (this layer, built with ``implementation="rnnsec"``).
    """

    GATES = 4

    def __init__(self, units: int, *, unit_forget_bias: bool = True, **kwargs):
        if not isinstance(unit_forget_bias, bool):
            raise TypeError(f"unit_forget_bias must be a bool, got {unit_forget_bias!r}")
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def _bias_init(self) -> Callable:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def init(shape, dtype=None, **kwargs):
            return tf.concat([base((units,), dtype=dtype), tf.ones((units,), dtype=dtype),
                              base((2 * units,), dtype=dtype)], axis=0)  # [4H]: i, f, c, o

        return init

    def _num_states(self) -> int:
        return 2

    def _step(self, z_t, states, recurrent_tap_t, weights):
        (h, c), (u,) = states, weights  # [B, H], [B, H], [H, 4H]
        z = z_t + tf.matmul(h, u)  # [B, 4H]
        i, f, g, o = tf.split(z, 4, axis=-1)  # 4 x [B, H]
        sig = self.recurrent_activation
        c = sig(f) * c + sig(i) * self.activation(g)  # [B, H]
        h = sig(o) * self.activation(c)  # [B, H]
        return [h, c]

    def get_config(self) -> dict:
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


@keras.utils.register_keras_serializable(package="rnnsec")
class GRU(_Recurrent):
    """Gated recurrent unit with gates ``z, r, h``; drop-in for Keras's ``GRU``.

    ``reset_after=True`` (Keras's default): ``x_t W + b_x`` and ``h_{t-1} U + b_h`` ``[B, 3H]``
    are kept apart because the reset gate multiplies the recurrent candidate:
    ``hh = tanh(x_h + r * (h U_h + b_hh))``; the bias is ``(2, 3H)`` (row 0 input, row 1
    recurrent). ``reset_after=False`` (Cho et al.'s original form):
    ``hh = tanh(x_h + (r * h) U_h + b_h)`` with a ``[3H]`` bias. Both:
    ``h_t = z * h_{t-1} + (1 - z) * hh``.

    Args:
        units: hidden size H.
        activation: candidate activation (default tanh).
        recurrent_activation: gate activation (default sigmoid).
        use_bias: whether to add the bias.
        reset_after: where the reset gate acts (above).
        return_sequences: return ``[B, T, H]`` instead of ``[B, H]``.
        **kwargs: the Keras initializer arguments and ``name``.

    Cho et al. 2014. Chapter 1 (an exercise, with Keras's ``GRU``); build this one with
    ``models.sequence_classifier(..., cell="gru", implementation="rnnsec")``.
    """

    GATES = 3

    def __init__(self, units: int, *, reset_after: bool = True, **kwargs):
        if not isinstance(reset_after, bool):
            raise TypeError(f"reset_after must be a bool, got {reset_after!r}")
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)  # [2, 3H] / [3H]

    def _input_bias(self) -> tf.Tensor:
        bias = tf.convert_to_tensor(self.bias)
        return bias[0] if self.reset_after else bias  # [3H]

    def _has_recurrent_tap(self) -> bool:
        return self.reset_after

    def _num_states(self) -> int:
        return 1 if self.reset_after else 2  # reset_after=False also carries r_t * h_{t-1}

    def _step_weights(self) -> tuple[tf.Tensor, ...]:
        """``recurrent_kernel [H, 3H]`` and the recurrent bias ``[3H]`` (or None)."""
        bias = (tf.convert_to_tensor(self.bias)[1] if self.use_bias and self.reset_after
                else None)
        return tf.convert_to_tensor(self.recurrent_kernel), bias

    def _step(self, z_t, states, recurrent_tap_t, weights):
        if not self.reset_after:
            return self._step_reset_before(z_t, states[0], weights[0])
        (h,), (u, recurrent_bias) = states, weights  # [B, H], [H, 3H], [3H]
        r_all = tf.matmul(h, u)  # [B, 3H]
        if recurrent_bias is not None:
            r_all = r_all + recurrent_bias
        if recurrent_tap_t is not None:
            r_all = r_all + recurrent_tap_t
        x_z, x_r, x_h = tf.split(z_t, 3, axis=-1)  # 3 x [B, H]
        r_z, r_r, r_h = tf.split(r_all, 3, axis=-1)  # 3 x [B, H]
        sig = self.recurrent_activation
        update = sig(x_z + r_z)
        reset = sig(x_r + r_r)
        candidate = self.activation(x_h + reset * r_h)
        return [update * h + (1.0 - update) * candidate]  # [B, H]

    def _step_reset_before(self, z_t, h, u):
        """``reset_after=False``: new ``h`` and ``r_t * h_{t-1}`` (what multiplies ``U_h``)."""
        units = self.units
        x_zr, x_h = z_t[:, :2 * units], z_t[:, 2 * units:]  # [B, 2H], [B, H]
        gates = self.recurrent_activation(x_zr + tf.matmul(h, u[:, :2 * units]))  # [B, 2H]
        update, reset = gates[:, :units], gates[:, units:]
        reset_h = reset * h  # [B, H]
        candidate = self.activation(x_h + tf.matmul(reset_h, u[:, 2 * units:]))
        return [update * h + (1.0 - update) * candidate, reset_h]

    def _linear_taps(self, trace: RecurrentTrace, states) -> list[LinearTap]:
        """reset_after: two pre-activations; else one, whose candidate block sees ``r h``."""
        if self.reset_after:
            rows = ((self.bias, ("row", 0)), (self.bias, ("row", 1))) if self.use_bias else (
                None, None)
            return [LinearTap(acts=((trace.inputs, self.kernel, None),), tap=trace.input_tap,
                              bias=rows[0]),
                    LinearTap(acts=((trace.prev_states, self.recurrent_kernel, None),),
                              tap=trace.recurrent_tap, bias=rows[1])]
        two = 2 * self.units
        three = 3 * self.units
        return [
            LinearTap(acts=((trace.inputs, self.kernel, None),), tap=trace.input_tap,
                      bias=(self.bias, None) if self.use_bias else None),
            LinearTap(acts=((trace.prev_states, self.recurrent_kernel, ("cols", 0, two)),),
                      tap=trace.input_tap, cols=(0, two)),
            LinearTap(acts=((_stacked(states[1]), self.recurrent_kernel,
                             ("cols", two, three)),), tap=trace.input_tap, cols=(two, three)),
        ]

    def get_config(self) -> dict:
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


RECURRENT_LAYERS: dict[str, type[_Recurrent]] = {
    "lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN,
}
