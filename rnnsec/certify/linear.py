"""Linear (CROWN/POPQORN-style) bounds through the recurrence of SimpleRNN and LSTM.

A bound on ``spec . h_T`` (a logit, or a margin ``logit_y - logit_j``) is written as a linear
function of the inputs by *back-substitution*: walk back through the steps, replacing each
nonlinearity by the line or plane of ``rnnsec.certify.relaxations`` that keeps the bound
valid (the lower line where the coefficient is positive, the upper one where it is negative),
and each affine map ``z_s = x_s W + h_{s-1} U + b`` by its weights. What is left,
``sum_s Lambda_s . x_s + const``, is minimised over the input box in closed form:
``Lambda_s . centre_s - |Lambda_s| . radius_s``. The relaxations at step ``s`` need bounds on
step ``s``'s pre-activations, so the same back-substitution first bounds every step in turn
(each bound is also intersected with IBP's, so it is never looser).

Because every step's coefficients ``Lambda_s`` are kept apart, a budget on which steps move is
free: with ``k`` steps perturbed (the attacker's choice) the worst case removes the ``k``
largest per-step penalties ``|Lambda_s| . radius_s``. This is where linear bounds beat IBP on
recurrent networks: the input at step ``s`` enters once, with its coefficient summed over all
the paths through later steps, instead of as an interval that every later step widens again.

Cost: ``O(T^2)`` back-substitutions of ``[B, K, G*H]`` coefficients (``K`` = 2 x width of
the bounded layer). POPQORN: Ko et al. 2019; Cert-RNN: Du et al. 2021; CROWN: Zhang et al.
2018.
"""

from __future__ import annotations

import tensorflow as tf

from rnnsec.certify.interval import interval_trace, rows_lower
from rnnsec.certify.relaxations import activation_bounds, product_bounds

__all__ = ["linear_lower_bound", "LINEAR_CELLS"]

LINEAR_CELLS = ("simple_rnn", "lstm")


class _Backsub:
    """The state of one back-substitution: coefficients on the states, constant, penalties."""

    def __init__(self, weights, center, radius, mask):
        self.W, self.U, self.b = weights["W"], weights["U"], weights["b"]
        self.center, self.radius, self.mask = center, radius, mask
        self.const = None
        self.penalties = []

    def affine(self, lam_z, s):
        """Substitute ``z_s = x_s W + h_{s-1} U + b``; return the coefficient of ``h_{s-1}``."""
        m = tf.cast(self.mask[:, s], lam_z.dtype)[:, None]  # [B, 1]
        lam_x = tf.linalg.matmul(lam_z, self.W, transpose_b=True)  # [B, K, D]
        add = (tf.einsum("bkg,g->bk", lam_z, self.b)
               + tf.einsum("bkd,bd->bk", lam_x, self.center[:, s]))
        self.add_const(m * add)
        self.penalties.append(m * tf.einsum("bkd,bd->bk", tf.abs(lam_x), self.radius[:, s]))
        return tf.linalg.matmul(lam_z, self.U, transpose_b=True)  # [B, K, H]

    def add_const(self, value):
        self.const = value if self.const is None else self.const + value

    def keep_masked(self, s, new, old):
        """Keras's masking: across a masked step the state (and so its coefficient) carries."""
        keep = self.mask[:, s][:, None, None]
        return tf.where(keep, new, old)


def _select(lam, lower_coef, upper_coef):
    """Coefficient of a lower bound of ``lam * f``: the lower relaxation where ``lam >= 0``."""
    return tf.maximum(lam, 0.0) * lower_coef[:, None] + tf.minimum(lam, 0.0) * upper_coef[:, None]


def _simple_back(bs, rel, lam_h, start):
    """Back-substitute ``lam_h . h_start`` down to the inputs (SimpleRNN)."""
    for s in range(start, -1, -1):
        a_lo, b_lo, a_hi, b_hi = rel[s]  # [B, H]
        lam_z = _select(lam_h, a_lo, a_hi)  # [B, K, H]
        m = tf.cast(bs.mask[:, s], lam_h.dtype)[:, None]
        bs.add_const(m * tf.reduce_sum(_select(lam_h, b_lo, b_hi), axis=-1))
        lam_h = bs.keep_masked(s, bs.affine(lam_z, s), lam_h)
    return lam_h


