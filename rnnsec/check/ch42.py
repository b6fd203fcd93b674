"""Self-checks for the exercises of Chapter 4.2 (The mathematics of differential privacy).

Also holds the helpers that judge "the smallest noise multiplier for a budget" and "a number
close to a reference"; the DP-SGD chapters (3.2, 5.2) reuse them.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rnnsec.check._core import WrongAnswer, as_dict, as_number, register, require
from rnnsec.privacy import accounting

DELTA = 1e-5
NOISE_SLACK = 0.02  # a noise multiplier this much smaller must break the budget


def close(value: float, reference: float, rtol: float) -> bool:
    """Whether ``value`` is within ``rtol`` (relative) of ``reference``."""
    return abs(value - reference) <= rtol * abs(reference)


def check_smallest_noise(answer, target: float, q: float, steps: int, delta: float,
                         conversion: str | None = None, what: str = "the noise multiplier"
                         ) -> float:
    """Require ``answer`` to meet ``target`` epsilon (RDP accountant) and to be the smallest.

    Returns the epsilon spent at ``answer``.
    """
    sigma = as_number(answer, what)
    require(sigma > 0, f"{what} must be positive")
    eps = accounting.compute_epsilon(sigma, sampling_rate=q, steps=steps, delta=delta,
                                     conversion=conversion).epsilon
    require(eps <= target * (1 + 1e-9),
            f"at this noise the accountant spends epsilon {eps:.3g}, above the budget "
            f"{target:g}: too little noise. Check the sampling rate and the number of steps "
            "the whole run takes (all epochs)")
    smaller = accounting.compute_epsilon(sigma * (1 - NOISE_SLACK), sampling_rate=q, steps=steps,
                                         delta=delta, conversion=conversion).epsilon
    require(smaller > target,
            f"the budget holds, but also with {NOISE_SLACK:.0%} less noise (epsilon "
            f"{smaller:.3g}): this is not the smallest noise multiplier. Search for it "
            "(noise_for_epsilon) with the run's own sampling rate and steps")
    return eps


@register("4.2-1", topic="smallest noise multiplier for epsilon <= 1, two RDP conversions")
def _noise_for_budget(answer, *, n_examples: int) -> str:
    sigmas = as_dict(answer, ("improved", "classic"), "the answer")
    q = accounting.sampling_rate(32, n_examples=n_examples)
    steps = accounting.steps_for_epochs(n_examples, batch_size=32, epochs=10)
    for conversion in ("improved", "classic"):
        try:
            check_smallest_noise(sigmas[conversion], 1.0, q, steps, DELTA, conversion,
                                 what=f"the noise multiplier for the {conversion} conversion")
        except WrongAnswer as err:
            raise WrongAnswer(f"{conversion} conversion: {err}") from None
    require(sigmas["classic"] > sigmas["improved"],
            "the classic conversion is looser, so it needs more noise than the improved one")
    return ("Both noise multipliers are the smallest that keep epsilon <= 1; the looser "
            "classic conversion pays for the same claim with more noise.")


def _crossover(sigma: float, laplace_factor: float) -> int:
    """Smallest d with Laplace std (laplace_factor * sqrt(d), in units of C) above sigma."""
    return math.floor((sigma / laplace_factor) ** 2) + 1


def _lstm_dense_params(units: int, features: int, classes: int, gates: int = 4) -> int:
    return gates * (units * (features + units) + units) + units * classes + classes


@register("4.2-2", topic="Laplace (L1) against Gaussian (L2) noise: crossover dimension")
def _laplace_vs_gauss(answer) -> str:
    given = as_dict(answer, ("crossover_d", "n_params"), "the answer")
    for key in ("crossover_d", "n_params"):
        value = given[key]
        require(isinstance(value, (int, np.integer)) and not isinstance(value, bool),
                f"{key} must be an integer, got {type(value).__name__}")
    gauss = accounting.gaussian_mechanism_sigma(1.0, delta=DELTA)
    right = _crossover(gauss, math.sqrt(2))
    d = int(given["crossover_d"])
    require(d != _crossover(gauss, 1.0),
            "the standard deviation of Laplace noise with scale b is sqrt(2) b, not b")
    classic = accounting.gaussian_mechanism_sigma(0.999999, delta=DELTA, method="classic")
    require(d != _crossover(classic, math.sqrt(2)),
            "the classic Gaussian formula is not the analytic mechanism; use "
            "gaussian_mechanism_sigma's default")
    require(d == right, "crossover_d should be the first dimension d at which the Laplace "
                        "standard deviation sqrt(2) sqrt(d) C / epsilon exceeds the Gaussian one")
    n = int(given["n_params"])
    require(n != _lstm_dense_params(64, 8, 10, gates=1),
            "an LSTM has four gates, each with its own kernel, recurrent kernel and bias")
    require(n != _lstm_dense_params(64, 8, 10) - 64 * 10 - 10,
            "count the Dense(10) layer too (kernel and bias)")
    require(n == _lstm_dense_params(64, 8, 10),
            "n_params should count every trainable weight of LSTM(64) on 8 features plus "
            "Dense(10): kernels, recurrent kernel and biases")
    return ("Right: beyond a handful of coordinates the L1 sensitivity sqrt(d) C makes Laplace "
            "noise far larger than Gaussian noise calibrated to the L2 sensitivity.")


@lru_cache(maxsize=8)
def _sampling_reference(n_examples: int) -> dict:
    q = accounting.sampling_rate(32, n_examples=n_examples)
    steps = accounting.steps_for_epochs(n_examples, batch_size=32, epochs=10)
    return {"a": accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=DELTA,
                                            accountant="pld").epsilon,
            "a_rdp": accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps,
                                                delta=DELTA).epsilon,
            "b": gaussian_epsilon(1.1 / math.sqrt(10), delta=DELTA),
            "b_one_step": gaussian_epsilon(1.1, delta=DELTA),
            "c": gaussian_epsilon(1.1 / math.sqrt(steps), delta=DELTA)}


def gaussian_epsilon(sigma: float, *, delta: float) -> float:
    """Smallest epsilon of the Gaussian mechanism (sensitivity 1) at ``delta`` (bisection)."""
    if accounting.gaussian_mechanism_delta(sigma, epsilon=0.0) <= delta:
        return 0.0
    lo, hi = 0.0, 1.0
    while accounting.gaussian_mechanism_delta(sigma, epsilon=hi) > delta:
        lo, hi = hi, 2 * hi
    while hi - lo > 1e-10 * hi:
        mid = 0.5 * (lo + hi)
        too_small = accounting.gaussian_mechanism_delta(sigma, epsilon=mid) > delta
        lo, hi = (mid, hi) if too_small else (lo, mid)
    return hi


@register("4.2-3", topic="epsilon with and without amplification by subsampling")
def _sampling(answer, *, n_examples: int) -> str:
    given = as_dict(answer, ("a", "b", "c"), "the answer")
    eps = {k: as_number(given[k], f"epsilon ({k})") for k in ("a", "b", "c")}
    ref = _sampling_reference(int(n_examples))
    require(not close(eps["a"], ref["a_rdp"], 0.01) or close(eps["a"], ref["a"], 0.02),
            "(a): that is the RDP bound; the exercise asks for the PLD accountant")
    require(close(eps["a"], ref["a"], 0.02),
            "(a): use compute_epsilon with accountant='pld', q = 32 / N and the steps of 10 "
            "epochs (steps_for_epochs)")
    require(not close(eps["b"], ref["b_one_step"], 0.02),
            "(b): that is one step; ten full-batch steps compose")
    require(close(eps["b"], ref["b"], 0.02),
            "(b): without sampling, k Gaussian steps with noise sigma are exactly one Gaussian "
            "mechanism with noise sigma / sqrt(k); take its exact epsilon at delta = 1e-5")
    require(close(eps["c"], ref["c"], 0.02),
            "(c): full batch for as many steps as (a) took: compose that many exact Gaussian "
            "steps the same way as in (b)")
    return ("Right: with full batches every record is in every step, so even ten steps cost "
            "more than thousands of subsampled ones.")


@register("4.2-4", topic="the classic Gaussian formula fails at epsilon = 10")
def _classic_fails(answer) -> str:
    from scipy import stats

    given = as_dict(answer, ("threshold", "sigma"), "the answer")
    t = as_number(given["threshold"], "threshold")
    eps = 10.0
    classic = math.sqrt(2 * math.log(1.25 / DELTA)) / eps
    p_d = stats.norm.sf(t, loc=1.0, scale=classic)
    p_d_prime = stats.norm.sf(t, loc=0.0, scale=classic)
    require(p_d > math.exp(eps) * p_d_prime + DELTA,
            "the set {o > threshold} does not violate the definition at the classic sigma "
            "(f(D) = 1, f(D') = 0). Put the threshold where the privacy loss "
            "ln(p_D(o) / p_D'(o)) exceeds epsilon")
    sigma = as_number(given["sigma"], "sigma")
    require(sigma > 0, "sigma must be positive")
    require(accounting.gaussian_mechanism_delta(sigma, epsilon=eps) <= DELTA * (1 + 1e-9),
            "with this sigma the mechanism is still not (10, 1e-5)-DP (exact condition of "
            "Balle & Wang); it needs more noise")
    require(accounting.gaussian_mechanism_delta(sigma * 0.99, epsilon=eps) > DELTA,
            "this sigma works but is not the smallest: 1% less noise still satisfies the exact "
            "condition")
    return ("Right: the set where the privacy loss exceeds epsilon breaks the classic "
            "calibration, and the analytic sigma repairs it with a little more noise.")
