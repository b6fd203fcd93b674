"""Non-linear functions on secret shares: exp, reciprocal, sigmoid, tanh, and their errors.

MPC adds and multiplies cheaply; everything else is approximated by additions and
multiplications (and, where needed, comparisons). Following CrypTen (Knott et al., 2021):

* ``exp(x) ~ (1 + x / 2^n)^(2^n)``: one truncation, then n squarings (n rounds).
* ``reciprocal(x)``: Newton-Raphson, y <- y (2 - x y), from CrypTen's start 3 exp(1/2 - x) + 0.003.
* ``sigmoid(x)`` (``method="reciprocal"``): s = 1 / (1 + exp(-|x|)) from the sign bit of x (an
  exact comparison, :func:`rnnsec.mpc.compare.ltz`), then the sign fix: sigmoid(x) = s for
  x >= 0 and 1 - s for x < 0. Because 1 + exp(-|x|) lies in [1, 2], Newton starts from the
  minimax line 24/17 - 8/17 d (relative error at most 1/17) and 3 iterations reach 16
  fractional bits.
* ``tanh(x) = 2 sigmoid(2x) - 1``.
* ``method="poly"``: an odd least-squares polynomial in u = x / bound (default degree 9 on
  [-8, 8]), no comparison; fewer rounds, but it is wrong outside [-bound, bound].
* ``method="piecewise"``: the polynomial inside [-bound, bound], 0 and 1 outside (two comparisons
  batched into one, eight rounds).

:func:`approximation_error` runs a function under MPC on a grid and reports its error against
the true function (and its cost), for the chapter's plot.

Taught in Chapter 3.3 (non-linear functions under MPC).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from rnnsec._validate import check_choice, check_number
from rnnsec.mpc.compare import ltz
from rnnsec.mpc.ring import to_ring
from rnnsec.mpc.session import Session, SharedTensor, stack

SIGMOID_METHODS = ("reciprocal", "poly", "piecewise")
FUNCTIONS = ("exp", "reciprocal", "sigmoid", "tanh")
_DEFAULT_RANGES = {"exp": (-10.0, 2.0), "reciprocal": (0.1, 20.0), "sigmoid": (-10.0, 10.0),
                   "tanh": (-5.0, 5.0)}


def _fixed(x: SharedTensor, name: str = "x") -> SharedTensor:
    """``x`` at the session's fixed-point scale (integers are lifted exactly)."""
    if not isinstance(x, SharedTensor):
        raise TypeError(f"{name} must be a SharedTensor, got {type(x).__name__}")
    f = x.session.frac_bits
    if x.scale == f:
        return x
    return SharedTensor(x.session, [x.session._lift(s, x.scale, f) for s in x.shares], f)


def exp(x: SharedTensor, iterations: int = 8, order: int = 1) -> SharedTensor:
    """exp(x) by repeated squaring: (b(x / 2^n))^(2^n), n = ``iterations``.

    With ``order=1`` the base is b(t) = 1 + t, CrypTen's limit (1 + x / 2^n)^(2^n). Accurate
    for about -2^(n+1) < x < 10 (the result must stay below 2^(31 - f)). Its approximation
    error is about exp(x) * x^2 / 2^(n+1) (relative), and the truncation error of the base is
    amplified 2^n times by the squarings, so at 16 fractional bits n = 8 is the best choice.
    ``order=k`` uses the Taylor polynomial 1 + t + ... + t^k / k! of e^t as the base (an
    extension, not CrypTen's): the approximation error falls to about x^(k+1) / 2^(nk), so
    fewer squarings suffice and less rounding is amplified (order 3 with 4 squarings is ten
    times more accurate than CrypTen's setting, in fewer rounds).

    Args:
        x: shared tensor.
        iterations: n, in [1, 16]; CrypTen's default is 8.
        order: degree of the base polynomial, in [1, 4]; 1 is CrypTen's.

    Returns:
        A shared tensor of exp(x). n rounds for order 1 (2n with dealer truncation), plus
        ceil(log2 order) for the base's powers.

    CrypTen (Knott et al., 2021); Chapter 3.3.
    """
    x = _fixed(x)
    check_number("iterations", iterations, low=1, high=16, integer=True)
    check_number("order", order, low=1, high=4, integer=True)
    t = x.session.divide_pow2(x, iterations)
    if order == 1:
        y = t + 1.0
    else:
        coeffs = [1.0 / math.factorial(k) for k in range(1, order + 1)]
        y = _weighted_sum(stack(_powers(t, order)), coeffs) + 1.0
    for _ in range(iterations):
        y = y * y
    return y


