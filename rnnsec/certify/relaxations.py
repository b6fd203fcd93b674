"""Sound linear bounds of tanh, sigmoid and their products on an interval.

For ``f`` = tanh or sigmoid on ``[l, u]`` we want lines ``a_L x + b_L <= f(x) <= a_U x + b_U``.
Any slope ``a`` gives a sound line once its intercept is ``max_{[l, u]} (f(x) - a x)`` (upper)
or the ``min`` (lower). Both functions are S-shaped (``f'`` rises to its peak at 0 and falls),
so ``f(x) - a x`` has its extremes at ``l``, ``u`` or where ``f'(x) = a``, i.e. at ``+-d`` with
``d = f'^{-1}(a)`` in closed form; evaluating those few points gives the exact intercept. The
slope is chosen among the chord and the tangents at ``l``, ``u`` and the midpoint: the one
whose line lies closest to ``f`` at the midpoint (the smallest area between line and curve,
CROWN's criterion; Zhang et al. 2018). On a concave or convex piece this recovers the usual
tangent/chord pair.

Products (the LSTM's ``sigma(f) * c`` and ``sigma(i) * tanh(g)``, ``sigma(o) * tanh(c)``):
McCormick's planes bound ``p * q`` linearly in ``(p, q)`` over a box; replacing ``p`` and
``q`` by their own lines (the upper or lower one by the sign of its coefficient) gives planes
in the pre-activations. POPQORN (Ko et al. 2019) and Cert-RNN (Du et al. 2021) fit the planes
to ``sigma(x) tanh(y)`` directly, which is tighter; this composition is the one auto_LiRPA
uses for products and is sound by construction. Chapter 4.3 derives both.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["activation_bounds", "product_bounds", "Line", "Plane"]

#: Outward margin added to every intercept, covering float64 rounding in the extreme search.
SAFETY = 1e-12

Line = tuple  # (a_lo, b_lo, a_hi, b_hi): elementwise slopes and intercepts
Plane = tuple  # (ax_lo, ay_lo, c_lo, ax_hi, ay_hi, c_hi)


def _tanh_d(a):
    """``d >= 0`` with ``tanh'(d) = a`` (``a`` clipped into ``[0, 1]``)."""
    a = tf.clip_by_value(a, 0.0, 1.0)
    return tf.atanh(tf.minimum(tf.sqrt(1.0 - a), 1.0 - 1e-16))


def _sigmoid_d(a):
    """``d >= 0`` with ``sigmoid'(d) = a`` (``a`` clipped into ``[0, 1/4]``)."""
    a = tf.clip_by_value(a, 0.0, 0.25)
    s = tf.minimum((1.0 + tf.sqrt(1.0 - 4.0 * a)) / 2.0, 1.0 - 1e-16)
    return tf.math.log(s) - tf.math.log1p(-s)


_FUNCTIONS = {
    "tanh": (tf.tanh, lambda x: 1.0 - tf.tanh(x) ** 2, _tanh_d),
    "sigmoid": (tf.sigmoid, lambda x: tf.sigmoid(x) * (1.0 - tf.sigmoid(x)), _sigmoid_d),
}


def _intercept(kind, slope, lo, hi, upper: bool):
    """``max`` (upper) or ``min`` of ``f(x) - slope * x`` over ``[l, u]``, exactly."""
    f, _, inv = _FUNCTIONS[kind]
    d = inv(slope)
    points = [lo, hi, tf.clip_by_value(d, lo, hi), tf.clip_by_value(-d, lo, hi)]
    values = tf.stack([f(p) - slope * p for p in points])
    if upper:
        return tf.reduce_max(values, axis=0) + SAFETY
    return tf.reduce_min(values, axis=0) - SAFETY


