"""Privacy accounting for DP-SGD: epsilon from noise, sampling rate and steps, and back.

DP-SGD (Abadi et al. 2016) runs ``steps`` steps of the Poisson-subsampled Gaussian mechanism:
each example joins a batch independently with probability ``q = batch_size / n_examples`` and
the clipped gradient sum gets Gaussian noise of standard deviation ``noise_multiplier * C``.
This module turns those numbers into an (epsilon, delta) guarantee with Google's
``dp-accounting`` (the library that TF Privacy uses; no model and no TensorFlow needed), in
three ways that give *different, all correct* upper bounds:

- ``accountant="rdp", conversion="classic"``: Renyi DP (Mironov 2017), converted with
  ``eps = min_alpha rdp(alpha) + log(1/delta) / (alpha - 1)`` (Mironov 2017, Proposition 3).
  This is what TF Privacy's README tables and Opacus's MNIST table report.
- ``accountant="rdp", conversion="improved"``: the same RDP curve, converted with
  ``eps = min_alpha rdp(alpha) + log((alpha-1)/alpha) - (log delta + log alpha) / (alpha-1)``
  (Canonne, Kamath, Steinke 2020, Proposition 12; Balle et al. 2020, Theorem 21). What
  ``dp_accounting.rdp.RdpAccountant.get_epsilon`` returns today. Always <= classic.
- ``accountant="pld"``: privacy loss distributions (Koskela et al. 2020; Doroshenko et al.
  2022), numerically almost tight. Smaller still.

Steps are counted as TF Privacy's ``compute_dp_sgd_privacy`` counts them:
``steps = ceil(epochs * n_examples / batch_size)`` (see :func:`steps_for_epochs`). With that
count the published numbers are reproduced (N=60000, batch 256, noise 1.1, 60 epochs, delta
1e-5: classic 3.01, improved 2.597, PLD 2.382).

Also here: the single Gaussian mechanism's noise for a given (epsilon, delta), classic and
analytic (Balle & Wang 2018). Chapter 4.2 teaches all of this; Chapter 3.2 uses it to
account for DP-SGD.

Every argument after the first is keyword-only, so a sampling rate and a delta (or a batch
size and a data set size) cannot be swapped unnoticed::

    compute_epsilon(1.1, sampling_rate=256 / 60000, steps=14063, delta=1e-5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np
from scipy.special import log_ndtr

from rnnsec._validate import check_choice, check_number

__all__ = [
    "PrivacyReport",
    "compute_epsilon",
    "classic_rdp_to_dp",
    "noise_for_epsilon",
    "epsilon_per_epoch",
    "steps_for_epochs",
    "sampling_rate",
    "gaussian_mechanism_sigma",
    "gaussian_mechanism_delta",
]

ACCOUNTANTS = ("rdp", "pld")
CONVERSIONS = ("improved", "classic")
#: PLD discretisation of the privacy loss (dp-accounting's default); smaller is slower and
#: tighter, and the result stays a valid upper bound either way.
PLD_DISCRETIZATION = 1e-4


@dataclass(frozen=True, kw_only=True)
class PrivacyReport:
    """The (epsilon, delta) guarantee of DP-SGD and the numbers it was computed from.

    Attributes:
        epsilon: the privacy loss bound (natural-log units, >= 0).
        delta: the failure probability it holds with.
        accountant: ``"rdp"`` or ``"pld"``.
        conversion: ``"improved"`` or ``"classic"`` for RDP, ``None`` for PLD.
        order: the RDP order alpha that gave the minimum (``None`` for PLD).
        noise_multiplier: sigma, noise standard deviation divided by the clipping norm.
        sampling_rate: q, the Poisson sampling probability of each example per step.
        steps: the number of noisy gradient steps.
    """

    epsilon: float
    delta: float
    accountant: str
    conversion: str | None
    order: float | None
    noise_multiplier: float
    sampling_rate: float
    steps: int

    def as_dict(self) -> dict:
        """The fields as a plain dict (one row of a table)."""
        return asdict(self)

    def __repr__(self) -> str:
        if self.accountant == "rdp":
            how = f"RDP accountant, {self.conversion} conversion, best order {self.order:g}"
        else:
            how = "PLD accountant"
        return (f"PrivacyReport(({self.epsilon:.4g}, {self.delta:g})-DP: {self.steps} steps of "
                f"the Poisson-subsampled Gaussian mechanism with sampling rate "
                f"{self.sampling_rate:.4g} and noise multiplier {self.noise_multiplier:g}; "
                f"{how})")


def sampling_rate(batch_size: int, *, n_examples: int) -> float:
    """Poisson sampling rate ``q = batch_size / n_examples`` (expected batch over data size).

    Args:
        batch_size: expected batch size, 1 <= batch_size <= n_examples.
        n_examples: number of training examples, >= 1.

    Returns:
        q in (0, 1].

    Abadi et al. 2016, Section 3.1 ("lot" size L, q = L/N). Chapter 4.2.
    """
    check_number("n_examples", n_examples, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, high=n_examples, integer=True)
    return batch_size / n_examples


def steps_for_epochs(n_examples: int, *, batch_size: int, epochs: float) -> int:
    """Number of DP-SGD steps in ``epochs`` passes: ``ceil(epochs * n_examples / batch_size)``.

    This is TF Privacy's count (``compute_dp_sgd_privacy``); a partial last batch counts as
    a step. The product is computed exactly (``epochs`` as the decimal it prints as), so
    ``60 * 60000 / 256 = 14062.5`` gives 14063 steps, with no floating-point surprises.

    Args:
        n_examples: number of training examples, >= 1.
        batch_size: expected batch size, 1 <= batch_size <= n_examples.
        epochs: number of passes over the data, > 0 (fractions allowed).

    Returns:
        The number of steps, >= 1.

    Chapter 4.2.
    """
    check_number("n_examples", n_examples, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, high=n_examples, integer=True)
    check_number("epochs", epochs, low=0, low_open=True)
    exact_epochs = Fraction(epochs) if isinstance(epochs, int) else Fraction(repr(float(epochs)))
    return max(1, math.ceil(exact_epochs * n_examples / batch_size))


def _check_dp_sgd_args(noise_multiplier, q, steps, delta) -> None:
    check_number("noise_multiplier", noise_multiplier, low=0, low_open=True)
    check_number("sampling_rate", q, low=0, high=1, low_open=True)
    check_number("steps", steps, low=1, integer=True)
    check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)


def _resolve_conversion(accountant: str, conversion: str | None) -> str | None:
    check_choice("accountant", accountant, ACCOUNTANTS)
    if accountant == "pld":
        if conversion is not None:
            raise ValueError("conversion applies to accountant='rdp' only; leave it None for "
                             f"accountant='pld', got {conversion!r}")
        return None
    return check_choice("conversion", "improved" if conversion is None else conversion,
                        CONVERSIONS)


def _dp_sgd_event(noise_multiplier: float, q: float, steps: int):
    """The DpEvent of DP-SGD: ``steps`` self-compositions of a Poisson-sampled Gaussian."""
    import dp_accounting

    step = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(noise_multiplier))
    return dp_accounting.SelfComposedDpEvent(step, steps)


def _check_orders(orders) -> np.ndarray:
    arr = np.asarray(orders, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 1):
        raise ValueError(f"orders must be a non-empty 1-D sequence of finite numbers > 1, "
                         f"got {orders!r}")
    return arr


def classic_rdp_to_dp(orders: np.ndarray, *, rdp: np.ndarray, delta: float
                      ) -> tuple[float, float]:
    """Classic RDP-to-DP conversion: ``min_alpha rdp(alpha) + log(1/delta) / (alpha - 1)``.

    Args:
        orders: RDP orders alpha > 1, shape [K].
        rdp: the RDP epsilon at each order, shape [K], >= 0.
        delta: target delta in (0, 1).

    Returns:
        (epsilon, best order).

    Mironov 2017, "Renyi differential privacy", Proposition 3. Used by :func:`compute_epsilon`
    with ``conversion="classic"``.
    """
    orders = _check_orders(orders)
    rdp = np.asarray(rdp, dtype=np.float64)
    if rdp.shape != orders.shape:
        raise ValueError(f"rdp must have the shape of orders {orders.shape}, got {rdp.shape}")
    check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
    eps = rdp + math.log(1 / delta) / (orders - 1)  # [K]
    best = int(np.argmin(eps))
    return max(0.0, float(eps[best])), float(orders[best])


def compute_epsilon(noise_multiplier: float, *, sampling_rate: float, steps: int, delta: float,
                    accountant: str = "rdp", conversion: str | None = None,
                    orders: Sequence[float] | None = None) -> PrivacyReport:
    """Epsilon of DP-SGD (Poisson sampling, Gaussian noise) after ``steps`` steps.

    Args:
        noise_multiplier: sigma > 0 (noise std divided by the clipping norm).
        sampling_rate: Poisson sampling probability q in (0, 1] (see :func:`sampling_rate`).
        steps: number of steps, >= 1 (see :func:`steps_for_epochs`).
        delta: target delta in (0, 1); usually below 1 / n_examples.
        accountant: ``"rdp"`` (Renyi DP; Mironov 2017) or ``"pld"`` (privacy loss
            distributions; Doroshenko et al. 2022).
        conversion: for RDP, ``"improved"`` (default; Canonne, Kamath, Steinke 2020 / Balle
            et al. 2020, what dp-accounting uses) or ``"classic"`` (Mironov 2017, what TF
            Privacy's README and Opacus's tables report). Must be None for PLD.
        orders: RDP orders to minimise over (default: dp-accounting's, 1.1 ... 1024).

    Returns:
        A :class:`PrivacyReport`.

    Abadi et al. 2016 (DP-SGD); Mironov, Talwar, Zhang 2019 (RDP of the sampled Gaussian).
    Chapter 4.2.
    """
    _check_dp_sgd_args(noise_multiplier, sampling_rate, steps, delta)
    conversion = _resolve_conversion(accountant, conversion)
    event = _dp_sgd_event(noise_multiplier, sampling_rate, steps)
    if accountant == "pld":
        if orders is not None:
            raise ValueError("orders applies to accountant='rdp' only; leave it None for 'pld'")
        from dp_accounting.pld import PLDAccountant

        acc = PLDAccountant(value_discretization_interval=PLD_DISCRETIZATION)
        acc.compose(event)
        epsilon, order = float(acc.get_epsilon(delta)), None
    else:
        from dp_accounting.rdp import RdpAccountant

        acc = RdpAccountant(None if orders is None else list(_check_orders(orders)))
        acc.compose(event)
        epsilon, order = _rdp_epsilon(acc, delta, conversion)
    return PrivacyReport(epsilon=epsilon, delta=delta, accountant=accountant,
                         conversion=conversion, order=order,
                         noise_multiplier=float(noise_multiplier),
                         sampling_rate=float(sampling_rate), steps=int(steps))


def _rdp_epsilon(acc, delta: float, conversion: str) -> tuple[float, float]:
    """(epsilon, best order) of a composed RdpAccountant under the chosen conversion."""
    if conversion == "classic":
        return classic_rdp_to_dp(acc.orders, rdp=acc.rdp, delta=delta)
    eps, order = acc.get_epsilon_and_optimal_order(delta)
    return float(eps), float(order)


def noise_for_epsilon(target_epsilon: float, *, sampling_rate: float, steps: int, delta: float,
                      accountant: str = "rdp", conversion: str | None = None,
                      rtol: float = 1e-4) -> float:
    """Smallest noise multiplier whose DP-SGD epsilon is at most ``target_epsilon``.

    Bisection on sigma (epsilon falls as sigma grows): a bracket is found by doubling or
    halving from sigma = 1, then halved until it is narrower than ``rtol`` times its upper
    end. The upper end is returned, so ``compute_epsilon`` at the result is <= the target.
    Works for every accountant and conversion (dp-accounting's ``calibrate_dp_mechanism``
    only knows the improved conversion).

    Args:
        target_epsilon: the budget, > 0.
        sampling_rate: Poisson sampling probability q in (0, 1].
        steps: number of steps, >= 1.
        delta: target delta in (0, 1).
        accountant, conversion: as in :func:`compute_epsilon`.
        rtol: relative width of the final bracket, in (0, 0.1].

    Returns:
        The noise multiplier sigma (a float slightly above the exact optimum).

    Chapter 4.2.
    """
    check_number("target_epsilon", target_epsilon, low=0, low_open=True)
    _check_dp_sgd_args(1.0, sampling_rate, steps, delta)
    conversion = _resolve_conversion(accountant, conversion)
    check_number("rtol", rtol, low=0, high=0.1, low_open=True)

    def fits(sigma: float) -> bool:
        report = compute_epsilon(sigma, sampling_rate=sampling_rate, steps=steps, delta=delta,
                                 accountant=accountant, conversion=conversion)
        return report.epsilon <= target_epsilon

    lo, hi = _bracket(fits, start=1.0, smallest=1e-3, largest=1e6, name="target_epsilon")
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def _bracket(fits, start: float, smallest: float, largest: float, name: str):
    """(lo, hi) with ``fits(hi)`` true and ``fits(lo)`` false, for a monotone ``fits``."""
    if fits(start):
        hi = start
        while fits(hi / 2):
            hi /= 2
            if hi < smallest:
                raise ValueError(f"{name} is met even with noise below {smallest}; the "
                                 "budget is too large to calibrate")
        return hi / 2, hi
    lo = start
    while not fits(lo * 2):
        lo *= 2
        if lo > largest:
            raise ValueError(f"{name} cannot be met with noise up to {largest}")
    return lo, lo * 2


def epsilon_per_epoch(noise_multiplier: float, *, batch_size: int, n_examples: int, epochs: int,
                      delta: float, accountant: str = "rdp", conversion: str | None = None,
                      progress: bool = False) -> np.ndarray:
    """Epsilon after each of epochs 1, 2, ..., ``epochs`` (for a privacy-over-training curve).

    Entry ``e - 1`` equals ``compute_epsilon(noise_multiplier, sampling_rate=q,
    steps=steps_for_epochs(n, batch_size=b, epochs=e), delta=delta, ...).epsilon`` with
    ``q = batch_size / n_examples``. RDP composes incrementally (RDP adds up over steps), so
    the curve costs about one call; PLD recomputes each epoch.

    Args:
        noise_multiplier: sigma > 0.
        batch_size: expected batch size, 1 <= batch_size <= n_examples.
        n_examples: number of training examples, >= 1.
        epochs: number of epochs, >= 1.
        delta: target delta in (0, 1).
        accountant, conversion: as in :func:`compute_epsilon`.
        progress: show a tqdm progress bar over epochs.

    Returns:
        Array of shape [epochs] of epsilons, non-decreasing.

    Chapter 4.2.
    """
    q = sampling_rate(batch_size, n_examples=n_examples)
    check_number("epochs", epochs, low=1, integer=True)
    _check_dp_sgd_args(noise_multiplier, q, 1, delta)
    conversion = _resolve_conversion(accountant, conversion)
    from tqdm.auto import tqdm

    steps = [steps_for_epochs(n_examples, batch_size=batch_size, epochs=e)
             for e in range(1, epochs + 1)]
    out = np.empty(epochs)
    if accountant == "pld":
        for i, s in enumerate(tqdm(steps, desc="epsilon per epoch", disable=not progress)):
            out[i] = compute_epsilon(noise_multiplier, sampling_rate=q, steps=s, delta=delta,
                                     accountant="pld").epsilon
        return out
    from dp_accounting.rdp import RdpAccountant

    acc, done = RdpAccountant(), 0
    for i, s in enumerate(tqdm(steps, desc="epsilon per epoch", disable=not progress)):
        acc.compose(_dp_sgd_event(noise_multiplier, q, s - done))
        done = s
        out[i] = _rdp_epsilon(acc, delta, conversion)[0]
    return out


def gaussian_mechanism_delta(sigma: float, *, epsilon: float, sensitivity: float = 1.0) -> float:
    """Exact delta of the Gaussian mechanism with noise ``sigma`` at a given epsilon.

    ``delta = Phi(D/(2s) - e s/D) - exp(e) Phi(-D/(2s) - e s/D)`` with D the L2 sensitivity,
    s = sigma, e = epsilon; evaluated in log space so large epsilon does not overflow.

    Args:
        sigma: noise standard deviation, > 0.
        epsilon: >= 0.
        sensitivity: L2 sensitivity D of the query, > 0.

    Returns:
        The smallest delta for which the mechanism is (epsilon, delta)-DP.

    Balle & Wang 2018, "Improving the Gaussian mechanism", Theorem 8. Chapter 4.2.
    """
    check_number("sigma", sigma, low=0, low_open=True)
    check_number("epsilon", epsilon, low=0)
    check_number("sensitivity", sensitivity, low=0, low_open=True)
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    log_p1 = float(log_ndtr(a - b))
    log_p2 = epsilon + float(log_ndtr(-a - b))
    if log_p2 >= log_p1:
        return 0.0
    return math.exp(log_p1) * -math.expm1(log_p2 - log_p1)


def gaussian_mechanism_sigma(epsilon: float, *, delta: float, sensitivity: float = 1.0,
                             method: str = "analytic") -> float:
    """Noise standard deviation that makes the Gaussian mechanism (epsilon, delta)-DP.

    - ``method="classic"``: ``sigma = sqrt(2 ln(1.25/delta)) * sensitivity / epsilon``,
      proven only for epsilon < 1 (Dwork & Roth 2014, Theorem A.1); larger epsilon raises.
    - ``method="analytic"``: the smallest sigma satisfying the exact condition of
      :func:`gaussian_mechanism_delta` (Balle & Wang 2018, Theorem 8 / Algorithm 1), found by
      bisection to a relative width of 1e-12; valid for every epsilon > 0 and always below the
      classic value.

    Args:
        epsilon: > 0 (and < 1 for ``"classic"``).
        delta: in (0, 1).
        sensitivity: L2 sensitivity of the query, > 0.
        method: ``"analytic"`` or ``"classic"``.

    Returns:
        sigma (for the analytic method, the upper end of the final bracket, so it is valid).

    Chapter 4.2.
    """
    check_choice("method", method, ("analytic", "classic"))
    check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
    check_number("sensitivity", sensitivity, low=0, low_open=True)
    if method == "classic":
        check_number("epsilon", epsilon, low=0, high=1, low_open=True, high_open=True)
        return math.sqrt(2 * math.log(1.25 / delta)) * sensitivity / epsilon
    check_number("epsilon", epsilon, low=0, low_open=True)

    def fits(sigma: float) -> bool:
        return gaussian_mechanism_delta(sigma, epsilon=epsilon, sensitivity=sensitivity) <= delta

    lo, hi = _bracket(fits, start=sensitivity, smallest=1e-12 * sensitivity,
                      largest=1e12 * sensitivity, name="epsilon")
    while hi - lo > 1e-12 * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi
