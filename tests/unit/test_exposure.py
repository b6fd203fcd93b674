"""Tests of rnnsec.privacy.exposure: exact and extrapolated exposure, secret formats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rnnsec.privacy.exposure import (
    SkewNormalFit,
    enumerate_secrets,
    exposure_exact,
    exposure_extrapolated,
    fit_skew_normal,
    format_secret,
    random_secrets,
    secret_index,
    secret_space,
)


def _brute_force_exposure(canary: float, reference: list[float], ties: str) -> float:
    """Sort R = reference + canary and read off the canary's position(s) one by one."""
    pool = [(x, "ref") for x in reference] + [(canary, "canary")]
    positions = []  # every rank the canary can take when ties are broken in some order
    for canary_first in (True, False):
        def key(item, cf=canary_first):
            return item[0], 0 if (item[1] == "canary") == cf else 1

        ordered = sorted(pool, key=key)
        positions.append(1 + [i for i, item in enumerate(ordered) if item[1] == "canary"][0])
    best, worst = min(positions), max(positions)
    rank = {"min": best, "max": worst, "average": (best + worst) / 2}[ties]
    return math.log2(len(pool)) - math.log2(rank)


@pytest.mark.parametrize("ties", ["average", "min", "max"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_exposure_matches_brute_force_with_ties(ties, seed):
    rng = np.random.default_rng(seed)
    reference = rng.integers(0, 8, size=25).astype(float).tolist()  # many ties
    for canary in (-1.0, 0.0, 3.0, 7.0, 9.0):
        exposure = exposure_exact(canary, reference_log_perplexities=reference, ties=ties)
        assert exposure == pytest.approx(_brute_force_exposure(canary, reference, ties))


def test_exact_exposure_extremes_and_array_input():
    reference = np.arange(1.0, 100.0)  # 99 others, |R| = 100

    def exposure(canary):
        return exposure_exact(canary, reference_log_perplexities=reference)

    assert exposure(0.0) == pytest.approx(math.log2(100))  # ranked first
    assert exposure(1000.0) == pytest.approx(0.0)  # ranked last
    canaries = np.array([0.0, 10.5, 1000.0])
    out = exposure(canaries)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, [exposure(c) for c in canaries])
    assert exposure(10.5) == pytest.approx(math.log2(100) - math.log2(11))


def test_ties_order_min_average_max():
    reference = [1.0, 2.0, 2.0, 2.0, 3.0]
    lo = exposure_exact(2.0, reference_log_perplexities=reference, ties="max")
    mid = exposure_exact(2.0, reference_log_perplexities=reference, ties="average")
    hi = exposure_exact(2.0, reference_log_perplexities=reference, ties="min")
    assert lo < mid < hi
    assert mid == pytest.approx(math.log2(6) - math.log2(1 + 1 + 1.5))


def test_extrapolated_exposure_tracks_the_true_tail():
    dist = stats.skewnorm(4.0, loc=2.0, scale=1.5)
    reference = dist.rvs(size=20000, random_state=np.random.default_rng(0))
    quantiles = np.array([0.5, 0.05, 1e-3])
    canaries = dist.ppf(quantiles)
    est = exposure_extrapolated(canaries, reference_log_perplexities=reference)
    np.testing.assert_allclose(est, -np.log2(quantiles), atol=0.3)
    # inside the sample's range it agrees with the exact exposure on the same sample
    exact = exposure_exact(canaries[:2], reference_log_perplexities=reference)
    np.testing.assert_allclose(est[:2], exact, atol=0.3)


def test_extrapolated_exposure_goes_beyond_the_sample_cap():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=1000)
    far = -8.0  # far below every reference value
    assert exposure_exact(far, reference_log_perplexities=reference) == pytest.approx(
        math.log2(1001))
    assert exposure_extrapolated(far, reference_log_perplexities=reference) > math.log2(1001) + 5


