"""Secure comparison: the sign bit of a shared value, and ReLU, |x| and selection built on it.

``ltz(x)`` returns shares of the bit [x < 0] with a dealer-assisted protocol:

1. The dealer hands out a random r shared twice: additively in Z_2^64 and bitwise (XOR shares
   of r's 64 bits); an "edaBit" (Escudero et al., 2020).
2. The parties open c = x + r (one round). c is uniform, so it reveals nothing about x.
3. Since x = c - r, the top bit of x is top(c) XOR top(r) XOR borrow, where borrow = [c' < r']
   compares the low 63 bits. c is public and r' is bitwise shared, so borrow is a Boolean
   circuit: a parallel-prefix comparator (Kogge-Stone) over the 63 bits, 6 levels of AND gates
   on XOR-shared 64-bit words, each level one round with binary Beaver triples.
4. The XOR-shared result bit is converted to an additive share with a daBit (a random bit the
   dealer shares both ways; Rotaru and Wood, 2019): open t = b XOR s (one round, 1 byte per
   element), then b = t + s - 2ts is linear in s.

Eight rounds in all, no approximation: the result is exact for every |x| < 2^63. The dealer
must not collude with any party (the semi-honest trusted-third-party model of CrypTen;
Knott et al., 2021, which compares through binary sharing in the same way).

Taught in Chapter 3.3 (non-linear functions under MPC).
"""

from __future__ import annotations

import numpy as np

from rnnsec.mpc.dealer import LOW63
from rnnsec.mpc.session import Session, SharedTensor

_LEVELS = (1, 2, 4, 8, 16, 32)  # window sizes of the prefix comparator: 2^6 = 64 >= 63 bits


def _and(session: Session, u: list, v: list) -> list:
    """AND of two XOR-shared word arrays (64 gates per word) with one binary Beaver triple.

    Every party sends its shares of e = u XOR a and d = v XOR b to every other party (one
    round, purpose ``"and"``); party i then holds c_i ^ (e & b_i) ^ (d & a_i) (^ e & d for 0).
    """
    shape = u[0].shape
    parts = session._use(session.dealer.binary_triple(shape), "binary", (shape,))
    a, b, c = parts["a"], parts["b"], parts["c"]
    e, d = session._open([[ui ^ ai for ui, ai in zip(u, a, strict=True)],
                          [vi ^ bi for vi, bi in zip(v, b, strict=True)]], "and", combine="xor")
    z = [ci ^ (e & bi) ^ (d & ai) for ai, bi, ci in zip(a, b, c, strict=True)]
    z[0] = z[0] ^ (e & d)
    return z


def _borrow_bits(session: Session, c: np.ndarray, r_bits: list) -> list:
    """XOR shares whose bit 62 is [c mod 2^63 < r mod 2^63] (c public, r bitwise shared)."""
    not_c = ~c & LOW63
    g = [rb & not_c for rb in r_bits]  # r_i > c_i at bit i (AND with a public word is local)
    e = [rb.copy() for rb in r_bits]  # r_i == c_i at bit i: r_i XOR NOT c_i
    e[0] = e[0] ^ not_c
    for level, width in enumerate(_LEVELS):
        w = np.uint64(width)
        g_low = [gi << w for gi in g]  # verdict of the window just below, moved up
        if level == len(_LEVELS) - 1:  # last level: the equality flags are no longer needed
            g = [gi ^ pi for gi, pi in zip(g, _and(session, e, g_low), strict=True)]
            break
        stacked = _and(session, [np.stack([ei, ei]) for ei in e],
                       [np.stack([gl, ei << w]) for gl, ei in zip(g_low, e, strict=True)])
        g = [gi ^ s[0] for gi, s in zip(g, stacked, strict=True)]
        e = [s[1] for s in stacked]
    return g


def _bit_to_arith(session: Session, bit_xor: list) -> list:
    """Convert XOR shares of a 0/1 array to additive shares in Z_2^64 with a daBit."""
    shape = bit_xor[0].shape
    parts = session._use(session.dealer.dabit(shape), "dabit", (shape,))
    s_xor, s_arith = parts["xor"], parts["arith"]
    (t,) = session._open([[bi ^ si for bi, si in zip(bit_xor, s_xor, strict=True)]], "b2a",
                         combine="xor", bytes_per_element=1)
    flip = np.uint64(1) - np.uint64(2) * t  # b = t + s - 2ts = t + s (1 - 2t)
    out = [si * flip for si in s_arith]
    out[0] = out[0] + t
    return out


@np.errstate(over="ignore")
def ltz(x: SharedTensor) -> SharedTensor:
    """Shares of the bit [x < 0] as an integer (scale 0) shared tensor; exact.

    Args:
        x: a shared tensor (any scale).

    Returns:
        A shared tensor of 0/1 at scale 0 (multiplying by it needs no truncation).

    Eight rounds (module docstring); edaBit comparison (Escudero et al., 2020) with daBit
    conversion (Rotaru and Wood, 2019). Used by :func:`~rnnsec.mpc.sigmoid` and
    :func:`~rnnsec.mpc.tanh` (the sign of the input, or the clamp of ``"piecewise"``).
    """
    session = _session_of(x, "x")
    parts = session._use(session.dealer.comparison_mask(x.shape), "comparison", (x.shape,))
    r, r_bits = parts["r"], parts["r_bits"]
    (c,) = session._open([[s + ri for s, ri in zip(x.shares, r, strict=True)]], "compare")
    g = _borrow_bits(session, c, list(r_bits))
    one = np.uint64(1)
    msb = [((gi >> np.uint64(62)) ^ (rb >> np.uint64(63))) & one
           for gi, rb in zip(g, r_bits, strict=True)]
    msb[0] = msb[0] ^ (c >> np.uint64(63))
    return SharedTensor(session, _bit_to_arith(session, msb), 0)


def less_than(x, y) -> SharedTensor:
    """Shares of [x < y] (0/1, scale 0); at least one of ``x``, ``y`` shared: ``ltz(x - y)``."""
    if not (isinstance(x, SharedTensor) or isinstance(y, SharedTensor)):
        raise TypeError("less_than needs at least one SharedTensor operand")
    return ltz(x - y)


def where(condition: SharedTensor, a, b) -> SharedTensor:
    """``a`` where the shared bit ``condition`` is 1, else ``b``: b + condition * (a - b).

    ``condition`` must hold 0/1 at scale 0 (from :func:`ltz`); ``a`` and ``b`` may be shared or
    public. One multiplication (a Beaver round if ``a - b`` is shared), no truncation.
    """
    _session_of(condition, "condition")
    if condition.scale != 0:
        raise ValueError("condition must be an integer (scale 0) bit tensor, e.g. from ltz()")
    if isinstance(a, SharedTensor) or isinstance(b, SharedTensor):
        diff = a - b
    else:
        diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return condition * diff + b


def relu(x: SharedTensor) -> SharedTensor:
    """max(x, 0) = x * (1 - [x < 0]): one comparison (:func:`ltz`) and one multiplication."""
    _session_of(x, "x")
    return x * (1 - ltz(x))


def absolute(x: SharedTensor) -> SharedTensor:
    """``|x| = x * (1 - 2 [x < 0])``: one comparison (:func:`ltz`) and one multiplication."""
    _session_of(x, "x")
    return x * (1 - 2 * ltz(x))


def _session_of(x, name: str) -> Session:
    if not isinstance(x, SharedTensor):
        raise TypeError(f"{name} must be a SharedTensor, got {type(x).__name__}")
    return x.session
