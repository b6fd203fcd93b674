"""Empirical lower bounds on epsilon: does training leak more than its accountant claims?

An accountant gives an *upper* bound on epsilon. An audit runs an attack and turns its success
into a *lower* bound that holds with confidence ``1 - alpha``: if the lower bound exceeds the
accountant's epsilon, the training code or the accounting has a bug.

- :func:`epsilon_lower_bound`: Jagielski, Ullman, Oprea 2020 ("Auditing differentially private
  machine learning: how private is private SGD?"). Many training runs with and without a
  target example give a confusion matrix; Clopper-Pearson bounds on TPR and FPR give
  ``eps >= ln((TPR_lo - delta) / FPR_hi)``.
- :func:`one_run_audit`: Steinke, Nasr, Jagielski 2023 ("Privacy auditing with one (1)
  training run"). ``m`` canaries are each included with probability 1/2 in a *single*
  training run; the auditor guesses in/out for the most and least confident ones; under
  (eps, delta)-DP the number of correct guesses is (almost) dominated by a binomial.

Pure NumPy/SciPy; the scores come from ``rnnsec.privacy.attacks``. Chapter 6.1 (auditing DP
training) teaches this; Chapter 6.2 audits the capstone's models.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats
from scipy.special import expit

from rnnsec._validate import as_float_array, check_number, check_same_length
from rnnsec.privacy.metrics import as_labels
from rnnsec.stats import proportion_interval

__all__ = [
    "clopper_pearson",
    "confusion_counts",
    "AuditResult",
    "epsilon_lower_bound",
    "OneRunAuditResult",
    "one_run_p_value",
    "one_run_epsilon_lower_bound",
    "one_run_audit",
    "sample_inclusion",
]


def _check_alpha(alpha: float) -> None:
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True)


def clopper_pearson(successes: int, *, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson confidence interval for a binomial proportion.

    Each end misses with probability at most ``alpha / 2``. The interval itself is
    ``rnnsec.stats.proportion_interval(k / n, n=n, level=1 - alpha, method="clopper-pearson")``;
    this form takes counts and returns the two ends, as the audit's formulas use them.

    Args:
        successes: k, 0 <= k <= trials.
        trials: n >= 1.
        alpha: 1 - confidence level, in (0, 1).

    Returns:
        (lo, hi) with P(lo <= p <= hi) >= 1 - alpha.

    Clopper & Pearson 1934. Used by :func:`epsilon_lower_bound`; Chapter 4.2 tests the DP
    definition by sampling with it.
    """
    check_number("trials", trials, low=1, integer=True)
    check_number("successes", successes, low=0, high=trials, integer=True)
    _check_alpha(alpha)
    iv = proportion_interval(int(successes) / int(trials), n=int(trials), level=1 - alpha,
                             method="clopper-pearson")
    return iv.low, iv.high


def confusion_counts(predicted_member, *, is_member) -> tuple[int, int, int, int]:
    """(tp, fn, fp, tn) of membership guesses against the truth.

    Args:
        predicted_member: the attack's 0/1 guesses, shape [N].
        is_member: the truth, 0/1, shape [N].

    Returns:
        (true positives, false negatives, false positives, true negatives).

    Chapter 6.1 (an exercise, with :func:`epsilon_lower_bound`).
    """
    g = as_labels("predicted_member", predicted_member)
    m = as_labels("is_member", is_member)
    check_same_length(predicted_member=g, is_member=m)
    return (int(np.sum(g & m)), int(np.sum(~g & m)), int(np.sum(g & ~m)), int(np.sum(~g & ~m)))