def reciprocal(x: SharedTensor, iterations: int = 10) -> SharedTensor:
    """1 / x for positive x by Newton-Raphson, y <- y (2 - x y), from 3 exp(1/2 - x) + 0.003.

    Converges for about 0.02 < x < 200 with 10 iterations (CrypTen's start and count); the
    error near the ends of that range is larger (see :func:`approximation_error`).

    Args:
        x: shared tensor of positive values (not checked: a comparison would cost 8 rounds).
        iterations: Newton steps, in [1, 50].

    CrypTen (Knott et al., 2021); Chapter 3.3.
    """
    x = _fixed(x)
    check_number("iterations", iterations, low=1, high=50, integer=True)
    y = exp(0.5 - x) * 3 + 0.003
    return _newton(x, y, iterations)


def _newton(x: SharedTensor, y: SharedTensor, iterations: int) -> SharedTensor:
    for _ in range(iterations):
        y = y * (2.0 - x * y)
    return y


def _reciprocal_1_2(d: SharedTensor, iterations: int = 3) -> SharedTensor:
    """1 / d for d in [1, 2]: minimax linear start 24/17 - 8/17 d, then Newton steps."""
    return _newton(d, 24.0 / 17.0 - d * (8.0 / 17.0), iterations)


@functools.lru_cache(maxsize=32)
def sigmoid_poly_coefficients(degree: int = 9, bound: float = 8.0) -> tuple:
    """Least-squares odd polynomial p(u) ~ sigmoid(bound * u) - 1/2 on u in [-1, 1].

    Fitted on 2001 Chebyshev points. Returns the coefficients of u, u^3, ..., u^degree.
    """
    check_number("degree", degree, low=1, high=15, integer=True)
    if degree % 2 == 0:
        raise ValueError(f"degree must be odd (sigmoid - 1/2 is odd), got {degree}")
    check_number("bound", bound, low=0.5, high=64.0)
    u = np.cos(np.linspace(0.0, np.pi, 2001))
    target = 0.5 * np.tanh(0.5 * bound * u)  # sigmoid(x) - 1/2, computed stably
    design = np.stack([u ** k for k in range(1, degree + 1, 2)], axis=1)
    coeffs, *_ = np.linalg.lstsq(design, target, rcond=None)
    return tuple(float(c) for c in coeffs)


def _powers(v: SharedTensor, m: int) -> list[SharedTensor]:
    """[v, v^2, ..., v^m] in ceil(log2 m) rounds (all products of a level batched)."""
    powers = {1: v}
    top = 1
    while top < m:
        ks = list(range(top + 1, min(2 * top, m) + 1))
        for k, p in zip(ks, v.session.mul_many([(powers[top], powers[k - top]) for k in ks]),
                        strict=True):
            powers[k] = p
        top = ks[-1]
    return [powers[k] for k in range(1, m + 1)]


def _odd_polynomial(x: SharedTensor, coeffs: tuple, bound: float) -> SharedTensor:
    """sum_j coeffs[j] u^(2j+1) with u = x / bound, truncating the weighted sum only once."""
    session = x.session
    u = x * (1.0 / bound)
    m = len(coeffs) - 1
    odd = [u]
    if m:
        v = u * u
        even = _powers(v, m)  # u^2, u^4, ..., u^(2m)
        odd += session.mul_many([(u, e) for e in even])
    return _weighted_sum(stack(odd), coeffs)  # odd: [degree // 2 + 1, *shape]


def _weighted_sum(terms: SharedTensor, coeffs) -> SharedTensor:
    """sum_k coeffs[k] * terms[k] with public real coefficients and a single truncation."""
    session = terms.session
    f = session.frac_bits
    # integer weights c * 2^f keep the scale, so the sum is truncated once instead of per term
    weights = np.rint(np.asarray(coeffs, dtype=np.float64) * 2.0 ** f).astype(np.int64)
    ring = to_ring(weights.reshape((-1,) + (1,) * (terms.ndim - 1)))
    weighted = SharedTensor(session, [t * ring for t in terms.shares], terms.scale)
    return session.divide_pow2(weighted.sum(axis=0), f)


