"""rnnsec.privacy.significance: intervals of membership metrics and the shuffled-label null."""

import math

import numpy as np
import pytest

from rnnsec.privacy import significance as sig
from rnnsec.privacy.attacks import loss_threshold_attack_from_losses
from rnnsec.privacy.metrics import auc, evaluate_attack, membership_advantage, tpr_at_fpr


def _attack(n=300, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    member = np.r_[np.ones(n), np.zeros(n)].astype(bool)
    return rng.normal(size=2 * n) + shift * member, member


def test_tpr_interval_covers_the_estimate_and_counts_the_false_positives():
    scores, member = _attack(shift=1.0)
    t = sig.tpr_at_fpr_interval(scores, member, 0.01, n_resamples=300)
    assert t.interval.estimate == tpr_at_fpr(scores, member, 0.01)
    assert t.interval.low <= t.interval.estimate <= t.interval.high
    assert t.allowed_false_positives == 3 and t.n_nonmembers == 300
    # the threshold: the member count above the 4th-highest non-member score
    top = np.sort(scores[~member])[::-1]
    assert t.false_positives == int(np.sum(scores[~member] > top[t.false_positives]))
    assert t.false_positives <= t.allowed_false_positives
    assert "rests on" in str(t) and "non-members" in str(t)


def test_bootstrap_tpr_interval_covers_the_true_tpr():
    # scores N(1, 1) for members, N(0, 1) for non-members: TPR at FPR 0.1 is 1 - Phi(z_0.9 - 1)
    from scipy.stats import norm

    true = 1 - norm.cdf(norm.ppf(0.9) - 1)
    hits = 0
    for seed in range(20):
        scores, member = _attack(n=200, shift=1.0, seed=seed)
        iv = sig.tpr_at_fpr_interval(scores, member, 0.1, n_resamples=200, seed=seed).interval
        hits += true in iv
    assert hits >= 16  # 95% nominal; the bootstrap of a threshold statistic is rough


def test_null_quantiles_match_theory_for_random_scores():
    scores, member = _attack(n=200, seed=1)
    null = sig.membership_null(scores, member, fprs=(0.1,), n_permutations=1000, seed=2)
    # AUC: Mann-Whitney variance (n1 + n0 + 1) / (12 n1 n0)
    auc95 = 0.5 + 1.645 * math.sqrt(401 / (12 * 200 * 200))
    assert null.auc.threshold == pytest.approx(auc95, abs=0.01)
    # advantage: one-sided Kolmogorov-Smirnov, sqrt(-ln(0.05) / 2) / sqrt(n1 n0 / (n1 + n0))
    adv95 = math.sqrt(-math.log(0.05) / 2) / math.sqrt(100)
    assert null.advantage.threshold == pytest.approx(adv95, rel=0.12)
    # TPR at FPR 0.1 of uninformative scores: about 0.1 on average
    fpr, tpr_null = null.tpr_at_fpr[0]
    assert fpr == 0.1 and np.mean(tpr_null.draws) == pytest.approx(0.1, abs=0.01)
    assert not null.auc.exceeded()


def test_null_observed_values_are_the_metrics_and_a_real_attack_exceeds_them():
    scores, member = _attack(n=200, shift=0.5)
    null = sig.membership_null(scores, member, n_permutations=100)
    assert null.auc.observed == pytest.approx(auc(scores, member))
    assert null.advantage.observed == pytest.approx(membership_advantage(scores, member))
    assert null.auc.exceeded() and null.advantage.exceeded()
    assert "AUC" in str(null) and "shuffles" in repr(null)


def test_attack_significance_collects_everything_and_prints_it():
    scores, member = _attack(n=150, shift=0.3)
    s = sig.attack_significance(scores, member, fprs=(0.01, 0.1), n_resamples=200,
                                n_permutations=50)
    assert s.auc.estimate == pytest.approx(auc(scores, member))
    assert s.advantage.low <= s.advantage.estimate <= s.advantage.high
    assert [t.fpr for t in s.tpr_at_fpr] == [0.01, 0.1]
    assert isinstance(s.leaks("auc"), bool)
    text = str(s)
    assert "AUC" in text and "null" in text and "rests on" in text
    row = s.as_dict()
    assert {"auc_low", "advantage_null", "tpr@fpr=0.01_false_positives"} <= set(row)
    no_null = sig.attack_significance(scores, member, n_resamples=100, n_permutations=0)
    assert no_null.null is None and "null" not in str(no_null)
    with pytest.raises(ValueError, match="n_permutations"):
        no_null.leaks()


def test_results_print_intervals_and_nulls_when_attached():
    scores, member = _attack(n=100, shift=0.5)
    attack = loss_threshold_attack_from_losses(-scores, member)
    assert attack.result.significance is None and "[" not in repr(attack.result)
    with_sig = attack.with_significance(n_resamples=100, n_permutations=30)
    assert with_sig.scores is attack.scores
    text = repr(with_sig)
    assert "AUC" in text and "[" in text and "null" in text
    assert "auc_null" in with_sig.as_dict()
    assert with_sig.result.auc == attack.result.auc


def test_significance_is_reproducible():
    scores, member = _attack(n=80, shift=0.2)
    a = sig.attack_significance(scores, member, n_resamples=100, n_permutations=20, seed=4)
    b = sig.attack_significance(scores, member, n_resamples=100, n_permutations=20, seed=4)
    assert a.as_dict() == b.as_dict()


@pytest.mark.parametrize("kwargs,error,match", [
    ({"fprs": ()}, ValueError, "fprs"),
    ({"fprs": (1.5,)}, ValueError, "fprs"),
    ({"n_resamples": 10}, ValueError, "n_resamples"),
    ({"n_permutations": 5}, ValueError, "n_permutations"),
    ({"level": 0.0}, ValueError, "level"),
])
def test_attack_significance_validates_its_arguments(kwargs, error, match):
    scores, member = _attack(n=20)
    with pytest.raises(error, match=match):
        sig.attack_significance(scores, member, **kwargs)


def test_attack_significance_needs_two_of_each_kind():
    with pytest.raises(ValueError, match="at least 2 members"):
        sig.attack_significance([0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0])
    with pytest.raises(ValueError, match="both members"):
        sig.membership_null([0.1, 0.2], [0, 0])


def test_evaluate_attack_is_unchanged_without_significance():
    scores, member = _attack(n=50)
    r = evaluate_attack(scores, member)
    assert r.significance is None and "significance" not in r.as_dict()