@dataclass(frozen=True, kw_only=True)
class AuditResult:
    """An empirical lower bound on epsilon from a confusion matrix (Jagielski et al. 2020).

    Attributes:
        epsilon: the lower bound (>= 0); every (eps', delta)-DP claim with eps' below it is
            refuted at confidence 1 - alpha.
        delta: the delta of the claims being tested.
        alpha: 1 - confidence.
        tp, fn, fp, tn: the confusion matrix (members guessed in / out, non-members in / out).
        tpr_low: Clopper-Pearson lower bound on the true positive rate.
        fpr_high: Clopper-Pearson upper bound on the false positive rate.
        side: ``"positives"`` if ``ln((TPR_lo - delta) / FPR_hi)`` gave the bound,
            ``"negatives"`` if ``ln((1 - FPR_hi - delta) / (1 - TPR_lo))`` did, ``None`` if
            neither is positive.
    """

    epsilon: float
    delta: float
    alpha: float
    tp: int
    fn: int
    fp: int
    tn: int
    tpr_low: float
    fpr_high: float
    side: str | None

    def as_dict(self) -> dict:
        """The fields as a plain dict."""
        return asdict(self)

    def __repr__(self) -> str:
        return (f"AuditResult(epsilon >= {self.epsilon:.4g} at confidence "
                f"{1 - self.alpha:.4g} for delta={self.delta:g}; TPR >= {self.tpr_low:.4g}, "
                f"FPR <= {self.fpr_high:.4g} from tp={self.tp}, fn={self.fn}, fp={self.fp}, "
                f"tn={self.tn})")


def _log_ratio(num: float, den: float) -> float:
    return math.log(num / den) if num > 0 else -math.inf


def epsilon_lower_bound(tp: int, *, fn: int, fp: int, tn: int, delta: float = 0.0,
                        alpha: float = 0.05) -> AuditResult:
    """Lower bound on epsilon from a membership test's confusion matrix.

    An (eps, delta)-DP training algorithm forces every test to satisfy both
    ``TPR <= e^eps FPR + delta`` and ``TNR <= e^eps FNR + delta``. With ``TPR_lo`` the lower
    end of the two-sided Clopper-Pearson interval of ``tp / (tp + fn)`` and ``FPR_hi`` the
    upper end of that of ``fp / (fp + tn)``, both at level ``1 - alpha`` (``alpha / 2`` per
    end), the bound is

        max(0, ln((TPR_lo - delta) / FPR_hi), ln((1 - FPR_hi - delta) / (1 - TPR_lo))).

    Both terms use the same two one-sided bounds, which each fail with probability at most
    ``alpha / 2``, so the result holds with probability >= 1 - alpha (union bound). With 500
    members all detected and 500 non-members none flagged, alpha = 0.01 gives 4.54: this
    ``alpha / 2`` per end is the split that reproduces Jagielski et al.'s figure (one-sided
    bounds at 0.01 each would give 4.68, at 0.0025 each 4.42).

    Args:
        tp, fn: members guessed "in" / "out" (tp + fn >= 1).
        fp, tn: non-members guessed "in" / "out" (fp + tn >= 1).
        delta: the delta of the DP claim being tested, in [0, 1).
        alpha: 1 - confidence, in (0, 1).

    Returns:
        An :class:`AuditResult`.

    Jagielski, Ullman, Oprea 2020, Section 3 (their Algorithm 2). Chapter 6.1 (an exercise).
    """
    for name, value in (("tp", tp), ("fn", fn), ("fp", fp), ("tn", tn)):
        check_number(name, value, low=0, integer=True)
    if tp + fn < 1:
        raise ValueError("tp + fn (the number of member trials) must be >= 1, got 0")
    if fp + tn < 1:
        raise ValueError("fp + tn (the number of non-member trials) must be >= 1, got 0")
    check_number("delta", delta, low=0, high=1, high_open=True)
    _check_alpha(alpha)
    tpr_low = clopper_pearson(tp, trials=tp + fn, alpha=alpha)[0]
    fpr_high = clopper_pearson(fp, trials=fp + tn, alpha=alpha)[1]
    pos = _log_ratio(tpr_low - delta, fpr_high)
    neg = _log_ratio(1 - fpr_high - delta, 1 - tpr_low)
    best = max(pos, neg)
    side = None if best <= 0 else ("positives" if pos >= neg else "negatives")
    return AuditResult(epsilon=max(0.0, best), delta=float(delta), alpha=float(alpha),
                       tp=int(tp), fn=int(fn), fp=int(fp), tn=int(tn), tpr_low=tpr_low,
                       fpr_high=fpr_high, side=side)


def _check_guess_counts(m: int, n_guesses: int, n_correct: int) -> None:
    check_number("m", m, low=1, integer=True)
    check_number("n_guesses", n_guesses, low=0, high=m, integer=True)
    check_number("n_correct", n_correct, low=0, high=n_guesses, integer=True)


