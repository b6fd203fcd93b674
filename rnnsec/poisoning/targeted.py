"""Targeted poisoning: make the model misclassify a few chosen test inputs, and nothing else.

A backdoor (``rnnsec.poisoning.poison``) teaches the model a rule that fires on any input
carrying the trigger. A *targeted* poisoning attack has a narrower goal: one given test input
``x*`` (or a few) should receive the attacker's label, while every other input keeps its
prediction (Shafahi et al. 2018, whose "poison frogs" also hide the poison behind correct
labels). The simplest way is to put copies or near-copies of ``x*`` into the training set
with the wanted label: the model then has to fit those records, and the nearer they are to
``x*``, the likelier ``x*`` follows them.

:func:`poison_targets` replaces ``n_copies`` randomly chosen training records per target with
``x*`` plus Gaussian noise of standard deviation ``noise`` (0: exact copies; token ids only
take exact copies), labelled as wanted. The training set keeps its size, so the poisoning rate
is exactly ``K * n_copies / N``. Pure NumPy. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_float_array, as_int_array, check_number
from rnnsec.poisoning.poison import _ReplacedRecords
from rnnsec.poisoning.triggers import _rng

__all__ = ["TargetedPoison", "poison_targets"]


@dataclass(frozen=True)
class TargetedPoison(_ReplacedRecords):
    """A training set with copies of a few target inputs under the attacker's labels.

    Attributes:
        x, y: the training inputs and labels after poisoning (same size as the clean ones).
        poison_index: indices of the replaced records, sorted ``[K * n_copies]``.
        copy_of: for each index in ``poison_index``, which target (0 .. K-1) it copies.
        labels: the label wanted for each target ``[K]``.

    ``is_poison``, ``n_poison`` and ``rate`` as for :class:`~rnnsec.poisoning.PoisonedData`.
    """

    x: np.ndarray
    y: np.ndarray
    poison_index: np.ndarray
    copy_of: np.ndarray
    labels: np.ndarray

    def __repr__(self) -> str:
        return (f"TargetedPoison({len(self.labels)} targets, {self.n_poison} of {len(self.y)} "
                f"records replaced (rate {self.rate:.4f}))")


def _check_targets(x: np.ndarray, x_targets, labels, num_classes: int):
    if np.issubdtype(x.dtype, np.integer):  # token ids: targets must be ids too
        x_targets = as_int_array("x_targets", x_targets, low=0)
    else:
        x_targets = as_float_array("x_targets", x_targets)
    if x_targets.ndim != x.ndim or x_targets.shape[1:] != x.shape[1:]:
        raise ValueError(f"x_targets must have shape [K, {', '.join(map(str, x.shape[1:]))}] "
                         f"like the rows of x, got {x_targets.shape}")
    if len(x_targets) == 0:
        raise ValueError("x_targets must hold at least one target input")
    labels = as_int_array("labels", labels, ndim=1, low=0, high=num_classes)
    if len(labels) != len(x_targets):
        raise ValueError(f"labels must hold one label per target ({len(x_targets)}), got "
                         f"{len(labels)}")
    return x_targets, labels


def poison_targets(x, y, x_targets, *, labels, n_copies: int, num_classes: int,
                   noise: float = 0.0, seed=0) -> TargetedPoison:
    """Replace ``n_copies`` random training records per target by (near-)copies of it.

    Args:
        x: training inputs ``[N, ...]`` (floats such as ``[N, T, D]``, or token ids ``[N, L]``).
        y: training labels ``[N]`` in ``[0, num_classes)``.
        x_targets: the K test inputs to attack ``[K, ...]``, rows shaped like those of ``x``.
        labels: the label the attacker wants for each target ``[K]``.
        n_copies: records per target (>= 1); ``K * n_copies`` must not exceed ``N``.
        num_classes: number of classes (>= 2).
        noise: standard deviation of the Gaussian noise added to each copy, in the units of
            ``x`` (>= 0; 0 gives exact copies; must be 0 for integer inputs such as token ids).
            Values are not clipped to the data's range.
        seed: int seed or ``np.random.Generator`` of the replaced records and the noise.

    Returns:
        :class:`TargetedPoison`; ``x`` and ``y`` are copies, the clean arrays are not changed.

    Shafahi et al. 2018 (targeted poisoning of one test input). Chapter 2.4.
    """
    check_number("num_classes", num_classes, low=2, integer=True)
    check_number("n_copies", n_copies, low=1, integer=True)
    check_number("noise", noise, low=0.0)
    x = np.asarray(x)
    y = as_int_array("y", y, ndim=1, low=0, high=num_classes)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    x_targets, labels = _check_targets(x, x_targets, labels, num_classes)
    integer = np.issubdtype(x.dtype, np.integer)
    if integer and noise > 0:
        raise ValueError(f"noise must be 0 for integer inputs (token ids), got {noise}")
    count = len(labels) * n_copies
    if count > len(y):
        raise ValueError(f"{len(labels)} targets x n_copies={n_copies} = {count} records, more "
                         f"than the {len(y)} training records")
    rng = _rng(seed)
    index = rng.choice(len(y), size=count, replace=False)
    copy_of = np.repeat(np.arange(len(labels)), n_copies)  # [K * n_copies]
    order = np.argsort(index)
    index, copy_of = index[order], copy_of[order]
    x_out, y_out = np.array(x, copy=True), y.copy()
    copies = x_targets[copy_of]
    if noise > 0:
        copies = copies + rng.normal(0.0, noise, size=copies.shape)
    x_out[index] = copies.astype(x.dtype)
    y_out[index] = labels[copy_of]
    return TargetedPoison(x_out, y_out, index, copy_of, labels)
