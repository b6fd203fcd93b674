"""Poisoning a training set: backdoor examples at an exact rate, and label flipping.

- :func:`poison_dataset`: a backdoor (Gu et al. 2017, BadNets; Chen et al. 2017): the trigger
  is written into a chosen number of training examples. *Dirty-label*: examples of the other
  classes, relabelled as the target. *Clean-label* (Turner, Tsipras & Madry 2019): examples
  that already belong to the target class, labels untouched, so a human auditing the labels
  finds nothing (Turner et al. also make those examples hard to learn without the trigger, by
  an adversarial perturbation; pass such inputs in ``x`` to reproduce that).
- :func:`flip_labels`: label flipping (Biggio, Nelson & Laskov 2011), random or from one
  source class to one target class.

Examples are modified in place: the training set keeps its size ``N`` and the poisoning rate is
``n_poison / N`` exactly, with ``n_poison = round(rate * N)``. Pure NumPy. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number, check_same_length
from rnnsec.poisoning.triggers import SequenceTrigger, TokenTrigger, _rng

__all__ = ["PoisonedData", "FlippedLabels", "poison_count", "poison_dataset", "flip_labels"]


def _flags(n: int, index: np.ndarray) -> np.ndarray:
    """Boolean ``[n]``, True at ``index``."""
    flags = np.zeros(n, dtype=bool)
    flags[index] = True
    return flags


class _ReplacedRecords:
    """What every poisoned training set of this package shares: ``y`` ``[N]`` and the sorted
    ``poison_index`` of the records replaced in place."""

    y: np.ndarray
    poison_index: np.ndarray

    @property
    def is_poison(self) -> np.ndarray:
        """Boolean ``[N]``: True for the poisoned examples."""
        return _flags(len(self.y), self.poison_index)

    @property
    def n_poison(self) -> int:
        """Number of poisoned examples."""
        return len(self.poison_index)

    @property
    def rate(self) -> float:
        """The poisoning rate ``n_poison / N``."""
        return self.n_poison / len(self.y)


@dataclass(frozen=True)
class PoisonedData(_ReplacedRecords):
    """A training set with some examples poisoned.

    Attributes:
        x, y: the training inputs and labels after poisoning (same size as the clean ones).
        lengths: real length of each example ``[N]`` (text grows by the trigger).
        poison_index: indices of the poisoned examples, sorted ``[n_poison]``.
        target: the label the backdoor leads to.
        clean_label: whether the poisoned examples kept their (target) labels.
    """

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray
    poison_index: np.ndarray
    target: int
    clean_label: bool = False

    def __repr__(self) -> str:
        kind = "clean-label" if self.clean_label else "dirty-label"
        return (f"PoisonedData({self.n_poison} of {len(self.y)} examples poisoned "
                f"(rate {self.rate:.4f}), {kind}, target {self.target})")


def poison_count(rate: float, n: int) -> int:
    """``round(rate * n)``, the number of examples poisoned at ``rate``; a positive rate that
    rounds to no example raises (the caller asked for a poisoning that cannot happen).

    Args:
        rate: the poisoning rate in [0, 1].
        n: the number of training examples (>= 1).
    """
    check_number("rate", rate, low=0.0, high=1.0)
    check_number("n", n, low=1, integer=True)
    count = int(round(rate * n))
    if rate > 0 and count == 0:
        raise ValueError(f"rate={rate} poisons no example of {n} (rate * n = {rate * n:.3f} "
                         "rounds to 0); use a rate of at least 1 / (2 n)")
    return count


def _check_labels(y, num_classes, target) -> tuple[np.ndarray, int]:
    check_number("num_classes", num_classes, low=2, integer=True)
    y = as_int_array("y", y, ndim=1, low=0, high=num_classes)
    if target is not None:
        check_number("target", target, low=0, high=num_classes - 1, integer=True)
    return y, num_classes


def poison_dataset(x, y, trigger, *, rate: float, target: int, num_classes: int,
                   lengths=None, clean_label: bool = False, seed=0) -> PoisonedData:
    """Write ``trigger`` into ``round(rate * N)`` training examples for a backdoor to ``target``.

    Args:
        x: training inputs, ``[N, T, D]`` floats or ``[N, L]`` token ids.
        y: labels ``[N]`` in ``[0, num_classes)``.
        trigger: a :class:`~rnnsec.poisoning.SequenceTrigger` or
            :class:`~rnnsec.poisoning.TokenTrigger`.
        rate: fraction of the whole training set to poison, in [0, 1].
        target: the label the trigger should lead to.
        num_classes: number of classes (>= 2).
        lengths: real length of each example ``[N]``; None: all steps real (for text: the
            non-zero ids).
        clean_label: poison examples of the target class and keep their labels (Turner et al.
            2019) instead of relabelling examples of the other classes (Gu et al. 2017).
        seed: int seed or ``np.random.Generator`` of the choice of examples and positions.

    Returns:
        :class:`PoisonedData`; ``x`` and ``y`` are copies, the clean arrays are not changed.
    """
    if not isinstance(trigger, (SequenceTrigger, TokenTrigger)):
        raise TypeError("trigger must be a SequenceTrigger or a TokenTrigger, got "
                        f"{type(trigger).__name__}")
    if not isinstance(clean_label, bool):
        raise TypeError(f"clean_label must be True or False, got {clean_label!r}")
    y, _ = _check_labels(y, num_classes, target)
    check_same_length(x=x, y=y)
    count = poison_count(rate, len(y))
    pool = np.flatnonzero(y == target) if clean_label else np.flatnonzero(y != target)
    if count > len(pool):
        which = "of the target class" if clean_label else "outside the target class"
        raise ValueError(f"rate={rate} asks for {count} poisoned examples but only "
                         f"{len(pool)} examples are {which}")
    rng = _rng(seed)
    index = np.sort(rng.choice(pool, size=count, replace=False))
    x_out = np.array(x, copy=True)
    batch = trigger.apply(x_out, lengths=lengths, seed=rng)  # validates x and lengths
    x_out[index] = batch.x[index]
    inserted = len(trigger.tokens) if isinstance(trigger, TokenTrigger) else 0
    lengths_out = batch.lengths + batch.dropped - inserted  # the clean lengths [N]
    lengths_out[index] = batch.lengths[index]
    y_out = y.copy()
    y_out[index] = target
    return PoisonedData(x_out, y_out, lengths_out, index, int(target), clean_label)


@dataclass(frozen=True)
class FlippedLabels:
    """Labels after label flipping.

    Attributes:
        y: the labels after flipping ``[N]``.
        flip_index: indices of the flipped labels, sorted.
        source, target: the classes of a targeted flip (None for random flips).
    """

    y: np.ndarray
    flip_index: np.ndarray
    source: int | None = None
    target: int | None = None

    @property
    def is_flipped(self) -> np.ndarray:
        """Boolean ``[N]``: True where the label was flipped."""
        return _flags(len(self.y), self.flip_index)

    @property
    def rate(self) -> float:
        """The flipping rate ``len(flip_index) / N``."""
        return len(self.flip_index) / len(self.y)


def flip_labels(y, *, rate: float, num_classes: int, source: int | None = None,
                target: int | None = None, seed=0) -> PoisonedData:
    """Flip ``round(rate * N)`` labels: to a random other class, or from ``source`` to ``target``.

    Args:
        y: labels ``[N]``.
        rate: fraction of the whole training set whose label is flipped, in [0, 1].
        num_classes: number of classes (>= 2).
        source, target: both None (random flips: each chosen label becomes a uniformly random
            different class) or both given (only examples of ``source`` are flipped, to
            ``target``; a targeted flip).
        seed: int seed or ``np.random.Generator``.

    Returns:
        :class:`FlippedLabels`; ``y`` is a copy.

    Biggio, Nelson & Laskov 2011 (adversarial label flips against SVMs).
    """
    if (source is None) != (target is None):
        raise ValueError("source and target must be given together (a targeted flip) or both "
                         f"be None (random flips), got source={source!r}, target={target!r}")
    y, _ = _check_labels(y, num_classes, target)
    if source is not None:
        check_number("source", source, low=0, high=num_classes - 1, integer=True)
        if source == target:
            raise ValueError(f"source and target must differ, got both {source}")
    count = poison_count(rate, len(y))
    pool = np.arange(len(y)) if source is None else np.flatnonzero(y == source)
    if count > len(pool):
        raise ValueError(f"rate={rate} asks for {count} flips but only {len(pool)} examples "
                         f"have label {source}")
    rng = _rng(seed)
    index = np.sort(rng.choice(pool, size=count, replace=False))
    y_out = y.copy()
    if target is None:  # a uniform different class: add 1 .. C-1 modulo C
        y_out[index] = (y[index] + rng.integers(1, num_classes, size=count)) % num_classes
    else:
        y_out[index] = target
    return FlippedLabels(y_out, index, source, target)
