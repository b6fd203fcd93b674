"""Secure inference of a recurrent classifier (SimpleRNN, GRU or LSTM, then Dense) under MPC.

The client holds a sequence x, the model owner holds trained weights; neither shows the other
its input. The client secret-shares x, the model owner shares the weights (party 0 plays the
client, party 1 the model owner, party 2 a helper server when there are three), the parties
run the network on shares, and only the client receives the logits.

The cell equations are written once (``_run``) and executed twice: on NumPy arrays for the
plaintext reference :func:`rnn_forward`, and on shared tensors for :func:`secure_rnn_predict`.
Weights use the Keras layout, the list that ``model.get_weights()`` returns for a model made
of one recurrent layer and one Dense layer:

* SimpleRNN: kernel (D, H), recurrent_kernel (H, H), bias (H,); h = tanh(x W + h U + b).
* LSTM: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,), gates i, f, c, o (sigmoid
  recurrent activation, as in Keras 2 and 3).
* GRU (``reset_after=True``, the Keras default): kernel (D, 3H), recurrent_kernel (H, 3H),
  bias (2, 3H) (input bias, recurrent bias), gates z, r, h;
  h_new = z * h + (1 - z) * tanh(x W_h + b_h + r * (h U_h + c_h)).
* then Dense: kernel (H, C), bias (C,), giving the logits (any softmax is left out; it does
  not change the argmax).

Variable-length sequences (right padding) take ``lengths``: the state stops changing after a
sequence's last real step, as with a Keras mask. The lengths are public to all parties (the
usual choice in secure inference: only the padded length would hide them).

Taught in Chapter 3.3 (secure RNN inference), after SiRNN (Rathee et al., 2021) and CrypTen
(Knott et al., 2021).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import trange

from rnnsec._validate import (
    as_float_array,
    as_int_array,
    check_choice,
    check_number,
    check_same_length,
)
from rnnsec.mpc import functions as F
from rnnsec.mpc.session import Session, SharedTensor, concatenate

CELLS = ("simple_rnn", "gru", "lstm")
_GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}
CLIENT, MODEL_OWNER = 0, 1
_OPTIONS = {"degree", "bound", "exp_iterations", "exp_order"}


# ---- weights ----------------------------------------------------------------------------------
def check_rnn_weights(weights, cell: str) -> list[np.ndarray]:
    """Validate a Keras-layout weight list for ``cell`` and return it as float64 arrays.

    Args:
        weights: ``[kernel, recurrent_kernel, bias, dense_kernel, dense_bias]`` as returned by
            ``model.get_weights()`` for ``Sequential([RNN layer, Dense])`` (module docstring).
        cell: ``"simple_rnn"``, ``"gru"`` or ``"lstm"``.

    Returns:
        The five arrays (float64). Raises ValueError naming ``weights[i]`` and the expected
        shape on any mismatch.
    """
    check_choice("cell", cell, CELLS)
    if not isinstance(weights, list | tuple) or len(weights) != 5:
        got = len(weights) if isinstance(weights, list | tuple) else type(weights).__name__
        raise ValueError("weights must be a list of 5 arrays [kernel, recurrent_kernel, bias, "
                         f"dense_kernel, dense_bias] (Keras layout), got {got}")
    arrays = [as_float_array(f"weights[{i}]", w).astype(np.float64)
              for i, w in enumerate(weights)]
    if arrays[0].ndim != 2 or arrays[3].ndim != 2:
        raise ValueError(f"weights[0] and weights[3] must be 2-D kernels, got shapes "
                         f"{arrays[0].shape} and {arrays[3].shape}")
    d, gh = arrays[0].shape
    g = _GATES[cell]
    if gh % g:
        raise ValueError(f"weights[0] must have shape (D, {g}H) for {cell}, got {arrays[0].shape}")
    h = gh // g
    c = arrays[3].shape[1]
    bias = (2, g * h) if cell == "gru" else (g * h,)
    expected = [(d, g * h), (h, g * h), bias, (h, c), (c,)]
    for i, (arr, shape) in enumerate(zip(arrays, expected, strict=True)):
        if arr.shape != shape:
            hint = (" (GRU needs reset_after=True, whose bias has shape (2, 3H))"
                    if cell == "gru" and i == 2 else "")
            raise ValueError(f"weights[{i}] must have shape {shape} for a {cell} with D={d}, "
                             f"H={h}, C={c}; got {arr.shape}{hint}")
    return arrays


def _check_inputs(weights, x, cell: str, lengths) -> tuple[list, np.ndarray, np.ndarray | None]:
    arrays = check_rnn_weights(weights, cell)
    x = as_float_array("x", x, ndim=3)
    if x.shape[2] != arrays[0].shape[0]:
        raise ValueError(f"x must have shape (batch, steps, {arrays[0].shape[0]}) to match "
                         f"weights[0], got {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must hold at least one sequence of at least one step, got {x.shape}")
    masks = None
    if lengths is not None:
        lengths = as_int_array("lengths", lengths, ndim=1, low=1, high=x.shape[1] + 1)
        check_same_length(x=x, lengths=lengths)
        masks = (np.arange(x.shape[1])[None, :] < lengths[:, None]).astype(np.int64)  # [B, T]
    return arrays, x, masks


# ---- the cell equations, for arrays and for shares ---------------------------------------------
class _PlainOps:
    """NumPy versions of the operations the cells use."""

    @staticmethod
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|

    tanh = staticmethod(np.tanh)
    concat = staticmethod(np.concatenate)

    @staticmethod
    def zeros(shape):
        return np.zeros(shape)

    def sigmoid_tanh(self, z, tanh_columns):
        return np.where(tanh_columns, np.tanh(z), self.sigmoid(z))


class _SecureOps:
    """The same operations on shared tensors (rnnsec.mpc.functions)."""

    def __init__(self, session: Session, method: str, options: dict):
        self.session, self.method, self.options = session, method, options

    def sigmoid(self, z):
        return F.sigmoid(z, self.method, **self.options)

    def tanh(self, z):
        return F.tanh(z, self.method, **self.options)

    def sigmoid_tanh(self, z, tanh_columns):
        return F.sigmoid_tanh(z, tanh_columns, self.method, **self.options)

    @staticmethod
    def concat(tensors, axis=0):
        return concatenate(tensors, axis=axis)

    def zeros(self, shape):
        return self.session.constant(np.zeros(shape))


def _run(ops, params: list, x, cell: str, masks: np.ndarray | None, progress: bool):
    """The classifier's forward pass, written once for ``_PlainOps`` and ``_SecureOps``."""
    kernel, recurrent, bias, dense_kernel, dense_bias = params
    batch, steps, dim = x.shape
    units = recurrent.shape[0]
    bias_in, bias_rec = (bias[0], bias[1]) if cell == "gru" else (bias, None)
    # input projections of all steps in one product: [B*T, D] @ [D, G*H] -> [B, T, G*H]
    xw = (x.reshape(batch * steps, dim) @ kernel + bias_in).reshape(batch, steps, -1)
    h = ops.zeros((batch, units))  # [B, H]
    c = ops.zeros((batch, units)) if cell == "lstm" else None
    tanh_columns = np.repeat(np.array([False, False, True, False]), units)  # LSTM gate c
    for t in trange(steps, disable=not progress, desc=f"secure {cell}" if progress else None):
        xt = xw[:, t]  # [B, G*H]
        c_new = None
        if cell == "simple_rnn":
            h_new = ops.tanh(xt + h @ recurrent)
        elif cell == "lstm":
            gates = ops.sigmoid_tanh(xt + h @ recurrent, tanh_columns)  # [B, 4H]: i, f, c, o
            i, f = gates[:, :units], gates[:, units:2 * units]
            g, o = gates[:, 2 * units:3 * units], gates[:, 3 * units:]
            # f * c and i * g as one elementwise product of [B, 2H] tensors (one round)
            prod = ops.concat([f, i], axis=1) * ops.concat([c, g], axis=1)
            c_new = prod[:, :units] + prod[:, units:]
            h_new = o * ops.tanh(c_new)
        else:  # gru, reset_after=True
            hu = h @ recurrent + bias_rec  # [B, 3H]: z, r, h parts
            zr = ops.sigmoid(xt[:, :2 * units] + hu[:, :2 * units])  # [B, 2H]
            z, r = zr[:, :units], zr[:, units:]
            candidate = ops.tanh(xt[:, 2 * units:] + r * hu[:, 2 * units:])
            h_new = candidate + z * (h - candidate)  # z * h + (1 - z) * candidate
        if masks is None:
            h, c = h_new, c_new
        else:  # keep the old state where the sequence has ended (public 0/1, exact)
            m = masks[:, t:t + 1]  # [B, 1]
            h = m * h_new + (1 - m) * h
            c = m * c_new + (1 - m) * c if cell == "lstm" else None
    return h @ dense_kernel + dense_bias  # [B, C]


