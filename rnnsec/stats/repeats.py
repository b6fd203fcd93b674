"""One experiment, several seeds: per-seed values, their mean and its t interval.

A single training run is one draw: its initialisation and batch order move an accuracy by a
few points. Where a comparison is the point of an experiment, run it with k seeds and compare
the means with their intervals; two quantities measured in the same run (a model before and
after a defence, two attacks on one model) are compared by their paired difference, whose
spread over seeds is usually much smaller than either's.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from rnnsec._validate import check_number, readonly_float_array
from rnnsec.stats.intervals import Interval, mean_interval

__all__ = ["RepeatedRuns", "repeat_runs"]

#: The key of a run function that returns a single number.
VALUE = "value"


@dataclass(frozen=True, eq=False)
class RepeatedRuns:
    """The values of one experiment run once per seed.

    Attributes:
        seeds: the seeds, in the order they ran.
        values: key -> float64 ``[k]`` (read-only), one value per seed; a run function that
            returns a number has the single key ``"value"``.
        level: confidence level of the intervals, e.g. 0.95.
    """

    seeds: tuple[int, ...]
    values: dict[str, np.ndarray]
    level: float = 0.95

    @property
    def keys(self) -> tuple[str, ...]:
        """The quantities measured, in the order the run function returned them."""
        return tuple(self.values)

    def _get(self, key: str) -> np.ndarray:
        if key not in self.values:
            raise KeyError(f"no quantity {key!r}; measured: {', '.join(self.keys)}")
        return self.values[key]

    def mean(self, key: str = VALUE) -> float:
        """Mean of ``key`` over the seeds."""
        return float(self._get(key).mean())

    def interval(self, key: str = VALUE) -> Interval:
        """Student t interval of the mean of ``key`` (k - 1 degrees of freedom)."""
        return mean_interval(self._get(key), level=self.level)

    def difference(self, key_a: str, key_b: str) -> Interval:
        """Paired t interval of ``mean(key_a - key_b)``: both measured in the same runs."""
        d = mean_interval(self._get(key_a) - self._get(key_b), level=self.level)
        return Interval(d.estimate, d.low, d.high, d.level,
                        f"paired t over {len(self.seeds)} seeds", difference=True)

    def as_rows(self) -> list[dict]:
        """One row per seed (``seed`` and every key), for ``pandas.DataFrame``."""
        return [{"seed": s, **{k: float(v[i]) for k, v in self.values.items()}}
                for i, s in enumerate(self.seeds)]

    def as_dict(self) -> dict:
        """Mean and interval ends of every key as one table row."""
        row = {"n_seeds": len(self.seeds)}
        for key in self.keys:
            iv = self.interval(key)
            row.update({f"{key}": iv.estimate, f"{key}_low": iv.low, f"{key}_high": iv.high})
        return row

    def __repr__(self) -> str:
        parts = "; ".join(f"{k} {self.interval(k)}" for k in self.keys)
        return (f"RepeatedRuns({len(self.seeds)} seeds {list(self.seeds)}: {parts} "
                f"({self.level * 100:g}% t intervals))")


def _as_row(seed: int, result) -> dict[str, float]:
    """The run function's result as {key: float}, checked."""
    row = result if isinstance(result, dict) else {VALUE: result}
    if not row:
        raise ValueError(f"fn({seed}) returned an empty dict; return a number or a dict of them")
    for key, value in row.items():
        if not isinstance(key, str):
            raise TypeError(f"fn({seed}) returned a dict with key {key!r}; keys must be strings")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"fn({seed}) returned {type(value).__name__} {value!r} for "
                            f"{key!r}; values must be numbers")
        if not np.isfinite(value):
            raise ValueError(f"fn({seed}) returned {value!r} for {key!r}; values must be finite")
    return {k: float(v) for k, v in row.items()}


def _check_seeds(seeds: Iterable[int]) -> tuple[int, ...]:
    if isinstance(seeds, numbers.Number) or isinstance(seeds, (str, bytes)):
        raise TypeError(f"seeds must be a sequence of integers (e.g. range(5)), got {seeds!r}")
    out = tuple(seeds)
    for s in out:
        check_number("seeds", s, low=0, integer=True)
    if len(out) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds for an interval, got {len(out)}")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {list(out)}")
    return tuple(int(s) for s in out)


def repeat_runs(fn: Callable[[int], float | dict[str, float]], seeds: Iterable[int], *,
                level: float = 0.95, progress: bool = True) -> RepeatedRuns:
    """Run ``fn(seed)`` once per seed and collect its numbers.

    Args:
        fn: one run of the experiment; takes a seed (use it for everything random: weights,
            batch order, the attack's start) and returns a number or a dict of named numbers
            (the same keys every time).
        seeds: at least 2 distinct integers >= 0, e.g. ``range(5)``.
        level: confidence level of the intervals, in (0, 1).
        progress: show a progress bar over the seeds.

    Returns:
        :class:`RepeatedRuns`; ``.interval(key)`` is the t interval of the mean over seeds and
        ``.difference(key_a, key_b)`` the paired interval of a difference.

    Bouthillier et al. 2021, "Accounting for variance in machine learning benchmarks".
    """
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    seeds = _check_seeds(seeds)
    rows = [_as_row(s, fn(s)) for s in tqdm(seeds, desc="seeds", disable=not progress,
                                             leave=False)]
    keys = tuple(rows[0])
    for seed, row in zip(seeds, rows, strict=True):
        if tuple(row) != keys:
            raise ValueError(f"fn({seed}) returned keys {list(row)}, but fn({seeds[0]}) "
                             f"returned {list(keys)}; every run must return the same keys")
    values = {k: readonly_float_array([row[k] for row in rows]) for k in keys}
    return RepeatedRuns(seeds=seeds, values=values, level=float(level))