def _lstm_cell_part(bs, rel_s, lam_c, m):
    """``c_s = sigma(f) c_{s-1} + sigma(i) tanh(g)``: coefficients of ``z_i, z_f, z_g, c_{s-1}``."""
    fx_lo, fc_lo, f0_lo, fx_hi, fc_hi, f0_hi = rel_s["fc"]
    ix_lo, ig_lo, i0_lo, ix_hi, ig_hi, i0_hi = rel_s["ig"]
    lam_f = _select(lam_c, fx_lo, fx_hi)
    lam_cprev = _select(lam_c, fc_lo, fc_hi)
    lam_i = _select(lam_c, ix_lo, ix_hi)
    lam_g = _select(lam_c, ig_lo, ig_hi)
    bs.add_const(m * tf.reduce_sum(_select(lam_c, f0_lo, f0_hi) + _select(lam_c, i0_lo, i0_hi),
                                   axis=-1))
    return lam_i, lam_f, lam_g, lam_cprev


def _lstm_step_back(bs, rel_s, lam_h, lam_c, s):
    """One LSTM step backwards: ``(lam_h, lam_c)`` on step ``s`` -> on step ``s - 1``."""
    m = tf.cast(bs.mask[:, s], lam_c.dtype)[:, None]
    lam_o = tf.zeros_like(lam_c)
    lam_c_in = lam_c
    if lam_h is not None:  # h_s = sigma(o) tanh(c_s)
        ox_lo, oc_lo, o0_lo, ox_hi, oc_hi, o0_hi = rel_s["oc"]
        lam_o = _select(lam_h, ox_lo, ox_hi)
        lam_c_in = lam_c + _select(lam_h, oc_lo, oc_hi)
        bs.add_const(m * tf.reduce_sum(_select(lam_h, o0_lo, o0_hi), axis=-1))
    lam_i, lam_f, lam_g, lam_cprev = _lstm_cell_part(bs, rel_s, lam_c_in, m)
    lam_z = tf.concat([lam_i, lam_f, lam_g, lam_o], axis=-1)  # [B, K, 4H]
    lam_hprev = bs.affine(lam_z, s)
    h_old = tf.zeros_like(lam_c) if lam_h is None else lam_h
    return bs.keep_masked(s, lam_hprev, h_old), bs.keep_masked(s, lam_cprev, lam_c)


def _lstm_back(bs, rel, lam_h, lam_c, start):
    for s in range(start, -1, -1):
        lam_h, lam_c = _lstm_step_back(bs, rel[s], lam_h, lam_c, s)


def _concretize(bs, k):
    """``const - penalties``: the minimum over the box (the ``k`` largest steps if ``k``)."""
    pen = tf.stack(bs.penalties, axis=-1)  # [B, K, steps]
    if k is not None and k < pen.shape[-1]:
        pen = tf.math.top_k(pen, k=k).values
    return bs.const - tf.reduce_sum(pen, axis=-1)


def _both(identity_width, batch, dtype):
    """Spec ``[I; -I]`` ``[B, 2n, n]``: lower bounds of ``v`` and of ``-v`` in one pass."""
    eye = tf.eye(identity_width, dtype=dtype)
    return tf.tile(tf.concat([eye, -eye], axis=0)[None], [batch, 1, 1])


def _split_bounds(values, width, ibp, mask_t):
    """Bounds from ``[I; -I]`` rows, intersected with IBP's (IBP's alone at a masked step,
    whose relaxation is never used)."""
    lo = tf.maximum(values[:, :width], ibp[0])
    hi = tf.maximum(tf.minimum(-values[:, width:], ibp[1]), lo)
    keep = mask_t[:, None]
    return tf.where(keep, lo, ibp[0]), tf.where(keep, hi, ibp[1])


def _gate(pair, k, parts):
    lo, hi = pair
    w = lo.shape[-1] // parts
    return lo[:, k * w:(k + 1) * w], hi[:, k * w:(k + 1) * w]


