"""The perturbation sets that ``rnnsec.certify`` bounds: L-inf boxes with per-step budgets.

Every example's set is a box ``[lower, upper]`` ``[N, T, D]`` around ``x``: radius
``epsilon`` at each step (a number, or per-step budgets ``[T]`` / ``[N, T]``; 0 leaves a step
untouched), intersected with the valid range ``[clip_min, clip_max]``. Padding (steps whose
features all equal ``mask_value``, found on the clean input) is never perturbed, the rule of
the book's attacks. ``k`` (optional) lets the attacker perturb at most ``k`` of the steps,
chosen by the attacker (the union of the boxes with ``k`` steps free).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_float_array, check_number

__all__ = ["InputSet", "input_box"]


@dataclass(frozen=True)
class InputSet:
    """A batch of input boxes (float64).

    Attributes:
        lower, upper: ``[N, T, D]`` corners of each example's box.
        mask: ``[N, T]`` True at real steps (False at padding).
        k: at most this many steps perturbed (attacker's choice), or None (all of them).
    """

    lower: np.ndarray
    upper: np.ndarray
    mask: np.ndarray
    k: int | None

    @property
    def center(self) -> np.ndarray:
        return (self.lower + self.upper) / 2

    @property
    def radius(self) -> np.ndarray:
        return (self.upper - self.lower) / 2

    def __getitem__(self, index) -> InputSet:
        return InputSet(self.lower[index], self.upper[index], self.mask[index], self.k)


def input_box(x, epsilon, *, mask_value: float | None = None, clip_min: float | None = None,
              clip_max: float | None = None, k: int | None = None) -> InputSet:
    """The L-inf box around each sequence of ``x``.

    Args:
        x: clean inputs ``[N, T, D]``.
        epsilon: L-inf radius (>= 0) in input units: a number for every step, or per-step
            budgets ``[T]`` or ``[N, T]`` (0 at a step leaves it unperturbed).
        mask_value: steps whose features all equal it are padding (never perturbed); None:
            every step is real.
        clip_min, clip_max: valid input range (None = unbounded); ``x`` must lie inside.
        k: the attacker perturbs at most ``k`` steps (>= 1) of its choice; None: all.

    Returns:
        :class:`InputSet`.
    """
    x = as_float_array("x", x, ndim=3).astype(np.float64)
    n, steps, _ = x.shape
    eps = _per_step_epsilon(epsilon, n, steps)  # [N, T]
    mask = (np.ones((n, steps), bool) if mask_value is None
            else np.any(x != check_number("mask_value", mask_value), axis=-1))
    if k is not None:
        check_number("k", k, low=1, high=steps, integer=True)
    eps = np.where(mask, eps, 0.0)[:, :, None]  # [N, T, 1]
    lower, upper = x - eps, x + eps
    if clip_min is not None:
        check_number("clip_min", clip_min)
        if np.any(x < clip_min):
            raise ValueError(f"x has values below clip_min={clip_min}")
        lower = np.maximum(lower, clip_min)
    if clip_max is not None:
        check_number("clip_max", clip_max)
        if np.any(x > clip_max):
            raise ValueError(f"x has values above clip_max={clip_max}")
        upper = np.minimum(upper, clip_max)
    return InputSet(lower, upper, mask, k)


def _per_step_epsilon(epsilon, n: int, steps: int) -> np.ndarray:
    if np.ndim(epsilon) == 0:
        check_number("epsilon", epsilon, low=0)
        return np.full((n, steps), float(epsilon))
    eps = as_float_array("epsilon", epsilon, ndim=(1, 2)).astype(np.float64)
    if eps.shape not in ((steps,), (n, steps)):
        raise ValueError(f"epsilon must be a number or per-step budgets of shape ({steps},) "
                         f"or ({n}, {steps}), got shape {eps.shape}")
    if np.any(eps < 0):
        raise ValueError(f"epsilon must be >= 0 at every step, got min {eps.min()}")
    return np.broadcast_to(eps, (n, steps)).copy()