def sigmoid(x: SharedTensor, method: str = "reciprocal", *, degree: int = 9,
            bound: float = 8.0, exp_iterations: int = 8, exp_order: int = 1) -> SharedTensor:
    """The logistic function 1 / (1 + exp(-x)) on shares.

    Args:
        x: shared tensor.
        method: ``"reciprocal"`` (CrypTen: exp, Newton reciprocal, exact sign fix),
            ``"poly"`` (odd polynomial, valid only for ``|x| <= bound``) or ``"piecewise"``
            (the polynomial inside [-bound, bound], 0 / 1 outside).
        degree, bound: the polynomial's odd degree and range (``"poly"``/``"piecewise"``).
        exp_iterations, exp_order: the settings of :func:`exp` (``"reciprocal"``); the
            defaults 8 and 1 are CrypTen's, ``exp_iterations=4, exp_order=3`` is about ten
            times more accurate in two rounds fewer.

    Returns:
        Shared sigmoid(x) at the session's scale.

    CrypTen (Knott et al., 2021); Chapter 3.3.
    """
    check_choice("method", method, SIGMOID_METHODS)
    x = _fixed(x)
    if method == "reciprocal":
        negative = ltz(x)  # [x < 0], integer 0/1
        magnitude = x * (1 - 2 * negative)  # |x|, exact (integer factor)
        denominator = exp(-magnitude, exp_iterations, exp_order) + 1.0  # in [1, 2]
        s = _reciprocal_1_2(denominator)  # sigmoid(|x|) in [1/2, 1]
        return s + negative * (1.0 - s * 2)  # 1 - s where x < 0
    coeffs = sigmoid_poly_coefficients(degree, float(bound))
    p = _odd_polynomial(x, coeffs, float(bound)) + 0.5
    if method == "poly":
        return p
    out_of_range = ltz(stack([bound - x, x + bound]))  # [x > bound], [x < -bound]
    above, below = out_of_range[0], out_of_range[1]
    return p * (1 - above - below) + above


def tanh(x: SharedTensor, method: str = "reciprocal", **options) -> SharedTensor:
    """tanh(x) = 2 sigmoid(2x) - 1 (CrypTen); ``"poly"`` is then valid for ``|x| <= bound / 2``.

    ``options`` are those of :func:`sigmoid`. Chapter 3.3.
    """
    s = sigmoid(_fixed(x) * 2, method, **options)
    return s * 2 - 1.0


def sigmoid_tanh(x: SharedTensor, tanh_columns: np.ndarray, method: str = "reciprocal",
                 **options) -> SharedTensor:
    """Sigmoid on some columns of the last axis and tanh on others, in one batched call.

    An LSTM needs sigmoid for three gates and tanh for the fourth; since tanh(z) =
    2 sigmoid(2z) - 1, scaling the tanh columns by 2 (an exact integer factor) lets one
    sigmoid evaluation serve both, so the rounds are paid once.

    Args:
        x: shared tensor [..., K].
        tanh_columns: bool array [K], True where tanh is wanted.
        method, options: as for :func:`sigmoid`.
    """
    mask = np.asarray(tanh_columns)
    if mask.dtype != bool or mask.shape != (x.shape[-1],):
        raise ValueError(f"tanh_columns must be a bool array of shape ({x.shape[-1]},), got "
                         f"{mask.dtype} {mask.shape}")
    factor = 1 + mask.astype(np.int64)  # 2 on tanh columns, 1 elsewhere
    s = sigmoid(_fixed(x) * factor, method, **options)
    return s * factor - (factor - 1)


