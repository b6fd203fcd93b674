"""Input validation shared by every rnnsec module.

Each helper raises ``ValueError``/``TypeError`` whose message names the argument and what is
allowed, e.g. ``ValueError("epsilon must be >= 0, got -1.0")``. Nothing is clipped or coerced
silently. Pure Python/NumPy, so that ``rnnsec.mpc`` can use it without TensorFlow.
"""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np


def check_number(name: str, value, *, low=None, high=None, low_open=False, high_open=False,
                 integer=False) -> float | int:
    """Return ``value`` if it is a real number in the given range, else raise.

    Args:
        name: the argument's name, used in the error message.
        value: the value to check.
        low, high: bounds (None for unbounded).
        low_open, high_open: whether the bound itself is excluded.
        integer: require an integer (bools are refused).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__} {value!r}")
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming the allowed values."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def as_float_array(name: str, value, *, ndim=None, min_ndim=None, allow_nan=False) -> np.ndarray:
    """Convert to a float NumPy array, checking rank and finiteness.

    Args:
        name: the argument's name.
        value: array-like (a ragged list raises instead of becoming an object array).
        ndim: required number of dimensions, or a tuple of allowed ones.
        min_ndim: smallest allowed number of dimensions.
        allow_nan: whether NaN/inf are acceptable.
    """
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array; pad ragged sequences first "
                         f"({err})") from None
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular numeric array; pad ragged sequences "
                         "first (e.g. rnnsec.data.pad_sequences)")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.float32 if arr.dtype != np.float64 else np.float64, copy=False)
    _check_ndim(name, arr, ndim, min_ndim)
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_int_array(name: str, value, *, ndim=None, low=None, high=None) -> np.ndarray:
    """Convert to an int64 array of class labels or token ids, checking ``low <= v < high``."""
    arr = np.asarray(value)
    if arr.dtype == object:
        raise ValueError(f"{name} must be a rectangular integer array")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integers, got non-integer values")
    elif not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    _check_ndim(name, arr, ndim, None)
    if arr.size and low is not None and arr.min() < low:
        raise ValueError(f"{name} values must be >= {low}, got {arr.min()}")
    if arr.size and high is not None and arr.max() >= high:
        raise ValueError(f"{name} values must be < {high}, got {arr.max()}")
    return arr


def readonly_float_array(value) -> np.ndarray:
    """A float64 copy of ``value`` that cannot be written to (for arrays held by results)."""
    arr = np.array(value, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def check_same_length(**arrays) -> int:
    """Check that all arrays have the same first dimension; return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise ValueError(f"mismatched lengths: {desc}; they must be equal")
    return next(iter(lengths.values())) if lengths else 0


def _check_ndim(name, arr, ndim, min_ndim):
    if ndim is not None:
        allowed = ndim if isinstance(ndim, tuple) else (ndim,)
        if arr.ndim not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                             f"got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")


def keyword_only(*names: str):
    """Decorator: passing ``names`` (the function's keyword-only parameters) by position
    raises a ``TypeError`` that names them, instead of Python's "takes 1 positional argument".

    Used where two parameters of the same type follow each other (a clipping norm and a noise
    multiplier), so that a call cannot swap them silently.
    """

    def decorate(fn):
        params = inspect.signature(fn).parameters.values()
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        label = fn.__qualname__.removesuffix(".__init__")
        example = ", ".join(f"{name}=..." for name in names)

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            if len(args) > n_positional:
                raise TypeError(f"{label}() takes {' and '.join(names)} as keyword arguments "
                                f"only: {label}(model, {example}); got "
                                f"{len(args) - n_positional} more positional argument(s)")
            return fn(*args, **kwargs)

        return checked

    return decorate