def _p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """Unchecked p-value of :func:`one_run_p_value`."""
    q = float(expit(epsilon))  # accuracy of eps-DP randomised response: e^eps / (1 + e^eps)
    tail = float(stats.binom.sf(v - 1, r, q))  # P[Binomial(r, q) >= v]
    if delta == 0 or v == 0:
        return min(1.0, tail)
    # P[v - i <= Binomial(r, q) < v] / i for i = 1..v; the worst i sets the delta term.
    i = np.arange(1, v + 1)
    near_misses = stats.binom.sf(v - i - 1, r, q) - tail  # [v]
    return min(1.0, tail + 2 * m * delta * float(np.max(near_misses / i)))


def one_run_p_value(m: int, *, n_guesses: int, n_correct: int, epsilon: float,
                    delta: float = 0.0) -> float:
    """P-value of ``n_correct`` right guesses out of ``n_guesses`` if training is (eps, delta)-DP.

    With delta = 0 this is ``P[Binomial(r, e^eps / (1 + e^eps)) >= v]``: an eps-DP algorithm
    lets no auditor beat eps-randomised response on independent coin-flip canaries. With
    delta > 0 the term ``2 m delta max_i P[v - i <= Binomial(r, q) < v] / i`` is added.

    Args:
        m: number of canaries, each included independently with probability 1/2, >= 1.
        n_guesses: r, guesses made (abstentions excluded), 0 <= r <= m.
        n_correct: v, correct guesses, 0 <= v <= r.
        epsilon: the epsilon of the null hypothesis, >= 0.
        delta: its delta, in [0, 1).

    Returns:
        The p-value in [0, 1]; small values refute the (eps, delta)-DP claim.

    Steinke, Nasr, Jagielski 2023, Theorem 3.1 / Corollary 5.4 and their Appendix D.
    :func:`one_run_epsilon_lower_bound` inverts this test.
    """
    _check_guess_counts(m, n_guesses, n_correct)
    check_number("epsilon", epsilon, low=0)
    check_number("delta", delta, low=0, high=1, high_open=True)
    return _p_value(int(m), int(n_guesses), int(n_correct), float(epsilon), float(delta))


