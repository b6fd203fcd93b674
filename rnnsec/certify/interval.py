"""Interval bound propagation (IBP) through the book's recurrent cells.

Each quantity is carried as an interval ``[lo, hi]``: an affine map sends the centre through
the weights and the radius through their absolute values; tanh and sigmoid are monotone, so
they map the ends; a product of two intervals takes the extreme of its corners. A masked
step keeps the previous state (Keras's rule), so the interval is carried over it.

IBP is cheap (about two forward passes) and differentiable, which is why certified training
uses it (Gowal et al. 2018), but it forgets that the same input drives every step (the
dependency problem): its bounds widen with every step of the recurrence.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["affine_interval", "product_interval", "interval_trace", "logit_interval",
           "rows_lower", "margin_lower_ibp"]


def affine_interval(lo, hi, weight, bias=None):
    """``[lo, hi] @ weight + bias`` as an interval (centre and radius): ``[.., D] -> [.., K]``."""
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    out_mid = tf.linalg.matmul(mid, weight)
    out_rad = tf.linalg.matmul(rad, tf.abs(weight))
    if bias is not None:
        out_mid = out_mid + bias
    return out_mid - out_rad, out_mid + out_rad


def product_interval(a_lo, a_hi, b_lo, b_hi):
    """Elementwise ``a * b`` for ``a`` in ``[a_lo, a_hi]`` and ``b`` in ``[b_lo, b_hi]``."""
    corners = tf.stack([a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi])
    return tf.reduce_min(corners, axis=0), tf.reduce_max(corners, axis=0)


def interval_trace(weights: dict, cell: str, lower, upper, mask, *, reset_after=True):
    """Run IBP through the recurrence.

    Args:
        weights: ``RecurrentNetwork.tensors(dtype)``.
        cell: ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        lower, upper: input box ``[B, T, D]`` (already in the layer's reading order).
        mask: ``[B, T]`` bool, True at real steps.
        reset_after: GRU only.

    Returns:
        ``(h_lo, h_hi, trace)``: the last hidden state's interval ``[B, H]`` and, per step, a
        dict of the intervals computed there (``"z"``: the pre-activation ``[B, G*H]``; LSTM
        also ``"c"``: the cell state after the step, masking applied), which the linear
        bounds intersect with their own.
    """
    W, U, b = weights["W"], weights["U"], weights["b"]
    units = U.shape[0]
    zx_lo, zx_hi = affine_interval(lower, upper, W,
                                   b[0] if cell == "gru" and reset_after else b)  # [B, T, G*H]
    batch = tf.shape(lower)[0]
    zeros = tf.zeros([batch, units], lower.dtype)
    state = {"h": (zeros, zeros), "c": (zeros, zeros)}
    step = {"simple_rnn": _simple_step, "lstm": _lstm_step, "gru": _gru_step}[cell]
    trace = []
    for t in range(lower.shape[1]):
        new, record = step((zx_lo[:, t], zx_hi[:, t]), state, U, b, reset_after)
        keep = mask[:, t:t + 1]  # [B, 1]
        state = {key: (tf.where(keep, new[key][0], state[key][0]),
                       tf.where(keep, new[key][1], state[key][1])) for key in state}
        if "c" in record:  # the carried cell state (after masking)
            record["c"] = state["c"]
        trace.append(record)
    return state["h"][0], state["h"][1], trace


def _simple_step(zx, state, U, b, reset_after):
    z = _add(zx, affine_interval(*state["h"], U))  # [B, H]
    return {"h": (tf.tanh(z[0]), tf.tanh(z[1])), "c": state["c"]}, {"z": z}


def _lstm_step(zx, state, U, b, reset_after):
    z = _add(zx, affine_interval(*state["h"], U))  # [B, 4H]
    i, f, g, o = (_split(z, 4, k) for k in range(4))
    fc = product_interval(*_sig(f), *state["c"])
    ig = product_interval(*_sig(i), *_tanh(g))
    c = _add(fc, ig)  # [B, H]
    h = product_interval(*_sig(o), *_tanh(c))
    return {"h": h, "c": c}, {"z": z, "c": c}


def _gru_step(zx, state, U, b, reset_after):
    units = U.shape[0]
    h_lo, h_hi = state["h"]
    x_z, x_r, x_h = (_split(zx, 3, k) for k in range(3))
    if reset_after:
        rec = affine_interval(h_lo, h_hi, U, b[1])  # [B, 3H]
        r_z, r_r, r_h = (_split(rec, 3, k) for k in range(3))
        update, reset = _sig(_add(x_z, r_z)), _sig(_add(x_r, r_r))
        cand = _tanh(_add(x_h, product_interval(*reset, *r_h)))
    else:
        zr = _add((zx[0][:, :2 * units], zx[1][:, :2 * units]),
                  affine_interval(h_lo, h_hi, U[:, :2 * units]))
        update, reset = _sig(_split(zr, 2, 0)), _sig(_split(zr, 2, 1))
        reset_h = product_interval(*reset, h_lo, h_hi)
        cand = _tanh(_add(x_h, affine_interval(*reset_h, U[:, 2 * units:])))
    # u * h + (1 - u) * cand is increasing in h and cand (u in [0, 1]) and linear in u:
    lo = tf.minimum(update[0] * h_lo + (1 - update[0]) * cand[0],
                    update[1] * h_lo + (1 - update[1]) * cand[0])
    hi = tf.maximum(update[0] * h_hi + (1 - update[0]) * cand[1],
                    update[1] * h_hi + (1 - update[1]) * cand[1])
    return {"h": (lo, hi), "c": state["c"]}, {"z": None}


def logit_interval(weights: dict, h_lo, h_hi):
    """Interval of the logits ``[B, C]`` from the last state's interval."""
    return affine_interval(h_lo, h_hi, weights["V"], weights["c"])


def rows_lower(spec, const, h_lo, h_hi):
    """Lower bounds of ``spec . h + const`` ``[B, K]`` for ``h`` in ``[h_lo, h_hi]`` ``[B, H]``.

    ``spec`` is ``[B, K, H]`` (one row per bounded quantity), ``const`` ``[B, K]``.
    """
    mid, rad = (h_hi + h_lo) / 2, (h_hi - h_lo) / 2  # [B, H]
    return (const + tf.einsum("bkh,bh->bk", spec, mid)
            - tf.einsum("bkh,bh->bk", tf.abs(spec), rad))


def margin_lower_ibp(weights: dict, h_lo, h_hi, y):
    """Lower bounds of ``logit_y - logit_j`` ``[B, C]`` (0 at ``j = y``) from ``[h_lo, h_hi]``.

    Uses the difference rows ``V[:, y] - V[:, j]`` directly, which is tighter than subtracting
    the logits' intervals (Gowal et al. 2018).
    """
    V, c = weights["V"], weights["c"]  # [H, C], [C]
    spec = tf.gather(tf.transpose(V), y)[:, None, :] - tf.transpose(V)[None]  # [B, C, H]
    const = tf.gather(c, y)[:, None] - c[None]  # [B, C]
    return rows_lower(spec, const, h_lo, h_hi)


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _split(pair, parts, k):
    lo, hi = pair
    width = lo.shape[-1] // parts
    return lo[:, k * width:(k + 1) * width], hi[:, k * width:(k + 1) * width]


def _sig(pair):
    return tf.sigmoid(pair[0]), tf.sigmoid(pair[1])


def _tanh(pair):
    return tf.tanh(pair[0]), tf.tanh(pair[1])
