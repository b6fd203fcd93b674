"""rnnsec.stats.null and rnnsec.stats.repeats: permutation nulls and repeated runs."""

import math

import numpy as np
import pytest

from rnnsec import stats


def _mean_gap(x, labels):
    return x[labels == 1].mean() - x[labels == 0].mean()


def test_permutation_null_of_a_mean_gap_matches_its_normal_theory():
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    labels = np.r_[np.ones(200), np.zeros(200)]
    null = stats.permutation_null(_mean_gap, x, labels=labels, n_permutations=2000, seed=1)
    theory = 1.645 * math.sqrt(1 / 200 + 1 / 200)  # 95% quantile of the gap's null
    assert null.threshold == pytest.approx(theory, rel=0.1)
    assert not null.exceeded() and null.p_value > 0.05


def test_permutation_null_detects_a_real_gap_and_prints_it():
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(100), np.zeros(100)]
    x = rng.normal(size=200) + 0.8 * labels
    null = stats.permutation_null(_mean_gap, x, labels=labels, n_permutations=200, name="gap")
    assert null.exceeded() and null.p_value == pytest.approx(1 / 201)
    assert "gap" in repr(null) and "null 95%" in null.text()
    assert null.as_dict()["null_threshold"] == null.threshold
    with pytest.raises(ValueError):
        null.draws[0] = 1.0  # read-only


def test_permutation_null_is_reproducible_and_validated():
    x, labels = np.arange(10.0), np.r_[np.ones(5), np.zeros(5)]
    a = stats.permutation_null(_mean_gap, x, labels=labels, n_permutations=50, seed=3)
    b = stats.permutation_null(_mean_gap, x, labels=labels, n_permutations=50, seed=3)
    assert np.array_equal(a.draws, b.draws)
    with pytest.raises(ValueError, match="n_permutations"):
        stats.permutation_null(_mean_gap, x, labels=labels, n_permutations=5)
    with pytest.raises(ValueError, match="one row per label"):
        stats.permutation_null(_mean_gap, x[:5], labels=labels)
    with pytest.raises(ValueError, match="level"):
        stats.permutation_null(_mean_gap, x, labels=labels, level=1.0)


def _run(seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(0.8, 0.05)
    return {"clean": base, "robust": base - 0.1 + rng.normal(0, 0.01)}


def test_repeat_runs_gives_per_seed_values_mean_and_t_interval():
    runs = stats.repeat_runs(_run, range(6), progress=False)
    assert runs.seeds == tuple(range(6)) and runs.keys == ("clean", "robust")
    assert runs.values["clean"][2] == _run(2)["clean"]
    iv = runs.interval("clean")
    ref = stats.mean_interval(runs.values["clean"])
    assert (iv.estimate, iv.low, iv.high) == (ref.estimate, ref.low, ref.high)
    assert runs.mean("robust") == pytest.approx(np.mean([_run(s)["robust"] for s in range(6)]))
    assert [row["seed"] for row in runs.as_rows()] == list(range(6))
    assert "clean_low" in runs.as_dict() and "6 seeds" in repr(runs)


def test_repeat_runs_paired_difference_is_narrower_than_unpaired():
    runs = stats.repeat_runs(_run, range(8), progress=False)
    paired = runs.difference("clean", "robust")
    unpaired = stats.mean_difference_interval(runs.values["clean"], runs.values["robust"])
    assert paired.difference and str(paired).startswith("+0.1")
    assert paired.estimate == pytest.approx(unpaired.estimate)
    assert paired.high - paired.low < (unpaired.high - unpaired.low) / 3
    assert paired.above(0.05)


def test_repeat_runs_of_a_number_uses_the_key_value():
    runs = stats.repeat_runs(lambda s: float(s), [3, 5, 7], progress=False)
    assert runs.keys == ("value",) and runs.mean() == 5.0 and 5.0 in runs.interval()


@pytest.mark.parametrize("fn,seeds,error,match", [
    (lambda s: 1.0, [0], ValueError, "at least 2"),
    (lambda s: 1.0, [0, 0], ValueError, "distinct"),
    (lambda s: 1.0, 5, TypeError, "range"),
    (lambda s: 1.0, [0, -1], ValueError, "seeds"),
    (lambda s: "a", [0, 1], TypeError, "numbers"),
    (lambda s: float("nan"), [0, 1], ValueError, "finite"),
    (lambda s: {}, [0, 1], ValueError, "empty"),
    (lambda s: {"a": 1.0} if s else {"b": 1.0}, [0, 1], ValueError, "same keys"),
    ("not callable", [0, 1], TypeError, "callable"),
])
def test_repeat_runs_rejects_bad_input(fn, seeds, error, match):
    with pytest.raises(error, match=match):
        stats.repeat_runs(fn, seeds, progress=False)


def test_repeat_runs_names_a_missing_key():
    runs = stats.repeat_runs(_run, range(3), progress=False)
    with pytest.raises(KeyError, match="clean, robust"):
        runs.interval("accuracy")
