"""Tests of rnnsec.privacy.audit: Clopper-Pearson, Jagielski et al. 2020, Steinke et al. 2023."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logit

from rnnsec.privacy.audit import (
    AuditResult,
    OneRunAuditResult,
    clopper_pearson,
    confusion_counts,
    epsilon_lower_bound,
    one_run_audit,
    one_run_epsilon_lower_bound,
    one_run_p_value,
    sample_inclusion,
)


@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (0, 20), (3, 20), (20, 20), (17, 500),
                                  (250, 500), (500, 500)])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.3])
def test_clopper_pearson_matches_scipy_exact_interval(k, n, alpha):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
    lo, hi = clopper_pearson(k, trials=n, alpha=alpha)
    assert lo == pytest.approx(ci.low, abs=1e-12)
    assert hi == pytest.approx(ci.high, abs=1e-12)


def test_jagielski_anchor_500_perfect_trials_alpha_001():
    result = epsilon_lower_bound(tp=500, fn=0, fp=0, tn=500, alpha=0.01)
    assert round(result.epsilon, 2) == 4.54
    # the split that gives 4.54: alpha / 2 on each of the two one-sided bounds
    per_end = 0.005
    assert result.epsilon == pytest.approx(math.log(per_end ** (1 / 500) /
                                                    (1 - per_end ** (1 / 500))), rel=1e-9)
    assert result.side == "positives"
    # the alternatives the docstring rules out
    for other, value in ((0.01, 4.68), (0.0025, 4.42)):
        assert round(math.log(other ** (1 / 500) / (1 - other ** (1 / 500))), 2) == value


def test_bound_uses_both_sides_and_delta_lowers_it():
    # many false negatives but no false positives: the positive side carries the bound
    pos = epsilon_lower_bound(tp=30, fn=70, fp=0, tn=100, alpha=0.05)
    # mirror image: members never missed, non-members often flagged
    neg = epsilon_lower_bound(tp=100, fn=0, fp=70, tn=30, alpha=0.05)
    assert pos.side == "positives" and neg.side == "negatives"
    assert pos.epsilon == pytest.approx(neg.epsilon, rel=1e-12)
    with_delta = epsilon_lower_bound(tp=30, fn=70, fp=0, tn=100, delta=0.05, alpha=0.05)
    assert 0 < with_delta.epsilon < pos.epsilon
    tpr_lo = clopper_pearson(30, trials=100, alpha=0.05)[0]
    fpr_hi = clopper_pearson(0, trials=100, alpha=0.05)[1]
    assert pos.epsilon == pytest.approx(math.log(tpr_lo / fpr_hi))
    assert with_delta.epsilon == pytest.approx(math.log((tpr_lo - 0.05) / fpr_hi))


def test_no_evidence_gives_zero():
    result = epsilon_lower_bound(tp=50, fn=50, fp=50, tn=50)
    assert result.epsilon == 0.0 and result.side is None
    assert isinstance(result, AuditResult)
    assert "epsilon >= 0" in repr(result)
    assert result.as_dict()["tp"] == 50


def test_jagielski_bound_is_valid_for_randomised_response():
    # An eps-DP test (randomised response, TPR = e^eps / (1 + e^eps) = 1 - FPR) must give a
    # bound above eps with probability <= alpha. Computed exactly over all outcomes.
    eps, n, alpha = 1.0, 25, 0.1
    p = expit(eps)
    pmf_tp = stats.binom.pmf(np.arange(n + 1), n, p)
    pmf_fp = stats.binom.pmf(np.arange(n + 1), n, 1 - p)
    exceed = sum(pmf_tp[tp] * pmf_fp[fp]
                 for tp in range(n + 1) for fp in range(n + 1)
                 if epsilon_lower_bound(tp, fn=n - tp, fp=fp, tn=n - fp, alpha=alpha).epsilon > eps)
    assert exceed <= alpha
    assert exceed > 0  # the test is not vacuous: large counts do exceed eps sometimes


def test_confusion_counts():
    guesses = np.array([1, 1, 0, 0, 1, 0], dtype=bool)
    truth = np.array([1, 0, 1, 0, 1, 0])
    assert confusion_counts(guesses, is_member=truth) == (2, 1, 1, 2)
    with pytest.raises(ValueError, match="mismatched lengths"):
        confusion_counts([1, 0], is_member=[1, 0, 1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(tp=-1), "tp"), (dict(fn=1.5), "fn"), (dict(tp=0, fn=0), "tp \\+ fn"),
    (dict(fp=0, tn=0), "fp \\+ tn"), (dict(delta=1.0), "delta"), (dict(alpha=0.0), "alpha"),
    (dict(alpha=1.0), "alpha"),
])
def test_epsilon_lower_bound_rejects_bad_arguments(kwargs, match):
    args = dict(tp=10, fn=0, fp=0, tn=10)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        epsilon_lower_bound(**args)


def test_clopper_pearson_rejects_bad_arguments():
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson(5, trials=4)
    with pytest.raises(ValueError, match="trials"):
        clopper_pearson(0, trials=0)
    with pytest.raises(ValueError, match="alpha"):
        clopper_pearson(1, trials=4, alpha=1.2)


# --- one run ---------------------------------------------------------------------------


@pytest.mark.parametrize("r", [10, 100, 500])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_one_run_all_correct_has_closed_form(r, alpha):
    # P[Binomial(r, q) >= r] = q^r < alpha  <=>  eps < logit(alpha^(1/r))
    bound = one_run_epsilon_lower_bound(1000, n_guesses=r, n_correct=r, alpha=alpha)
    assert bound == pytest.approx(logit(alpha ** (1 / r)), abs=2e-6)
    assert bound <= logit(alpha ** (1 / r))


def test_one_run_p_value_is_the_binomial_tail_without_delta():
    for v in (50, 60, 75):
        assert one_run_p_value(200, n_guesses=100, n_correct=v, epsilon=0.5) == pytest.approx(
            stats.binom.sf(v - 1, 100, expit(0.5)))


def test_one_run_delta_term_matches_the_corollary_written_as_a_loop():
    m, r, v, eps, delta = 1000, 80, 70, 1.0, 1e-4
    q = expit(eps)
    tail = sum(stats.binom.pmf(j, r, q) for j in range(v, r + 1))
    worst = max(sum(stats.binom.pmf(j, r, q) for j in range(v - i, v)) / i
                for i in range(1, v + 1))
    p = one_run_p_value(m, n_guesses=r, n_correct=v, epsilon=eps, delta=delta)
    assert p == pytest.approx(tail + 2 * m * delta * worst)


def test_one_run_bound_is_valid_for_randomised_response():
    # Guesses that are right with probability e^eps / (1 + e^eps), independently, are what an
    # eps-DP algorithm allows at most; the bound must exceed eps with probability <= alpha.
    eps, r, alpha = 1.0, 60, 0.05
    pmf = stats.binom.pmf(np.arange(r + 1), r, expit(eps))
    bounds = np.array([one_run_epsilon_lower_bound(r, n_guesses=r, n_correct=v, alpha=alpha)
                       for v in range(r + 1)])
    exceed = pmf[bounds > eps].sum()
    assert exceed <= alpha
    assert exceed > alpha / 10  # and the test is not vacuous


def test_one_run_bound_moves_the_right_way():
    base = one_run_epsilon_lower_bound(1000, n_guesses=100, n_correct=90)
    assert one_run_epsilon_lower_bound(1000, n_guesses=100, n_correct=95) > base
    assert 0 < one_run_epsilon_lower_bound(1000, n_guesses=100, n_correct=90, delta=1e-5) < base
    assert one_run_epsilon_lower_bound(1000, n_guesses=100, n_correct=90, alpha=0.01) < base
    assert one_run_epsilon_lower_bound(1000, n_guesses=100, n_correct=50) == 0.0
    assert one_run_epsilon_lower_bound(1000, n_guesses=0, n_correct=0) == 0.0


def test_one_run_audit_counts_guesses_like_brute_force():
    rng = np.random.default_rng(0)
    m = 200
    included = sample_inclusion(m, seed=1)
    scores = rng.normal(size=m) + 1.5 * included
    result = one_run_audit(scores, included, n_positive_guesses=30, n_negative_guesses=20)
    top = np.argsort(-scores)[:30]
    bottom = np.argsort(scores)[:20]
    expected = int(included[top].sum() + (~included[bottom]).sum())
    assert result.n_correct == expected and result.n_guesses == 50
    assert result.epsilon == pytest.approx(
        one_run_epsilon_lower_bound(m, n_guesses=50, n_correct=expected))
    assert isinstance(result, OneRunAuditResult) and result.as_dict()["n_guesses"] == 50
    assert f"{expected} of 50 guesses right on 200 canaries" in repr(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.epsilon = 0.0


def test_one_run_audit_perfect_separation():
    included = sample_inclusion(100, seed=3)
    result = one_run_audit(included.astype(float), included, n_positive_guesses=10,
                           n_negative_guesses=10)
    assert result.n_correct == 20
    assert result.epsilon == pytest.approx(logit(0.05 ** (1 / 20)), abs=2e-6)


def test_sample_inclusion_is_seeded_fair_coins():
    a, b = sample_inclusion(2000, seed=7), sample_inclusion(2000, seed=7)
    assert a.dtype == bool and np.array_equal(a, b)
    assert 0.45 < a.mean() < 0.55
    assert not np.array_equal(a, sample_inclusion(2000, seed=8))
    assert np.array_equal(sample_inclusion(5, seed=np.random.default_rng(0)),
                          sample_inclusion(5, seed=np.random.default_rng(0)))


@pytest.mark.parametrize("call, match", [
    (lambda: one_run_p_value(10, n_guesses=11, n_correct=5, epsilon=1.0), "n_guesses"),
    (lambda: one_run_p_value(10, n_guesses=5, n_correct=6, epsilon=1.0), "n_correct"),
    (lambda: one_run_p_value(10, n_guesses=5, n_correct=3, epsilon=-1.0), "epsilon"),
    (lambda: one_run_epsilon_lower_bound(10, n_guesses=5, n_correct=3, delta=-0.1), "delta"),
    (lambda: one_run_epsilon_lower_bound(10, n_guesses=5, n_correct=3, alpha=0.0), "alpha"),
    (lambda: one_run_audit([0.1, 0.2], [1, 0, 1], n_positive_guesses=1), "mismatched lengths"),
    (lambda: one_run_audit([0.1, 0.2], [1, 0], n_positive_guesses=0, n_negative_guesses=0),
     "n_positive_guesses"),
    (lambda: one_run_audit([0.1, 0.2], [1, 0], n_positive_guesses=2, n_negative_guesses=1),
     "n_positive_guesses"),
    (lambda: one_run_audit([0.1, np.nan], [1, 0], n_positive_guesses=1), "scores"),
    (lambda: one_run_audit([0.1, 0.2], [1, 3], n_positive_guesses=1), "is_included"),
    (lambda: sample_inclusion(0, seed=0), "m"),
])
def test_one_run_rejects_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("call", [
    lambda: clopper_pearson(3, 10),
    lambda: confusion_counts([1, 0], [0, 1]),
    lambda: epsilon_lower_bound(30, 70, 0, 100),
    lambda: one_run_p_value(200, 100, 90, 0.5),
    lambda: one_run_epsilon_lower_bound(1000, 100, 90),
    lambda: sample_inclusion(10, 0),
    lambda: one_run_audit([0.1, 0.2], [1, 0], 1, 0),
])
def test_counts_and_rates_must_be_named(call):
    # swapping two counts (fn and fp, n_guesses and n_correct) or delta and alpha would run
    with pytest.raises(TypeError, match="positional"):
        call()