def _relax_simple(weights, center, radius, mask, k, trace):
    batch, dtype = tf.shape(center)[0], center.dtype
    units = weights["U"].shape[0]
    rel = []
    for t in range(center.shape[1]):
        bs = _Backsub(weights, center, radius, mask)
        lam_h = bs.affine(_both(units, batch, dtype), t)
        _simple_back(bs, rel, lam_h, t - 1)
        z = _split_bounds(_concretize(bs, k), units, trace[t]["z"], mask[:, t])
        rel.append(activation_bounds("tanh", *z))
    return rel


def _lstm_relax_step(p_pair, q_pair, q_kind):
    p_line = activation_bounds("sigmoid", *p_pair)
    p_range = (tf.sigmoid(p_pair[0]), tf.sigmoid(p_pair[1]))
    if q_kind is None:
        return product_bounds(p_line, p_range, None, q_pair)
    q_line = activation_bounds("tanh", *q_pair)
    return product_bounds(p_line, p_range, q_line, (tf.tanh(q_pair[0]), tf.tanh(q_pair[1])))


def _relax_lstm(weights, center, radius, mask, k, trace):
    batch, dtype = tf.shape(center)[0], center.dtype
    units = weights["U"].shape[0]
    zero = tf.zeros([batch, units], dtype)
    c_prev = (zero, zero)
    rel = []
    for t in range(center.shape[1]):
        bs = _Backsub(weights, center, radius, mask)
        lam_h = bs.affine(_both(4 * units, batch, dtype), t)
        _lstm_back(bs, rel, lam_h, tf.zeros_like(lam_h), t - 1)
        z = _split_bounds(_concretize(bs, k), 4 * units, trace[t]["z"], mask[:, t])
        step = {"fc": _lstm_relax_step(_gate(z, 1, 4), c_prev, None),
                "ig": _lstm_relax_step(_gate(z, 0, 4), _gate(z, 2, 4), "tanh")}
        bs = _Backsub(weights, center, radius, mask)
        lam_h, lam_c = _lstm_step_back(bs, step, None, _both(units, batch, dtype), t)
        _lstm_back(bs, rel, lam_h, lam_c, t - 1)
        c = _split_bounds(_concretize(bs, k), units, trace[t]["c"],
                         tf.ones_like(mask[:, t]))
        step["oc"] = _lstm_relax_step(_gate(z, 3, 4), c, "tanh")
        rel.append(step)
        c_prev = c
    return rel


def linear_lower_bound(weights: dict, cell: str, center, radius, mask, spec, const, *,
                       k: int | None = None):
    """Lower bounds of ``spec . h_T + const`` over the input box, by back-substitution.

    Args:
        weights: ``RecurrentNetwork.tensors(float64)``.
        cell: ``"simple_rnn"`` or ``"lstm"``.
        center, radius: the box ``[B, T, D]`` (in the layer's reading order).
        mask: ``[B, T]`` bool, True at real steps.
        spec: ``[B, K, H]`` rows to bound (e.g. ``V[:, y] - V[:, j]`` for margins).
        const: ``[B, K]`` added to each row (e.g. the Dense biases' difference).
        k: at most ``k`` steps perturbed (attacker's choice), or None.

    Returns:
        ``[B, K]`` lower bounds, never below IBP's bounds of the same rows.
    """
    if cell not in LINEAR_CELLS:
        raise ValueError(f"linear bounds cover {LINEAR_CELLS}, got cell {cell!r}; use "
                         "method='ibp' for it")
    lower, upper = center - radius, center + radius
    h_lo, h_hi, trace = interval_trace(weights, cell, lower, upper, mask)
    bs = _Backsub(weights, center, radius, mask)
    last = center.shape[1] - 1
    if cell == "simple_rnn":
        rel = _relax_simple(weights, center, radius, mask, k, trace)
        _simple_back(bs, rel, spec, last)
    else:
        rel = _relax_lstm(weights, center, radius, mask, k, trace)
        _lstm_back(bs, rel, spec, tf.zeros_like(spec), last)
    return tf.maximum(_concretize(bs, k) + const, rows_lower(spec, const, h_lo, h_hi))
