"""Shared machinery of the attacks: input checks, compiled loss gradients, batching.

Internal to ``rnnsec.adversarial``; the chapters never call it directly. Every attack in the
package checks its inputs here, so the error messages (naming the argument and the allowed
range) are the same everywhere. Used by the attacks (:func:`~rnnsec.adversarial.fgsm`,
:func:`~rnnsec.adversarial.pgd`, :func:`~rnnsec.adversarial.simba`, ...). The perturbation step
itself (direction, projection, random start) lives in ``_steps``, shared with adversarial
training.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from rnnsec._validate import (
    as_float_array,
    as_int_array,
    check_choice,
    check_number,
    check_same_length,
)
from rnnsec.adversarial._steps import loss_and_gradient

NORMS = ("inf", "2")

# Compiled gradient functions per model, one per loss; weak keys so a model can be collected.
_GRAD_FNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_model(model) -> None:
    """Raise TypeError unless ``model`` is a Keras model (or any callable returning logits)."""
    if not callable(model):
        raise TypeError(f"model must be a Keras model returning logits, got "
                        f"{type(model).__name__}")


def check_norm(norm: str) -> str:
    """Return ``norm`` if it is ``"inf"`` or ``"2"``."""
    return check_choice("norm", norm, NORMS)


def check_clip(clip_min, clip_max) -> tuple[float | None, float | None]:
    """Validate the valid input range ``[clip_min, clip_max]`` (either may be None)."""
    if clip_min is not None:
        check_number("clip_min", clip_min)
    if clip_max is not None:
        check_number("clip_max", clip_max)
    if clip_min is not None and clip_max is not None and clip_min >= clip_max:
        raise ValueError(f"clip_min must be < clip_max, got clip_min={clip_min}, "
                         f"clip_max={clip_max}")
    return clip_min, clip_max


def check_inside_range(x: np.ndarray, clip_min, clip_max) -> None:
    """Raise if the clean input already lies outside ``[clip_min, clip_max]``."""
    if clip_min is not None and x.size and x.min() < clip_min:
        raise ValueError(f"x values must be >= clip_min={clip_min}, got min {x.min()}")
    if clip_max is not None and x.size and x.max() > clip_max:
        raise ValueError(f"x values must be <= clip_max={clip_max}, got max {x.max()}")


def check_mask(mask, x: np.ndarray) -> np.ndarray:
    """Return the step mask ``[B, T]`` as float32 (1 = real step, 0 = padding).

    ``None`` means every step is real.
    """
    if mask is None:
        return np.ones(x.shape[:2], dtype=np.float32)
    mask = as_float_array("mask", mask, ndim=2)
    if mask.shape != x.shape[:2]:
        raise ValueError(f"mask must have shape {x.shape[:2]} (batch, steps) like x, got "
                         f"{mask.shape}")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask values must be 0 (padding) or 1 (real step)")
    return mask.astype(np.float32)


def num_classes(model, x_example: np.ndarray) -> int:
    """Number of output classes of ``model``, from one forward pass on ``x_example[:1]``."""
    logits = model(tf.convert_to_tensor(x_example[:1]), training=False)
    if len(logits.shape) != 2:
        raise ValueError(f"model must output logits of shape [B, C], got {tuple(logits.shape)}")
    return int(logits.shape[-1])


def check_attack_inputs(model, x, y, *, targeted: bool, mask=None, clip_min=None,
                        clip_max=None, integer_x: bool = False, x_name: str = "x",
                        vocab_size: int | None = None):
    """Validate ``(model, x, y, mask, clip range)`` the way every attack does.

    Returns:
        ``(x, y, mask, num_classes)`` with x float32 ``[B, T, D]`` (or int64 token ids
        ``[B, L]`` when ``integer_x``; then the mask marks non-zero ids), y int64 ``[B]`` in
        ``[0, C)`` and mask float32 ``[B, T]``. ``x_name`` names x in error messages;
        ``vocab_size`` bounds token ids.
    """
    check_model(model)
    if not isinstance(targeted, bool):
        raise TypeError(f"targeted must be True or False, got {targeted!r}")
    if integer_x:
        x = as_int_array(x_name, x, ndim=2, low=0, high=vocab_size)
    else:
        x = as_float_array(x_name, x, ndim=3).astype(np.float32)
    y = as_int_array("y", y, ndim=1)
    check_same_length(**{x_name: x, "y": y})
    if len(x) == 0:
        raise ValueError(f"{x_name} must hold at least one example, got an empty batch")
    mask = check_mask(mask, x) if not integer_x else (x != 0).astype(np.float32)
    classes = num_classes(model, x)
    as_int_array("y", y, low=0, high=classes)
    if not integer_x:
        clip_min, clip_max = check_clip(clip_min, clip_max)
        check_inside_range(x, clip_min, clip_max)
    return x, y, mask, classes


def check_batching(batch_size: int, progress: bool) -> None:
    """Validate the batching arguments shared by every attack."""
    check_number("batch_size", batch_size, low=1, integer=True)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")


def batches(n: int, batch_size: int, progress: bool, desc: str) -> Iterator[slice]:
    """Yield slices over ``n`` examples, with a tqdm bar when there is more than one batch."""
    starts = range(0, n, batch_size)
    bar = tqdm(starts, desc=desc, disable=(not progress) or len(starts) <= 1, leave=False)
    for start in bar:
        yield slice(start, min(start + batch_size, n))


def loss_and_grad_fn(model, loss: str = "ce") -> Callable:
    """A compiled ``(x, y, mask) -> (loss [B], logits [B, C], grad [B, T, D])`` for ``model``.

    The loss is the per-example attack loss ``loss`` (``"ce"``, ``"margin"`` or ``"dlr"``, see
    ``_losses``) on logits; the gradient is masked so padded steps get zero. Cached per model
    and loss; ``reduce_retracing`` avoids retracing per batch size.
    """
    fns = _GRAD_FNS.setdefault(model, {})
    if loss in fns:
        return fns[loss]
    ref = weakref.ref(model)

    @tf.function(reduce_retracing=True)
    def fn(x, y, mask):
        return loss_and_gradient(ref(), x, y=y, mask=mask, loss=loss)

    fns[loss] = fn
    return fn


def logits_of(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Logits ``[B, C]`` of ``model`` on ``x`` (inference mode, in batches)."""
    out = [model(tf.convert_to_tensor(x[s]), training=False).numpy()
           for s in batches(len(x), batch_size, False, "")]
    return np.concatenate(out, axis=0)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``[B, C]`` logits (NumPy)."""
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def per_example_norm(delta: np.ndarray, norm: str) -> np.ndarray:
    """Norm of each example's perturbation over all its steps and features: ``[B, ...] -> [B]``."""
    flat = delta.reshape(len(delta), -1).astype(np.float64)
    if norm == "inf":
        return np.abs(flat).max(axis=1) if flat.shape[1] else np.zeros(len(flat))
    return np.sqrt((flat ** 2).sum(axis=1))


