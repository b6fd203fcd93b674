"""Certified robustness of a recurrent classifier: logit and margin bounds, certified accuracy.

An example is *certified* at radius ``epsilon`` when a lower bound of ``logit_y - logit_j`` is
positive for every other class ``j`` over the whole perturbation set: no input in the set,
found by any attack, can change the prediction. Certified accuracy is therefore a lower bound
on robust accuracy, and an attack's robust accuracy an upper bound.

``method="ibp"``: interval bounds (Gowal et al. 2018), every cell. ``method="linear"``:
back-substituted linear bounds (Zhang et al. 2018; Ko et al. 2019; Du et al. 2021) for
SimpleRNN and LSTM, never looser than IBP on the same input. Chapter 4.3.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from rnnsec._validate import as_int_array, check_choice, check_number
from rnnsec.certify.inputs import InputSet, input_box
from rnnsec.certify.interval import interval_trace, rows_lower
from rnnsec.certify.linear import linear_lower_bound
from rnnsec.certify.network import RecurrentNetwork, read_network
from rnnsec.stats import Interval, proportion_interval

__all__ = ["METHODS", "CertificationResult", "logit_bounds", "margin_bounds", "certify"]

METHODS = ("ibp", "linear")
_DTYPE = tf.float64


@dataclass(frozen=True)
class CertificationResult:
    """Which examples are certified at one radius.

    Attributes:
        method: ``"ibp"`` or ``"linear"``.
        epsilon: the L-inf radius (a number, or the per-step budgets given).
        k: at most ``k`` steps perturbed, or None (every step).
        certified: ``[N]`` bool: the prediction provably stays ``y`` on the whole set.
        margin_lower: ``[N]`` lower bound of ``logit_y - max_{j != y} logit_j``.
        seconds: wall time of the bounds.
    """

    method: str
    epsilon: object
    k: int | None
    certified: np.ndarray = field(repr=False)
    margin_lower: np.ndarray = field(repr=False)
    seconds: float

    @property
    def certified_accuracy(self) -> float:
        """Fraction of examples certified (a lower bound on robust accuracy)."""
        return float(np.mean(self.certified))

    def interval(self, level: float = 0.95) -> Interval:
        """Wilson interval of the certified accuracy over the examples."""
        return proportion_interval(self.certified_accuracy, n=len(self.certified), level=level)

    def as_dict(self) -> dict:
        ci = self.interval()
        return {"method": self.method, "epsilon": self.epsilon, "k": self.k,
                "certified_accuracy": self.certified_accuracy, "low": ci.low,
                "high": ci.high, "n": len(self.certified), "seconds": self.seconds}

    def __repr__(self) -> str:
        return (f"CertificationResult(method={self.method!r}, epsilon={self.epsilon!r}, "
                f"k={self.k}, certified_accuracy={self.interval().text()}, "
                f"n={len(self.certified)}, seconds={self.seconds:.2f})")


def _prepare(model, x, epsilon, method, clip_min, clip_max, k, batch_size):
    check_choice("method", method, METHODS)
    check_number("batch_size", batch_size, low=1, integer=True)
    net = read_network(model)
    if method == "linear" and net.cell == "gru":
        raise ValueError("method='linear' covers simple_rnn and lstm cells; use method='ibp' "
                         "for a GRU")
    box = input_box(x, epsilon, mask_value=net.mask_value, clip_min=clip_min,
                    clip_max=clip_max, k=k)
    return net, box


def _tensors(net: RecurrentNetwork, box: InputSet):
    """Box centre, radius and mask as tensors, in the order the layer reads the steps."""
    center, radius, mask = box.center, box.radius, box.mask
    if net.go_backwards:
        center, radius, mask = center[:, ::-1], radius[:, ::-1], mask[:, ::-1]
    return (tf.constant(np.ascontiguousarray(center), _DTYPE),
            tf.constant(np.ascontiguousarray(radius), _DTYPE), tf.constant(mask.copy()))


def _rows_bound(net, box, spec_fn, method):
    """Lower bounds of ``spec . h_T + const`` for a batch; ``spec_fn(weights) -> spec, const``."""
    weights = net.tensors(_DTYPE)
    center, radius, mask = _tensors(net, box)
    spec, const = spec_fn(weights)
    if method == "linear":
        return linear_lower_bound(weights, net.cell, center, radius, mask, spec, const,
                                  k=box.k).numpy()
    h_lo, h_hi, _ = interval_trace(weights, net.cell, center - radius, center + radius, mask,
                                   reset_after=net.reset_after)
    return rows_lower(spec, const, h_lo, h_hi).numpy()


def _batched(n, batch_size, fn):
    return np.concatenate([fn(slice(i, min(i + batch_size, n)))
                           for i in range(0, n, batch_size)], axis=0)


def logit_bounds(model, x, epsilon, *, method: str = "linear", clip_min: float | None = None,
                 clip_max: float | None = None, k: int | None = None,
                 batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Certified lower and upper bounds of every logit over the L-inf box around ``x``.

    Args:
        model: ``[Masking] -> SimpleRNN/GRU/LSTM -> Dense`` (see ``read_network``).
        x: clean inputs ``[N, T, D]``.
        epsilon: L-inf radius (>= 0), or per-step budgets ``[T]`` / ``[N, T]``.
        method: ``"ibp"`` (every cell) or ``"linear"`` (SimpleRNN, LSTM).
        clip_min, clip_max: valid input range (None = unbounded).
        k: at most ``k`` steps perturbed, chosen by the attacker (None: all).
        batch_size: examples bounded at once.

    Returns:
        ``(lower, upper)``, each ``[N, C]`` (float64).

    Gowal et al. 2018 (IBP); Zhang et al. 2018, Ko et al. 2019 (linear bounds). Chapter 4.3.
    """
    net, box = _prepare(model, x, epsilon, method, clip_min, clip_max, k, batch_size)

    def rows(w, b):  # lower bounds of the logits and of their negatives, in one pass
        vt = tf.transpose(w["V"])  # [C, H]
        spec = tf.concat([vt, -vt], axis=0)[None]  # [1, 2C, H]
        const = tf.concat([w["c"], -w["c"]], axis=0)[None]  # [1, 2C]
        return tf.tile(spec, [b, 1, 1]), tf.tile(const, [b, 1])

    def lower_upper(sl):
        part = box[sl]
        return _rows_bound(net, part, lambda w: rows(w, part.lower.shape[0]), method)

    both = _batched(len(box.lower), batch_size, lower_upper)  # [N, 2C]
    classes = both.shape[1] // 2
    return both[:, :classes], -both[:, classes:]


