"""rnnsec.data.stratified_subset: seeded, proportional by label and by group."""

import numpy as np
import pytest

from rnnsec.data import load_japanese_vowels, stratified_subset


def test_subset_is_seeded_sorted_distinct_and_of_size_n():
    y = np.repeat(np.arange(4), [10, 20, 30, 40])
    a = stratified_subset(y, 25, seed=0)
    assert np.array_equal(a, stratified_subset(y, 25, seed=0))
    assert not np.array_equal(a, stratified_subset(y, 25, seed=1))
    assert len(a) == 25 and len(set(a.tolist())) == 25 and np.all(np.diff(a) > 0)
    assert a.dtype == np.int64


@pytest.mark.parametrize("n", [9, 20, 50, 123, 200])
def test_label_proportions_are_kept_within_one(n):
    y = np.random.default_rng(0).choice(5, size=370, p=[0.1, 0.15, 0.2, 0.25, 0.3])
    counts = np.bincount(y[stratified_subset(y, n, seed=3)], minlength=5)
    expected = n * np.bincount(y, minlength=5) / len(y)
    assert np.all(np.abs(counts - expected) < 1)


def test_groups_are_covered_proportionally_and_labels_within_them():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(12), rng.integers(20, 60, size=12))
    y = rng.integers(0, 3, size=len(groups))
    idx = stratified_subset(y, 60, seed=0, groups=groups)
    per_group = np.bincount(groups[idx], minlength=12)
    assert np.all(np.abs(per_group - 60 * np.bincount(groups) / len(groups)) < 1)
    assert np.all(per_group >= 1)
    label_counts = np.bincount(y[idx], minlength=3)
    assert np.all(np.abs(label_counts - 60 * np.bincount(y) / len(y)) <= 12)


def test_vowels_subset_covers_every_speaker_where_a_prefix_covers_one():
    vowels = load_japanese_vowels()
    assert set(vowels.y_test[:20].tolist()) == {0}  # the test file is sorted by speaker
    idx = stratified_subset(vowels.y_test, 20, seed=0)
    assert set(vowels.y_test[idx].tolist()) == set(range(9))


def test_whole_split_and_string_labels():
    y = np.array(list("abcabcabca"))
    assert np.array_equal(stratified_subset(y, 10, seed=0), np.arange(10))
    assert sorted(y[stratified_subset(y, 3, seed=0)].tolist()) == ["a", "b", "c"]


@pytest.mark.parametrize("args,kwargs,error,match", [
    (([0, 1, 1], 4), {"seed": 0}, ValueError, "larger than the 3 examples"),
    (([0, 1, 1], 0), {"seed": 0}, ValueError, "n must be >= 1"),
    (([0, 1, 1], 1.5), {"seed": 0}, TypeError, "n must be an integer"),
    (([0, 1, 1], 2), {"seed": -1}, ValueError, "seed"),
    (([[0, 1]], 1), {"seed": 0}, ValueError, "y must be a non-empty 1-D"),
    (([], 1), {"seed": 0}, ValueError, "y must be a non-empty 1-D"),
    (([0.0, np.nan], 1), {"seed": 0}, ValueError, "NaN"),
    (([0, 1, 1], 2), {"seed": 0, "groups": [0, 1]}, ValueError, "groups must have one entry"),
])
def test_bad_input_is_refused(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        stratified_subset(*args, **kwargs)


def test_seed_is_keyword_only():
    with pytest.raises(TypeError):
        stratified_subset([0, 1], 1, 0)