def rnn_forward(weights, x, cell: str = "lstm", lengths=None) -> np.ndarray:
    """Plaintext logits of a recurrent classifier from Keras-layout weights (NumPy only).

    Args:
        weights: ``model.get_weights()`` of ``Sequential([SimpleRNN|GRU|LSTM(H), Dense(C)])``.
        x: inputs [B, T, D].
        cell: ``"simple_rnn"``, ``"gru"`` or ``"lstm"``.
        lengths: optional [B] true lengths in [1, T] (right padding); the final state is the
            one after each sequence's last real step.

    Returns:
        Logits [B, C] (float64).

    Chapter 3.3 compares it with :func:`secure_rnn_predict`.
    """
    params, x, masks = _check_inputs(weights, x, cell, lengths)
    return _run(_PlainOps(), params, x.astype(np.float64), cell, masks, progress=False)


# ---- secure inference -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SecureInferenceResult:
    """What a secure inference produced and what it cost.

    Attributes:
        cell, method, parties: the network cell, the sigmoid/tanh method, the party count.
        logits: [B, C] logits revealed to the client.
        predictions: [B] argmax of the logits.
        plaintext_logits: [B, C] reference logits (None when not compared).
        agreement: fraction of sequences whose argmax matches the reference (or None).
        max_abs_error: largest ``|secure - reference|`` logit difference (or None).
        online_bytes, offline_bytes: bytes between the parties / from the dealer.
        bytes_sent: online bytes sent per party.
        rounds: online rounds (they do not grow with the batch: sequences run side by side).
        triples: Beaver triples consumed (arithmetic and binary).
        lower_bound_bytes: two openings per arithmetic Beaver multiplication.
        bytes_by_purpose: online bytes per purpose (where the bytes go).
        seconds: wall-clock time of the secure run (simulation in one process).
    """

    cell: str
    method: str
    parties: int
    logits: np.ndarray = field(repr=False)
    predictions: np.ndarray = field(repr=False)
    plaintext_logits: np.ndarray | None = field(repr=False)
    agreement: float | None
    max_abs_error: float | None
    online_bytes: int
    offline_bytes: int
    bytes_sent: dict
    rounds: int
    triples: int
    lower_bound_bytes: int
    seconds: float
    bytes_by_purpose: dict = field(repr=False, default_factory=dict)

    @property
    def sequences(self) -> int:
        return int(self.logits.shape[0])

    @property
    def bytes_per_sequence(self) -> float:
        return self.online_bytes / self.sequences

    @property
    def overhead(self) -> float:
        """Online bytes over the Beaver lower bound."""
        return self.online_bytes / self.lower_bound_bytes if self.lower_bound_bytes else np.nan

    def as_dict(self) -> dict:
        """Scalar fields for a table row (arrays left out)."""
        keys = ("cell", "method", "parties", "sequences", "agreement", "max_abs_error",
                "online_bytes", "offline_bytes", "bytes_per_sequence", "rounds", "triples",
                "lower_bound_bytes", "overhead", "seconds")
        return {k: getattr(self, k) for k in keys}

    def __repr__(self) -> str:
        agree = "" if self.agreement is None else (
            f", agreement={self.agreement:.3f}, max_abs_error={self.max_abs_error:.2e}")
        return (f"SecureInferenceResult(cell={self.cell!r}, parties={self.parties}, "
                f"sequences={self.sequences}{agree}, online={self.online_bytes / 1e6:.2f} MB, "
                f"rounds={self.rounds}, triples={self.triples}, "
                f"overhead={self.overhead:.2f}x, seconds={self.seconds:.2f})")