def margin_bounds(model, x, y, epsilon, *, method: str = "linear",
                  clip_min: float | None = None, clip_max: float | None = None,
                  k: int | None = None, batch_size: int = 128) -> np.ndarray:
    """Lower bounds of ``logit_y - logit_j`` ``[N, C]`` over the box (``+inf`` at ``j = y``).

    Arguments as :func:`logit_bounds`, plus ``y``: labels ``[N]``. Bounding the differences
    directly (one row per other class) is tighter than subtracting logit bounds.
    """
    net, box = _prepare(model, x, epsilon, method, clip_min, clip_max, k, batch_size)
    y = _labels(y, len(box.lower), net)

    def rows(w, labels):
        vt = tf.transpose(w["V"])  # [C, H]
        spec = tf.gather(vt, labels)[:, None] - vt[None]  # [B, C, H]
        return spec, tf.gather(w["c"], labels)[:, None] - w["c"][None]

    def bound(sl):
        labels = tf.constant(y[sl])
        return _rows_bound(net, box[sl], lambda w: rows(w, labels), method)

    out = _batched(len(y), batch_size, bound)
    out[np.arange(len(y)), y] = np.inf
    return out


def certify(model, x, y, epsilon, *, method: str = "linear", clip_min: float | None = None,
            clip_max: float | None = None, k: int | None = None,
            batch_size: int = 128) -> CertificationResult:
    """Certified accuracy of ``model`` on ``(x, y)`` at L-inf radius ``epsilon``.

    Arguments as :func:`margin_bounds`. An example counts when every margin's lower bound is
    positive (so it is also correctly classified on the clean input).

    Returns:
        :class:`CertificationResult`.

    Gowal et al. 2018 (IBP); Zhang et al. 2018 (CROWN), Ko et al. 2019 (POPQORN), Du et al.
    2021 (Cert-RNN) for the linear bounds. Chapter 4.3.
    """
    start = time.perf_counter()
    margins = margin_bounds(model, x, y, epsilon, method=method, clip_min=clip_min,
                            clip_max=clip_max, k=k, batch_size=batch_size)
    worst = margins.min(axis=1)
    eps = float(epsilon) if np.ndim(epsilon) == 0 else np.asarray(epsilon)
    return CertificationResult(method=method, epsilon=eps, k=k, certified=worst > 0,
                               margin_lower=worst, seconds=time.perf_counter() - start)


def _labels(y, n: int, net: RecurrentNetwork) -> np.ndarray:
    classes = int(net.dense_kernel.shape[-1])
    y = as_int_array("y", y, ndim=1, low=0, high=classes)
    if len(y) != n:
        raise ValueError(f"mismatched lengths: x={n}, y={len(y)}; they must be equal")
    return y.astype(np.int32)