def activation_bounds(kind: str, lo, hi) -> Line:
    """Lines ``a_lo x + b_lo <= f(x) <= a_hi x + b_hi`` on ``[l, u]`` (elementwise).

    Args:
        kind: ``"tanh"`` or ``"sigmoid"``.
        lo, hi: tensors of the same shape with ``lo <= hi`` (the interval ``[l, u]``).

    Returns:
        ``(a_lo, b_lo, a_hi, b_hi)``, each shaped like ``lo``.

    Zhang et al. 2018 (CROWN: adaptive linear bounds of general activations); Ko et al. 2019.
    Chapter 4.3.
    """
    if kind not in _FUNCTIONS:
        raise ValueError(f"kind must be 'tanh' or 'sigmoid', got {kind!r}")
    f, fp, _ = _FUNCTIONS[kind]
    width = hi - lo
    wide = width > 1e-9
    mid = (lo + hi) / 2
    chord = tf.where(wide, (f(hi) - f(lo)) / tf.where(wide, width, 1.0), fp(mid))
    slopes = [chord, fp(lo), fp(hi), fp(mid)]
    best = []
    for upper in (False, True):
        cands = [(s, _intercept(kind, s, lo, hi, upper)) for s in slopes]
        at_mid = tf.stack([s * mid + c for s, c in cands])  # value of each line at mid
        pick = tf.argmin(at_mid, axis=0) if upper else tf.argmax(at_mid, axis=0)
        best.append((_choose(tf.stack([s for s, _ in cands]), pick),
                     _choose(tf.stack([c for _, c in cands]), pick)))
    (a_lo, b_lo), (a_hi, b_hi) = best
    return a_lo, b_lo, a_hi, b_hi


def _choose(stacked, index):
    """``stacked[index[...], ...]`` elementwise: ``[K, ...]`` and ``[...]`` -> ``[...]``."""
    onehot = tf.one_hot(index, stacked.shape[0], axis=0, dtype=stacked.dtype)
    return tf.reduce_sum(stacked * onehot, axis=0)


def product_bounds(p_line: Line, p_range, q_line: Line | None, q_range) -> Plane:
    """Planes bounding ``p(x) * q(y)`` linearly in ``(x, y)``.

    Args:
        p_line: lines of ``p`` in ``x`` (from :func:`activation_bounds`).
        p_range: ``(p_lo, p_hi)``, the range of ``p`` on the box.
        q_line: lines of ``q`` in ``y``, or None when ``q = y`` (the LSTM's ``sigma(f) * c``).
        q_range: ``(q_lo, q_hi)``.

    Returns:
        ``(ax_lo, ay_lo, c_lo, ax_hi, ay_hi, c_hi)``:
        ``ax_lo x + ay_lo y + c_lo <= p q <= ax_hi x + ay_hi y + c_hi`` on the box.

    McCormick 1976 (envelopes of a bilinear term), composed with the activation lines.
    """
    p_lo, p_hi = p_range
    q_lo, q_hi = q_range
    p_mid, q_mid = (p_lo + p_hi) / 2, (q_lo + q_hi) / 2
    # McCormick: (alpha, beta, gamma) with p q >= / <= alpha p + beta q + gamma
    lower = [(q_lo, p_lo, -p_lo * q_lo), (q_hi, p_hi, -p_hi * q_hi)]
    upper = [(q_hi, p_lo, -p_lo * q_hi), (q_lo, p_hi, -p_hi * q_lo)]
    out = []
    for planes, is_upper in ((lower, False), (upper, True)):
        v0 = planes[0][0] * p_mid + planes[0][1] * q_mid + planes[0][2]
        v1 = planes[1][0] * p_mid + planes[1][1] * q_mid + planes[1][2]
        first = v0 <= v1 if is_upper else v0 >= v1
        alpha, beta, gamma = (tf.where(first, a, b) for a, b in zip(*planes, strict=True))
        ax, cx = _substitute(alpha, p_line, is_upper)
        if q_line is None:
            ay, cy = beta, tf.zeros_like(beta)
        else:
            ay, cy = _substitute(beta, q_line, is_upper)
        out.append((ax, ay, gamma + cx + cy))
    (ax_lo, ay_lo, c_lo), (ax_hi, ay_hi, c_hi) = out
    return ax_lo, ay_lo, c_lo, ax_hi, ay_hi, c_hi


def _substitute(coef, line: Line, upper: bool):
    """Bound ``coef * f(x)`` by a line in ``x``: the upper line where it raises the bound."""
    a_lo, b_lo, a_hi, b_hi = line
    use_hi = (coef >= 0) if upper else (coef < 0)
    a = tf.where(use_hi, a_hi, a_lo)
    b = tf.where(use_hi, b_hi, b_lo)
    return coef * a, coef * b