def secure_rnn_predict(session: Session, weights, x, cell: str = "lstm", lengths=None,
                       progress: bool = False, *, method: str = "reciprocal",
                       function_options: dict | None = None, plaintext_logits=None,
                       compare: bool = True) -> SecureInferenceResult:
    """Run a recurrent classifier on secret-shared inputs and weights; reveal logits to the client.

    Protocol: party 0 (client) shares x and party 1 (model owner) shares the weights, in one
    round; the parties evaluate the network (Beaver products for every matrix and elementwise
    product, :mod:`rnnsec.mpc.functions` for sigmoid and tanh, truncation after each
    fixed-point product); the logits are opened to party 0 only.

    Args:
        session: the MPC session (2 or 3 parties); create it with ``keep_views=False`` for
            large batches, since views keep a copy of every message.
        weights: Keras-layout weights (see :func:`check_rnn_weights`).
        x: client inputs [B, T, D] (all B sequences run side by side).
        cell: ``"simple_rnn"``, ``"gru"`` or ``"lstm"``.
        lengths: optional public [B] lengths (right padding).
        progress: show a progress bar over time steps.
        method: sigmoid/tanh method, ``"reciprocal"``, ``"poly"`` or ``"piecewise"``.
        function_options: keyword arguments of :func:`rnnsec.mpc.sigmoid` (e.g.
            ``{"exp_order": 3, "exp_iterations": 4}``, more accurate than CrypTen's default).
        plaintext_logits: reference logits [B, C] to compare with (e.g. from Keras); when None
            and ``compare``, :func:`rnn_forward` computes them.
        compare: compute agreement and error against the reference.

    Returns:
        A :class:`SecureInferenceResult`.

    CrypTen-style secure inference (Knott et al., 2021) of the RNNs of SiRNN (Rathee et al.,
    2021); Chapter 3.3.
    """
    if not isinstance(session, Session):
        raise TypeError(f"session must be a Session, got {type(session).__name__}")
    check_choice("method", method, F.SIGMOID_METHODS)
    if not isinstance(compare, bool) or not isinstance(progress, bool):
        raise TypeError("compare and progress must be True or False")
    if function_options is None:
        function_options = {}
    if not isinstance(function_options, dict) or not set(function_options) <= _OPTIONS:
        raise ValueError(f"function_options must be a dict with keys among {sorted(_OPTIONS)}, "
                         f"got {function_options!r}")
    params, x, masks = _check_inputs(weights, x, cell, lengths)
    reference = None
    if plaintext_logits is not None:
        reference = as_float_array("plaintext_logits", plaintext_logits, ndim=2)
        if reference.shape != (x.shape[0], params[3].shape[1]):
            raise ValueError(f"plaintext_logits must have shape {(x.shape[0], params[3].shape[1])}"
                             f", got {reference.shape}")
    mark, start = session.mark(), time.perf_counter()
    shared = session.share_many([(x.astype(np.float64), CLIENT, "x")] +
                                [(w, MODEL_OWNER, f"weights[{i}]") for i, w in enumerate(params)])
    ops = _SecureOps(session, method, function_options)
    logits_shared: SharedTensor = _run(ops, shared[1:], shared[0], cell, masks, progress)
    logits = logits_shared.reveal(to=CLIENT)
    seconds = time.perf_counter() - start
    stats = session.stats(since=mark)
    agreement = max_err = None
    if compare:
        if reference is None:
            reference = rnn_forward(params, x, cell, lengths)
        agreement = float(np.mean(logits.argmax(axis=1) == reference.argmax(axis=1)))
        max_err = float(np.max(np.abs(logits - reference)))
    return SecureInferenceResult(
        cell=cell, method=method, parties=session.parties, logits=logits,
        predictions=logits.argmax(axis=1), plaintext_logits=reference, agreement=agreement,
        max_abs_error=max_err, online_bytes=stats.online_bytes,
        offline_bytes=stats.offline_bytes, bytes_sent=stats.bytes_sent, rounds=stats.rounds,
        triples=stats.triples, lower_bound_bytes=stats.lower_bound_bytes, seconds=seconds,
        bytes_by_purpose=stats.bytes_by_purpose)


def random_rnn_weights(cell: str, input_dim: int, units: int, classes: int, *,
                       seed: int = 0) -> list[np.ndarray]:
    """Random weights in the Keras layout (Glorot-uniform kernels, small random biases).

    For tests and benchmarks when no trained model is at hand. Chapter 3.3.
    """
    check_choice("cell", cell, CELLS)
    for name, v in (("input_dim", input_dim), ("units", units), ("classes", classes)):
        check_number(name, v, low=1, high=4096, integer=True)
    rng = np.random.default_rng(seed)
    g = _GATES[cell]

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    bias_shape = (2, g * units) if cell == "gru" else (g * units,)
    return [glorot(input_dim, g * units), glorot(units, g * units),
            rng.normal(0.0, 0.1, size=bias_shape), glorot(units, classes),
            rng.normal(0.0, 0.1, size=classes)]
