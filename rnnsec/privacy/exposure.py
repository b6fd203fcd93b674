"""Exposure of inserted canaries: how much has a language model memorised a secret?

Carlini et al. 2019 ("The Secret Sharer") insert a random secret such as
"my number is 281-5910" (a *canary*) into the training text, then rank it by the trained
model's log-perplexity among all candidates of the same format. Exposure is
``log2 |R| - log2 rank``: 0 for a canary the model ranks last, ``log2 |R|`` (16.6 for 10^5
candidates) for one it ranks first. When enumerating every candidate is too costly, a
skew-normal fitted to a sample of reference log-perplexities extrapolates the rank.

This module is the math on numbers: it takes arrays of log-perplexities (lower = the model
finds the sequence more likely) and secret *formats* such as ``"###-####"`` (``#`` = one
digit). Scoring strings with a trained model lives in :mod:`rnnsec.privacy.extraction`,
whose :func:`~rnnsec.privacy.extraction.canary_exposure` uses this module; Chapter 2.3 calls
:func:`exposure_exact` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from rnnsec._validate import as_float_array, check_choice, check_number

__all__ = [
    "PLACEHOLDER",
    "exposure_exact",
    "exposure_extrapolated",
    "SkewNormalFit",
    "fit_skew_normal",
    "secret_space",
    "format_secret",
    "secret_index",
    "enumerate_secrets",
    "random_secrets",
]

#: The character that marks one random digit in a secret format.
PLACEHOLDER = "#"
#: ``enumerate_secrets`` refuses to list more than this many secrets without a ``limit``.
MAX_ENUMERATION = 10**6
#: Formats with more placeholders than this cannot be indexed by int64 (10^18 < 2^63).
MAX_PLACEHOLDERS = 18
MIN_REFERENCES_FOR_FIT = 10


def _canaries(value) -> tuple[np.ndarray, bool]:
    """(1-D float64 array, whether the input was a scalar)."""
    arr = as_float_array("canary_log_perplexity", value, ndim=(0, 1)).astype(np.float64)
    return np.atleast_1d(arr), arr.ndim == 0


def _references(value, min_size: int = 1) -> np.ndarray:
    ref = as_float_array("reference_log_perplexities", value, ndim=1).astype(np.float64)
    if ref.size < min_size:
        raise ValueError(f"reference_log_perplexities must hold at least {min_size} values, "
                         f"got {ref.size}")
    return ref


def exposure_exact(canary_log_perplexity, *, reference_log_perplexities,
                   ties: str = "average") -> float | np.ndarray:
    """Exposure ``log2 |R| - log2 rank`` of a canary among its reference candidates.

    ``R`` is the reference set *plus the canary*, so ``|R| = len(reference) + 1``; pass the
    other candidates only (drop the canary's own entry when you enumerate the whole secret
    space). Rank 1 is the lowest log-perplexity. Ties between the canary and references:

    - ``"average"`` (default): the expected rank when ties are broken at random,
      ``1 + #less + #equal / 2`` (may be fractional);
    - ``"min"``: the canary wins every tie (the largest exposure);
    - ``"max"``: the canary loses every tie (the smallest exposure).

    Without ties all three agree. Several canaries may be passed at once; each is ranked
    against the same references (not against each other).

    Args:
        canary_log_perplexity: a number, or shape [C] for C canaries.
        reference_log_perplexities: shape [N], N >= 1, the other candidates.
        ties: ``"average"``, ``"min"`` or ``"max"``.

    Returns:
        Exposure in [0, log2(N + 1)]: a float, or shape [C] for an array input.

    Carlini, Liu, Erlingsson, Kos, Song 2019, "The Secret Sharer", Definition 3.
    Chapter 2.3 (canaries in a classifier's training set).
    """
    canary, scalar = _canaries(canary_log_perplexity)
    ref = np.sort(_references(reference_log_perplexities))  # [N]
    check_choice("ties", ties, ("average", "min", "max"))
    less = np.searchsorted(ref, canary, side="left")  # [C] references strictly below
    equal = np.searchsorted(ref, canary, side="right") - less  # [C] references tied
    rank = 1 + less + {"average": 0.5, "min": 0.0, "max": 1.0}[ties] * equal
    exposure = math.log2(ref.size + 1) - np.log2(rank)
    return float(exposure[0]) if scalar else exposure


@dataclass(frozen=True, kw_only=True)
class SkewNormalFit:
    """A skew-normal distribution fitted to reference log-perplexities.

    Attributes:
        shape: skewness parameter ``a`` of ``scipy.stats.skewnorm``.
        loc: location.
        scale: scale, > 0.
        n_references: how many values it was fitted to.
    """

    shape: float
    loc: float
    scale: float
    n_references: int

    def cdf(self, x) -> np.ndarray:
        """P(log-perplexity <= x) under the fit."""
        return stats.skewnorm.cdf(x, self.shape, self.loc, self.scale)

    def exposure(self, canary_log_perplexity) -> float | np.ndarray:
        """Extrapolated exposure ``-log2 P(log-perplexity <= canary)``; see the module doc."""
        canary, scalar = _canaries(canary_log_perplexity)
        exposure = -stats.skewnorm.logcdf(canary, self.shape, self.loc, self.scale) / math.log(2)
        return float(exposure[0]) if scalar else exposure

    def as_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)

    def __repr__(self) -> str:
        return (f"SkewNormalFit(shape={self.shape:.4g}, loc={self.loc:.4g}, "
                f"scale={self.scale:.4g}; fitted to {self.n_references} references)")


def fit_skew_normal(reference_log_perplexities) -> SkewNormalFit:
    """Maximum-likelihood skew-normal fit to reference log-perplexities.

    Args:
        reference_log_perplexities: shape [N], N >= 10, not all equal.

    Returns:
        A :class:`SkewNormalFit`.

    Carlini et al. 2019, Section 4.3 (approximating exposure by distribution modelling).
    Used by :func:`exposure_extrapolated` and by
    :func:`~rnnsec.privacy.extraction.canary_exposure` (``exact=False``).
    """
    ref = _references(reference_log_perplexities, MIN_REFERENCES_FOR_FIT)
    if np.ptp(ref) == 0:
        raise ValueError("reference_log_perplexities are all equal; a distribution cannot be "
                         "fitted to them")
    shape, loc, scale = stats.skewnorm.fit(ref)
    return SkewNormalFit(shape=float(shape), loc=float(loc), scale=float(scale),
                         n_references=int(ref.size))


def exposure_extrapolated(canary_log_perplexity, *,
                          reference_log_perplexities) -> float | np.ndarray:
    """Exposure estimated from a skew-normal fitted to a sample of reference candidates.

    ``exposure = -log2 F(canary)`` with F the fitted CDF: the rank among all candidates is
    estimated as ``|R| F(canary)``, so exposure needs no enumeration of the whole space and is
    not capped at ``log2`` of the sample size. Reliable only while the canary lies within or
    near the range of the sample; far in the tail it is an extrapolation.

    Args:
        canary_log_perplexity: a number, or shape [C].
        reference_log_perplexities: shape [N], N >= 10, a random sample of other candidates.

    Returns:
        Exposure >= 0: a float, or shape [C] for an array input.

    Carlini et al. 2019, "The Secret Sharer", Section 4.3. The same estimate as
    :func:`~rnnsec.privacy.extraction.canary_exposure` with ``exact=False``, from
    log-perplexities you computed.
    """
    _canaries(canary_log_perplexity)  # validate before the (slower) fit
    return fit_skew_normal(reference_log_perplexities).exposure(canary_log_perplexity)


# --- secret formats ---------------------------------------------------------------------


def _placeholders(format: str) -> int:
    if not isinstance(format, str):
        raise TypeError(f"format must be a string, got {type(format).__name__}")
    k = format.count(PLACEHOLDER)
    if k == 0:
        raise ValueError(f"format must contain at least one {PLACEHOLDER!r} placeholder "
                         f"(one random digit each), got {format!r}")
    return k


def secret_space(format: str) -> int:
    """Number of secrets a format can produce: ``10 ** (number of '#')``.

    Args:
        format: e.g. ``"###-####"`` or ``"my pin is ####"``; each ``#`` is one digit.

    Returns:
        The size of the candidate set R (10^7 for ``"###-####"``).

    Carlini et al. 2019, Section 3. Used by :func:`~rnnsec.privacy.extraction.canary_exposure` and
    :func:`~rnnsec.privacy.extraction.secret_log_perplexities`.
    """
    return 10 ** _placeholders(format)


def format_secret(format: str, index: int) -> str:
    """The ``index``-th secret of a format: its digits, zero-padded, fill the placeholders.

    Args:
        format: a secret format (see :func:`secret_space`).
        index: 0 <= index < secret_space(format).

    Returns:
        The secret, e.g. ``format_secret("###-####", 42) == "000-0042"``.

    Used by :func:`enumerate_secrets` and :func:`random_secrets`.
    """
    k = _placeholders(format)
    check_number("index", index, low=0, high=10**k - 1, integer=True)
    digits = iter(str(int(index)).zfill(k))
    return "".join(next(digits) if ch == PLACEHOLDER else ch for ch in format)


def secret_index(format: str, secret: str) -> int:
    """Inverse of :func:`format_secret`; raises if ``secret`` does not match ``format``.

    Args:
        format: a secret format.
        secret: a string of the same length with a digit at every placeholder and the
            format's other characters unchanged.

    Returns:
        The index of the secret in the format's enumeration order.

    Used by :func:`random_secrets` and :func:`~rnnsec.privacy.extraction.canary_exposure`.
    """
    _placeholders(format)
    if not isinstance(secret, str):
        raise TypeError(f"secret must be a string, got {type(secret).__name__}")
    ok = len(secret) == len(format) and all(
        (s in "0123456789") if f == PLACEHOLDER else (s == f)
        for f, s in zip(format, secret, strict=True))
    if not ok:
        raise ValueError(f"secret {secret!r} does not match format {format!r} (each "
                         f"{PLACEHOLDER!r} must be one digit, other characters as in the format)")
    return int("".join(s for f, s in zip(format, secret, strict=True) if f == PLACEHOLDER))


def enumerate_secrets(format: str, limit: int | None = None) -> list[str]:
    """Every secret of a format in index order (the first ``limit`` of them if given).

    Args:
        format: a secret format.
        limit: return at most this many (>= 1). Without it, formats with more than
            10^6 secrets raise (use ``limit`` or :func:`random_secrets`).

    Returns:
        A list of min(limit, secret_space(format)) strings.

    Carlini et al. 2019 (exact exposure enumerates the whole space).
    :func:`~rnnsec.privacy.extraction.secret_log_perplexities` scores these candidates, in this
    order, without listing them.
    """
    space = secret_space(format)
    if limit is None:
        if space > MAX_ENUMERATION:
            raise ValueError(f"format {format!r} has {space} secrets, more than "
                             f"{MAX_ENUMERATION}; pass limit or use random_secrets")
        count = space
    else:
        count = min(check_number("limit", limit, low=1, integer=True), space)
    return [format_secret(format, i) for i in range(count)]


def random_secrets(format: str, n: int, *, seed: int | np.random.Generator,
                   exclude: Iterable[str] = ()) -> list[str]:
    """``n`` distinct secrets drawn uniformly from a format, avoiding ``exclude``.

    Use it to draw canaries, and reference candidates that exclude the inserted canary.

    Args:
        format: a secret format with at most 18 placeholders.
        n: how many, 1 <= n <= secret_space(format) - len(set(exclude)).
        seed: an integer seed or a ``numpy.random.Generator``.
        exclude: secrets that must not be drawn (each must match the format).

    Returns:
        A list of n distinct secrets, in random order.

    Carlini et al. 2019, Section 3 (canaries are random). Used by
    :func:`~rnnsec.privacy.extraction.canary_exposure` (the sampled references of
    ``exact=False``).
    """
    k = _placeholders(format)
    if k > MAX_PLACEHOLDERS:
        raise ValueError(f"format must have at most {MAX_PLACEHOLDERS} placeholders for "
                         f"random_secrets, got {k}")
    if isinstance(exclude, str):
        raise TypeError("exclude must be an iterable of secrets, not a single string")
    excluded = {secret_index(format, s) for s in exclude}
    space = 10**k
    check_number("n", n, low=1, high=space - len(excluded), integer=True)
    if not isinstance(seed, np.random.Generator):
        check_number("seed", seed, low=0, integer=True)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # Draw n + |excluded| distinct indices and drop the excluded ones: uniform over the rest.
    drawn = rng.choice(space, size=n + len(excluded), replace=False)
    kept = [int(i) for i in drawn if int(i) not in excluded][:n]
    return [format_secret(format, i) for i in kept]
