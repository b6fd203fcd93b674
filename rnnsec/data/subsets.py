"""Evaluation subsets that represent the whole split: seeded, stratified by label and group.

A prefix ``x_test[:200]`` of a split is a fair sample only if the split is shuffled.
JapaneseVowels' test file is ordered by speaker (its first 20 utterances are all speaker 1)
and the Rotten Tomatoes snippets by movie, so an expensive evaluation (PGD, secure inference)
on a prefix measures a few speakers or films. :func:`stratified_subset` draws the subset
instead: every label (and every group, e.g. speaker or movie) gets its proportional share.
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import check_number

__all__ = ["stratified_subset"]


def _codes(name: str, values, n: int | None = None) -> np.ndarray:
    """Integer codes ``[N]`` of the distinct values of a 1-D label or group array."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} must have one entry per example ({n}), got {len(arr)}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must not contain NaN or inf")
    return np.unique(arr, return_inverse=True)[1].reshape(-1)


def stratified_subset(y, n: int, *, seed: int, groups=None) -> np.ndarray:
    """Indices of a seeded random subset of ``n`` examples, stratified by label (and group).

    The examples are ordered by group (when given), then label, then a random key, and every
    ``N / n``-th one is taken from a random start (systematic sampling). So every stratum
    (a group; a label within a group; a label when there are no groups) of ``s`` examples
    receives ``floor(s * n / N)`` or ``ceil(s * n / N)`` of them: the proportions of the
    split up to one example per stratum. A stratum smaller than ``N / n`` may receive none.

    Args:
        y: labels ``[N]`` (any values: ints, strings).
        n: the subset's size, 1 <= n <= N.
        seed: seed of the random keys and the start (keyword-only; the same seed gives the
            same subset).
        groups: optional ``[N]`` group of each example (a speaker, a movie, a writer), which
            is then covered proportionally first; labels are balanced within each group.

    Returns:
        int64 ``[n]`` indices into ``y``, sorted ascending. A prefix of them is again a prefix
        of the split's order: for a smaller evaluation set draw a smaller subset.

    Cochran 1977, "Sampling techniques", sections 5.5 (proportional allocation) and 8.6
    (systematic sampling within strata).
    """
    labels = _codes("y", y)
    total = len(labels)
    check_number("n", n, low=1, integer=True)
    if n > total:
        raise ValueError(f"n = {n} is larger than the {total} examples available; ask for at "
                         f"most {total} (or evaluate on all of them)")
    check_number("seed", seed, low=0, integer=True)
    keys = [labels] if groups is None else [labels, _codes("groups", groups, total)]
    rng = np.random.default_rng(seed)
    order = np.lexsort([rng.random(total), *keys])  # last key sorts first: group, label
    step = total / n
    positions = np.floor(rng.uniform(0, step) + step * np.arange(n)).astype(np.int64)
    return np.sort(order[np.minimum(positions, total - 1)]).astype(np.int64)
