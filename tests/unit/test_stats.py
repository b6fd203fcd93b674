"""rnnsec.stats: intervals against published values, SciPy and brute force; coverage."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from rnnsec import stats
from rnnsec.privacy.metrics import auc


def test_wilson_matches_newcombes_worked_example():
    # Newcombe 1998 (Stat. Med. 17:857), Table I: 81/263 -> 0.2553 to 0.3662
    ci = stats.proportion_interval(81 / 263, n=263)
    assert ci.low == pytest.approx(0.2553, abs=1e-4) and ci.high == pytest.approx(0.3662, abs=1e-4)


def test_wilson_stays_inside_zero_one_and_is_not_a_point_at_the_ends():
    assert stats.proportion_interval(0.0, n=20).low == 0.0
    assert stats.proportion_interval(0.0, n=20).high > 0.1
    assert stats.proportion_interval(1.0, n=20).high == 1.0
    assert stats.proportion_interval(1.0, n=20).low < 0.9


def test_newcombe_difference_matches_the_published_example():
    # Newcombe 1998 (Stat. Med. 17:873), example (a): 56/70 - 48/80 -> 0.0524 to 0.3339
    ci = stats.proportion_difference_interval(56 / 70, 48 / 80, n_a=70, n_b=80)
    assert ci.estimate == pytest.approx(0.2)
    assert ci.low == pytest.approx(0.0524, abs=1e-4) and ci.high == pytest.approx(0.3339, abs=1e-4)


def test_difference_is_antisymmetric():
    ab = stats.proportion_difference_interval(0.7, 0.55, n_a=200, n_b=200)
    ba = stats.proportion_difference_interval(0.55, 0.7, n_a=200, n_b=200)
    assert ab.low == pytest.approx(-ba.high) and ab.high == pytest.approx(-ba.low)


def test_a_rate_that_is_not_a_count_raises():
    with pytest.raises(ValueError, match="not a count out of 200"):
        stats.proportion_interval(0.123, n=200)
    with pytest.raises(ValueError, match="level"):
        stats.proportion_interval(0.5, n=10, level=1.0)
    with pytest.raises(ValueError, match="n"):
        stats.proportion_interval(0.5, n=0)


def _naive_delong(scores, member):
    pos, neg = scores[member], scores[~member]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])  # [m, n]
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10, v01


def test_auc_interval_matches_a_brute_force_delong_with_ties():
    rng = np.random.default_rng(0)
    member = rng.random(120) < 0.5
    scores = np.round(rng.normal(size=120) + 0.6 * member, 1)  # rounding makes ties
    est, v10, v01 = _naive_delong(scores, member)
    se = np.sqrt(v10.var(ddof=1) / len(v10) + v01.var(ddof=1) / len(v01))
    ci = stats.auc_interval(scores, member)
    assert ci.estimate == pytest.approx(est) == pytest.approx(auc(scores, member))
    assert ci.high - ci.estimate == pytest.approx(1.959964 * se, rel=1e-5)


def test_auc_difference_is_paired():
    rng = np.random.default_rng(1)
    member = rng.random(300) < 0.5
    base = rng.normal(size=300) + 0.5 * member
    a, b = base + 0.05 * rng.normal(size=300), base + 0.05 * rng.normal(size=300)
    paired = stats.auc_difference_interval(a, b, member)
    unpaired = stats.difference_interval(stats.auc_interval(a, member),
                                         stats.auc_interval(b, member))
    assert paired.estimate == pytest.approx(auc(a, member) - auc(b, member))
    assert paired.high - paired.low < 0.3 * (unpaired.high - unpaired.low)
    same = stats.auc_difference_interval(a, a, member)
    assert same.low == same.high == 0.0


def test_auc_interval_covers_the_true_auc_about_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    shift, n = 0.5, 100
    true_auc = scipy_stats.norm.cdf(shift / np.sqrt(2))
    covered = 0
    for _ in range(400):
        member = np.arange(2 * n) < n
        scores = rng.normal(size=2 * n) + shift * member
        covered += true_auc in stats.auc_interval(scores, member)
    assert 0.92 <= covered / 400 <= 0.98, covered


def test_auc_inputs_are_validated():
    with pytest.raises(ValueError, match="both members and non-members"):
        stats.auc_interval([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="same length"):
        stats.auc_difference_interval([0.1, 0.2], [0.1], [0, 1])


def test_mean_and_welch_intervals_match_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(3, 1, size=7), rng.normal(1, 2, size=5)
    lo, hi = scipy_stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=scipy_stats.sem(a))
    ci = stats.mean_interval(a)
    assert (ci.low, ci.high) == (pytest.approx(lo), pytest.approx(hi))
    ref = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    d = stats.mean_difference_interval(a, b)
    assert (d.low, d.high) == (pytest.approx(ref.low), pytest.approx(ref.high))
    with pytest.raises(ValueError, match="at least 2"):
        stats.mean_interval([1.0])


def test_bootstrap_is_reproducible_paired_and_close_to_the_t_interval():
    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    y = x + 0.1 + 0.01 * rng.normal(size=400)  # y - x is almost constant
    boot = stats.bootstrap_interval(lambda a: a.mean(), x)
    t = stats.mean_interval(x)
    assert boot == stats.bootstrap_interval(lambda a: a.mean(), x)
    assert boot.low == pytest.approx(t.low, abs=0.02)
    assert boot.high == pytest.approx(t.high, abs=0.02)
    diff = stats.bootstrap_interval(lambda a, b: (b - a).mean(), x, y)
    assert diff.above(0.09) and diff.below(0.11)
    with pytest.raises(ValueError, match="first dimension"):
        stats.bootstrap_interval(np.mean, x, y[:10])


def test_interval_predicates_and_repr():
    ci = stats.Interval(0.05, 0.01, 0.09, 0.95, "test")
    assert ci.above(0) and not ci.below(0.05) and ci.excludes(0) and 0.05 in ci
    assert "0.05 [0.01, 0.09] (95%, test)" == repr(ci)
    with pytest.raises(TypeError, match="Interval"):
        stats.difference_interval(ci, 0.5)


# --- formatting ------------------------------------------------------------------------


def test_interval_text_is_the_books_format():
    iv = stats.Interval(0.5432, 0.5121, 0.5744, 0.95, "Wilson, n=1000")
    assert iv.text(digits=3) == "0.543 [0.512, 0.574]" == str(iv)
    assert iv.text(1, prose=True) == "0.5 (95% interval 0.5 to 0.6)"
    d = stats.proportion_difference_interval(0.7, 0.55, n_a=200, n_b=200)
    assert d.difference and str(d).startswith("+0.150 [+")
    assert d.text(prose=True).startswith("+0.150 (95% interval +")
    neg = stats.difference_interval(stats.proportion_interval(0.5, n=100),
                                    stats.proportion_interval(0.6, n=100))
    assert neg.text(2).startswith("-0.10 [-") and "+" in neg.text(2)
    assert iv.text(2, signed=True) == "+0.54 [+0.51, +0.57]"
    assert stats.Interval(0.9, 0.8, 0.95, 0.999, "x").text(2, prose=True) == \
        "0.90 (99.9% interval 0.80 to 0.95)"
    assert d.text(prose=True, language="zh").startswith("+0.150（95% 区间 +")
    assert iv.text(1, language="zh") == iv.text(1)  # only the prose form has words
    with pytest.raises(ValueError, match="language must be 'en' or 'zh', got 'fr'"):
        iv.text(prose=True, language="fr")


def test_every_difference_interval_is_marked_as_a_difference():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30), rng.normal(size=30)
    m = np.r_[np.ones(15), np.zeros(15)]
    assert stats.mean_difference_interval(a, b).difference
    assert stats.auc_difference_interval(a, b, m).difference
    assert not stats.mean_interval(a).difference
    assert not stats.auc_interval(a, m).difference


def test_interval_text_rejects_bad_arguments():
    iv = stats.proportion_interval(0.5, n=10)
    with pytest.raises(ValueError, match="digits"):
        iv.text(-1)
    with pytest.raises(TypeError, match="digits"):
        iv.text(2.5)
    with pytest.raises(TypeError, match="signed"):
        iv.text(signed="yes")


# --- Clopper-Pearson -------------------------------------------------------------------


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (81, 263), (1, 1000)])
def test_clopper_pearson_matches_scipys_exact_interval(k, n):
    ci = stats.proportion_interval(k / n, n=n, method="clopper-pearson")
    ref = scipy_stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    assert ci.low == pytest.approx(ref.low, abs=1e-12)
    assert ci.high == pytest.approx(ref.high, abs=1e-12)
    assert "Clopper-Pearson" in ci.method


@pytest.mark.parametrize("k,n", [(0, 20), (1, 20), (7, 20), (20, 20), (50, 200), (3, 1000)])
def test_clopper_pearson_contains_the_estimate_and_is_wider_than_wilson(k, n):
    # exact intervals are conservative: wider than Wilson's (whose ends it need not contain:
    # at small k Wilson's upper end can lie above Clopper-Pearson's)
    cp = stats.proportion_interval(k / n, n=n, method="clopper-pearson")
    w = stats.proportion_interval(k / n, n=n)
    assert cp.high - cp.low >= w.high - w.low
    assert k / n in cp and w.estimate in cp and 0.0 <= cp.low <= cp.high <= 1.0


def test_clopper_pearson_covers_at_least_the_level():
    # exact coverage by summing the binomial probabilities of the k whose interval holds p
    for p in (0.02, 0.1, 0.3, 0.5):
        n = 40
        held = [p in stats.proportion_interval(k / n, n=n, method="clopper-pearson")
                for k in range(n + 1)]
        coverage = sum(scipy_stats.binom.pmf(k, n, p) for k in range(n + 1) if held[k])
        assert coverage >= 0.95


def test_audit_clopper_pearson_is_the_stats_interval():
    from rnnsec.privacy.audit import clopper_pearson

    iv = stats.proportion_interval(7 / 50, n=50, level=0.999, method="clopper-pearson")
    assert clopper_pearson(7, trials=50, alpha=0.001) == pytest.approx((iv.low, iv.high))


def test_proportion_method_is_validated():
    with pytest.raises(ValueError, match="method"):
        stats.proportion_interval(0.5, n=10, method="wald")


# --- stratified bootstrap --------------------------------------------------------------


def test_stratified_bootstrap_keeps_stratum_sizes_and_covers_the_estimate():
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    strata = np.r_[np.zeros(10), np.ones(50)]
    seen = []
    stats.bootstrap_draws(lambda v, s: seen.append(int(s.sum())) or 0.0, x, strata,
                          n_resamples=100, strata=strata)
    assert set(seen) == {50}
    iv = stats.bootstrap_interval(np.mean, x, strata=strata, n_resamples=500)
    assert iv.low <= iv.estimate <= iv.high and "within 2 strata" in iv.method
    with pytest.raises(ValueError, match="strata"):
        stats.bootstrap_interval(np.mean, x, strata=strata[:10])
    with pytest.raises(ValueError, match="at least 2 rows"):
        stats.bootstrap_interval(np.mean, x, strata=np.r_[0, np.ones(59)])


def test_bootstrap_draws_of_a_vector_statistic_have_one_column_each():
    x = np.random.default_rng(2).normal(size=30)
    d = stats.bootstrap_draws(lambda v: np.array([v.mean(), v.max()]), x, n_resamples=100)
    assert d.shape == (100, 2) and np.all(d[:, 1] >= d[:, 0])