def attack_succeeded(pred: np.ndarray, y: np.ndarray, targeted: bool) -> np.ndarray:
    """Untargeted: prediction differs from ``y``; targeted: prediction equals the target ``y``."""
    return pred == y if targeted else pred != y


def make_rng(seed) -> np.random.Generator:
    """A NumPy Generator from ``seed``: an int, a Generator, or None.

    None draws the seed from NumPy's global state, so ``rnnsec.set_seed`` makes runs repeatable.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(np.random.randint(0, 2**31 - 1))
    check_number("seed", seed, low=0, integer=True)
    return np.random.default_rng(seed)


def stateless_seed(rng: np.random.Generator) -> np.ndarray:
    """A seed pair ``[2]`` for TensorFlow's stateless random ops, drawn from ``rng``."""
    return rng.integers(0, 2**31 - 1, size=2, dtype=np.int64)


class BestIterate:
    """Per-example best iterate of an attack: the first that succeeds, else the one with the
    highest objective. Keeping it makes more steps or restarts never weaker."""

    def __init__(self, x: np.ndarray):
        self.x = x.copy()
        self.success = np.zeros(len(x), dtype=bool)
        self.objective = np.full(len(x), -np.inf)

    def update(self, x_adv, logits, objective, y, targeted: bool = False) -> None:
        """Take ``x_adv`` where it newly succeeds, or improves the objective of a failure."""
        success = attack_succeeded(np.argmax(logits, axis=1), y, targeted)
        newly = success & ~self.success
        better = ~success & ~self.success & (objective > self.objective)
        take = newly | better
        self.x[take] = x_adv[take]
        self.objective[take] = objective[take]
        self.success |= success