@dataclass(frozen=True, eq=False)
class ApproximationReport:
    """Error of an MPC approximation against the true function on a grid.

    Attributes:
        function, method: what was evaluated.
        low, high: the input range.
        max_abs_error, mean_abs_error: over the grid.
        max_rel_error: ``max |approx - exact| / |exact|`` (over points where exact != 0).
        rounds: communication rounds of one evaluation (of the whole grid at once).
        bytes_per_element: online bytes per input element.
        x, approx, exact: the grid and both curves (for plotting).
    """

    function: str
    method: str
    low: float
    high: float
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float
    rounds: int
    bytes_per_element: float
    x: np.ndarray = field(repr=False)
    approx: np.ndarray = field(repr=False)
    exact: np.ndarray = field(repr=False)

    def as_dict(self) -> dict:
        """The scalar fields, for a table row."""
        return {k: getattr(self, k) for k in ("function", "method", "low", "high",
                                              "max_abs_error", "mean_abs_error",
                                              "max_rel_error", "rounds", "bytes_per_element")}

    def __repr__(self) -> str:
        return (f"ApproximationReport({self.function}/{self.method} on [{self.low:g}, "
                f"{self.high:g}]: max abs error {self.max_abs_error:.3g}, mean "
                f"{self.mean_abs_error:.3g}, max rel {self.max_rel_error:.3g}, "
                f"{self.rounds} rounds, {self.bytes_per_element:.0f} B/element)")


_EXACT = {"exp": np.exp, "reciprocal": lambda v: 1.0 / v,
          "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)), "tanh": np.tanh}


def approximation_error(function: str = "sigmoid", method: str | None = None,
                        low: float | None = None, high: float | None = None, num: int = 1001,
                        *, options: dict | None = None, session: Session | None = None,
                        parties: int = 2, frac_bits: int = 16,
                        seed: int = 0) -> ApproximationReport:
    """Evaluate ``function`` under MPC on ``num`` points of [low, high] and measure its error.

    Args:
        function: ``"exp"``, ``"reciprocal"``, ``"sigmoid"`` or ``"tanh"``.
        method: for sigmoid/tanh one of ``"reciprocal"`` (default), ``"poly"``,
            ``"piecewise"``; must be None for exp and reciprocal.
        low, high: input range (defaults: exp [-10, 2], reciprocal [0.1, 20], sigmoid
            [-10, 10], tanh [-5, 5]).
        num: grid points, in [2, 10^6].
        options: keyword arguments of the function (e.g. ``{"iterations": 4, "order": 3}``
            for exp, ``{"exp_order": 3, "exp_iterations": 4}`` or ``{"degree": 7}`` for
            sigmoid and tanh).
        session: a session to run in (else a fresh one from parties/frac_bits/seed).

    Returns:
        An :class:`ApproximationReport` (errors, rounds, bytes, and the curves).

    Chapter 3.3 plots these errors, after CrypTen (Knott et al., 2021).
    """
    check_choice("function", function, FUNCTIONS)
    if function in ("exp", "reciprocal"):
        if method is not None:
            raise ValueError(f"method must be None for {function!r}, got {method!r}")
    else:
        method = check_choice("method", "reciprocal" if method is None else method, SIGMOID_METHODS)
    d_low, d_high = _DEFAULT_RANGES[function]
    low = d_low if low is None else check_number("low", low)
    high = d_high if high is None else check_number("high", high)
    if not low < high:
        raise ValueError(f"low must be < high, got low={low}, high={high}")
    if function == "reciprocal" and low <= 0:
        raise ValueError(f"low must be > 0 for the reciprocal, got {low}")
    check_number("num", num, low=2, high=10 ** 6, integer=True)
    if session is None:
        session = Session(parties, frac_bits, seed, keep_views=False)
    elif not isinstance(session, Session):
        raise TypeError(f"session must be a Session, got {type(session).__name__}")
    grid = np.linspace(low, high, num)
    x = session.share(grid, owner=0, name="grid")
    mark = session.mark()
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict of keyword arguments, got {type(options)}")
    fn = {"exp": exp, "reciprocal": reciprocal,
          "sigmoid": functools.partial(sigmoid, method=method),
          "tanh": functools.partial(tanh, method=method)}[function]
    y = fn(x, **(options or {}))
    stats = session.stats(since=mark)
    approx = y.reveal()
    exact = _EXACT[function](grid)
    err = np.abs(approx - exact)
    nonzero = exact != 0
    return ApproximationReport(
        function=function, method=method or "default", low=float(low), high=float(high),
        max_abs_error=float(err.max()), mean_abs_error=float(err.mean()),
        max_rel_error=float(np.max(err[nonzero] / np.abs(exact[nonzero]))),
        rounds=stats.rounds, bytes_per_element=stats.online_bytes / num,
        x=grid, approx=approx, exact=exact)