def test_skew_normal_fit_recovers_parameters():
    dist = stats.skewnorm(3.0, loc=1.0, scale=2.0)
    fit = fit_skew_normal(dist.rvs(size=20000, random_state=np.random.default_rng(2)))
    assert isinstance(fit, SkewNormalFit)
    assert fit.shape == pytest.approx(3.0, rel=0.2)
    assert fit.loc == pytest.approx(1.0, abs=0.1)
    assert fit.scale == pytest.approx(2.0, rel=0.1)
    assert fit.cdf(fit.loc) == pytest.approx(stats.skewnorm.cdf(0.0, fit.shape))
    assert fit.as_dict()["n_references"] == 20000 and "20000 references" in repr(fit)


def test_secret_formats():
    assert secret_space("###-####") == 10**7
    assert secret_space("my pin is ####") == 10**4
    assert format_secret("###-####", 42) == "000-0042"
    assert format_secret("a#b#", 93) == "a9b3"
    for i in (0, 1, 999, 123_4567, 9_999_999):
        assert secret_index("###-####", format_secret("###-####", i)) == i


def test_enumerate_secrets_is_complete_and_ordered():
    secrets = enumerate_secrets("x##")
    assert len(secrets) == 100 == len(set(secrets))
    assert secrets[0] == "x00" and secrets[-1] == "x99" and secrets == sorted(secrets)
    assert enumerate_secrets("###-####", limit=3) == ["000-0000", "000-0001", "000-0002"]
    assert len(enumerate_secrets("#", limit=50)) == 10
    with pytest.raises(ValueError, match="limit"):
        enumerate_secrets("###-####")


def test_random_secrets_are_distinct_seeded_and_exclude():
    a = random_secrets("###-####", 50, seed=0)
    assert a == random_secrets("###-####", 50, seed=0)
    assert a != random_secrets("###-####", 50, seed=1)
    assert len(set(a)) == 50 and all(secret_index("###-####", s) >= 0 for s in a)
    # a space of 10 minus one excluded secret: all nine others, once each
    rest = random_secrets("#", 9, seed=3, exclude=["4"])
    assert sorted(rest) == [str(d) for d in range(10) if d != 4]
    with pytest.raises(ValueError, match="n"):
        random_secrets("#", 10, seed=3, exclude=["4"])
    assert len(random_secrets("#" * 18, 5, seed=0)) == 5


@pytest.mark.parametrize("call, match", [
    (lambda: exposure_exact(1.0, reference_log_perplexities=[]), "reference_log_perplexities"),
    (lambda: exposure_exact(1.0, reference_log_perplexities=[[1.0, 2.0]]),
     "reference_log_perplexities"),
    (lambda: exposure_exact(np.nan, reference_log_perplexities=[1.0, 2.0]),
     "canary_log_perplexity"),
    (lambda: exposure_exact(1.0, reference_log_perplexities=[1.0, np.inf]),
     "reference_log_perplexities"),
    (lambda: exposure_exact(1.0, reference_log_perplexities=[1.0, 2.0], ties="random"), "ties"),
    (lambda: exposure_extrapolated(1.0, reference_log_perplexities=[1.0, 2.0, 3.0]),
     "reference_log_perplexities"),
    (lambda: fit_skew_normal(np.ones(50)), "all equal"),
    (lambda: secret_space("abc-defg"), "placeholder"),
    (lambda: secret_index("###-####", "12-34567"), "does not match"),
    (lambda: secret_index("###-####", "123_4567"), "does not match"),
    (lambda: secret_index("###-####", "12a-4567"), "does not match"),
    (lambda: format_secret("##", 100), "index"),
    (lambda: random_secrets("#" * 19, 1, seed=0), "placeholders"),
    (lambda: random_secrets("###", 2, seed=0, exclude=["12"]), "does not match"),
    (lambda: enumerate_secrets("##", limit=0), "limit"),
])
def test_bad_inputs_raise_naming_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_type_errors():
    with pytest.raises(TypeError, match="format"):
        secret_space(123)
    with pytest.raises(TypeError, match="secret"):
        secret_index("##", 12)
    with pytest.raises(TypeError, match="exclude"):
        random_secrets("##", 2, seed=0, exclude="12")


def test_the_references_must_be_named():
    # a canary array and the reference array swapped would give a plausible, wrong exposure
    with pytest.raises(TypeError, match="positional"):
        exposure_exact([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="positional"):
        exposure_extrapolated([1.0, 2.0], np.arange(20.0))
    with pytest.raises(TypeError, match="positional"):
        random_secrets("###", 5, 0)