def one_run_epsilon_lower_bound(m: int, *, n_guesses: int, n_correct: int, delta: float = 0.0,
                                alpha: float = 0.05, tol: float = 1e-6) -> float:
    """Largest epsilon that the one-run audit refutes at confidence ``1 - alpha``.

    Bisection for the largest eps with ``one_run_p_value(...) < alpha`` (the p-value grows
    with eps); the lower end of the final bracket is returned, so the bound stays valid.

    Args:
        m, n_guesses, n_correct, delta: as in :func:`one_run_p_value`.
        alpha: 1 - confidence, in (0, 1).
        tol: absolute width of the final bracket, in (0, 0.1].

    Returns:
        The lower bound on epsilon (0 when even eps = 0 is not refuted).

    Steinke, Nasr, Jagielski 2023, Appendix D. Chapters 6.1 and 6.2 (the ceiling of an
    audit: every guess right).
    """
    _check_guess_counts(m, n_guesses, n_correct)
    check_number("delta", delta, low=0, high=1, high_open=True)
    _check_alpha(alpha)
    check_number("tol", tol, low=0, high=0.1, low_open=True)
    m, r, v = int(m), int(n_guesses), int(n_correct)

    def refuted(eps: float) -> bool:
        return _p_value(m, r, v, eps, delta) < alpha

    if not refuted(0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while refuted(hi):  # p -> 1 as eps grows, so this ends
        lo, hi = hi, 2 * hi
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if refuted(mid) else (lo, mid)
    return lo


def sample_inclusion(m: int, *, seed: int | np.random.Generator) -> np.ndarray:
    """Which of ``m`` canaries go into the training data: independent fair coin flips.

    Args:
        m: number of canaries, >= 1.
        seed: an integer seed or a ``numpy.random.Generator``.

    Returns:
        Boolean array of shape [m]; True = include the canary.

    Steinke, Nasr, Jagielski 2023, Algorithm 1 (S_i uniform on {-1, +1}).
    Chapters 6.1 and 6.2.
    """
    check_number("m", m, low=1, integer=True)
    if not isinstance(seed, np.random.Generator):
        check_number("seed", seed, low=0, integer=True)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.random(int(m)) < 0.5


@dataclass(frozen=True, kw_only=True)
class OneRunAuditResult:
    """Outcome of a one-run audit (Steinke, Nasr, Jagielski 2023).

    Attributes:
        epsilon: the lower bound on epsilon at confidence 1 - alpha.
        delta, alpha: the tested delta and 1 - confidence.
        m: number of canaries.
        n_positive_guesses: canaries with the highest scores guessed "included".
        n_negative_guesses: canaries with the lowest scores guessed "excluded".
        n_correct: how many of those guesses were right.
    """

    epsilon: float
    delta: float
    alpha: float
    m: int
    n_positive_guesses: int
    n_negative_guesses: int
    n_correct: int

    @property
    def n_guesses(self) -> int:
        """Total number of guesses (abstentions excluded)."""
        return self.n_positive_guesses + self.n_negative_guesses

    def as_dict(self) -> dict:
        """The fields (and ``n_guesses``) as a plain dict."""
        return {**asdict(self), "n_guesses": self.n_guesses}

    def __repr__(self) -> str:
        return (f"OneRunAuditResult(epsilon >= {self.epsilon:.4g} at confidence "
                f"{1 - self.alpha:.4g} for delta={self.delta:g}; {self.n_correct} of "
                f"{self.n_guesses} guesses right on {self.m} canaries)")


def one_run_audit(scores, is_included, *, n_positive_guesses: int, n_negative_guesses: int = 0,
                  delta: float = 0.0, alpha: float = 0.05) -> OneRunAuditResult:
    """One-run audit: guess the top/bottom-scored canaries, bound epsilon from the hits.

    The ``n_positive_guesses`` canaries with the highest scores are guessed "included" and
    the ``n_negative_guesses`` with the lowest "excluded"; the rest are abstentions. Ties are
    broken by position (a stable sort), which is independent of the coin flips. Choose the
    guess counts *before* looking at the outcome (or on separate data): trying many and
    keeping the best voids the confidence level.

    Args:
        scores: one score per canary, shape [m], higher = "more likely included".
        is_included: 1 if the canary was in the training data, 0 if not, shape [m]; each
            canary must have been included independently with probability 1/2.
        n_positive_guesses: k+ >= 0.
        n_negative_guesses: k- >= 0, with 1 <= k+ + k- <= m.
        delta: the tested delta, in [0, 1).
        alpha: 1 - confidence, in (0, 1).

    Returns:
        A :class:`OneRunAuditResult`.

    Steinke, Nasr, Jagielski 2023, Algorithm 1. Chapters 6.1 and 6.2.
    """
    s = as_float_array("scores", scores, ndim=1)
    inc = as_labels("is_included", is_included)
    m = check_same_length(scores=s, is_included=inc)
    check_number("n_positive_guesses", n_positive_guesses, low=0, high=m, integer=True)
    check_number("n_negative_guesses", n_negative_guesses, low=0, high=m, integer=True)
    if not 1 <= n_positive_guesses + n_negative_guesses <= m:
        raise ValueError("n_positive_guesses + n_negative_guesses must be between 1 and the "
                         f"number of canaries {m}, got {n_positive_guesses} + "
                         f"{n_negative_guesses}")
    order = np.argsort(-s, kind="stable")  # [m], highest score first
    guessed_in = order[:n_positive_guesses]
    guessed_out = order[m - n_negative_guesses:]
    correct = int(inc[guessed_in].sum() + (~inc[guessed_out]).sum())
    eps = one_run_epsilon_lower_bound(m, n_guesses=n_positive_guesses + n_negative_guesses,
                                      n_correct=correct, delta=delta, alpha=alpha)
    return OneRunAuditResult(epsilon=eps, delta=float(delta), alpha=float(alpha), m=m,
                             n_positive_guesses=int(n_positive_guesses),
                             n_negative_guesses=int(n_negative_guesses), n_correct=correct)
