"""Fixed-point numbers in the ring Z_2^64: encoding, decoding and range checks.

Secret shares live in Z_2^64, stored as NumPy ``uint64`` arrays whose arithmetic wraps around
modulo 2^64 for free. A real number v is encoded as the ring element ``round(v * 2^f)`` (two's
complement for negatives), where ``f`` is the number of fractional bits; an encoded value has
*scale* ``f``. Integers (bits, counters, public integer multipliers) are kept at scale 0, so that
multiplying by them needs no truncation.

Range: a value must satisfy ``|v| < 2^(31 - f)`` (32768 for f = 16). Then the product of two
values, ``v * w * 2^(2f)``, stays below 2^62 in absolute value, inside the signed half of the
ring with a margin that the truncation protocols need (``session.py`` explains them).

Taught in Chapter 3.3 (secret sharing and fixed-point arithmetic).
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import as_float_array, check_number

RING_BITS = 64
MIN_FRAC_BITS = 1
MAX_FRAC_BITS = 30
BYTES_PER_ELEMENT = RING_BITS // 8


class FixedPointRangeError(ValueError):
    """A value lies outside the fixed-point range, or a revealed value shows a wrap-around."""


def check_frac_bits(frac_bits: int) -> int:
    """Return ``frac_bits`` if it is an integer in [1, 30], else raise naming it."""
    return check_number("frac_bits", frac_bits, low=MIN_FRAC_BITS, high=MAX_FRAC_BITS,
                        integer=True)


def max_abs_value(frac_bits: int) -> float:
    """The largest magnitude an input may have: values must satisfy ``|v| < 2^(31 - f)``."""
    check_frac_bits(frac_bits)
    return float(2 ** (31 - frac_bits))


def wrap_threshold(frac_bits: int) -> float:
    """Magnitude above which a revealed value can only come from a wrap-around.

    A product of two in-range values is below ``2^(62 - 2f)``; a failed local truncation is off
    by at least ``2^(64 - 2f)``. Revealed values at or above ``2^(63 - 2f)`` are therefore
    reported as an error instead of being returned as numbers.
    """
    check_frac_bits(frac_bits)
    return float(2 ** (63 - 2 * frac_bits))


def as_real_array(name: str, value) -> np.ndarray:
    """Validate a numeric array-like (bool, integer or float; finite) and return it as an array.

    Integer and bool arrays keep their dtype (they are encoded exactly); floats become float64.
    Complex numbers are refused rather than silently dropping the imaginary part.
    """
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged nested lists: let the shared helper raise its named error
        as_float_array(name, value)
        raise
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    as_float_array(name, arr)  # rectangular, numeric, finite
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr
    return arr.astype(np.float64, copy=False)


def check_range(name: str, arr: np.ndarray, frac_bits: int) -> None:
    """Raise :class:`FixedPointRangeError` naming ``name`` if ``|v| >= 2^(31 - f)`` anywhere."""
    if arr.size == 0:
        return
    bound = max_abs_value(frac_bits)
    if arr.dtype == bool:
        return
    peak = float(np.max(np.abs(arr.astype(np.float64))))
    if peak >= bound:
        raise FixedPointRangeError(
            f"{name} has values up to {peak:.6g} in absolute value; with frac_bits={frac_bits} "
            f"the fixed-point range is |v| < 2^{31 - frac_bits} = {bound:g}, so that the product "
            "of two values fits in the 64-bit ring. Scale the input down or use fewer "
            "fractional bits.")


def encode(value, frac_bits: int, *, name: str = "value", integer: bool | None = None
           ) -> tuple[np.ndarray, int]:
    """Encode a real array as ring elements.

    Args:
        value: array-like of bools, integers or floats, all finite and in range.
        frac_bits: fractional bits ``f`` of the encoding of floats.
        name: the argument's name, for error messages.
        integer: True keeps integers at scale 0 (exact, no truncation needed when multiplying);
            None decides from the dtype (bool/int -> scale 0, float -> scale ``f``); False
            encodes everything at scale ``f``.

    Returns:
        ``(ring, scale)``: a ``uint64`` array and its scale (0 or ``f``).
    """
    arr = as_real_array(name, value)
    check_range(name, arr, frac_bits)
    is_int = arr.dtype == bool or np.issubdtype(arr.dtype, np.integer)
    if integer is None:
        integer = is_int
    if integer and not is_int:
        raise TypeError(f"{name} must be an integer array for an integer encoding, "
                        f"got dtype {arr.dtype}")
    if integer:
        return to_ring(arr.astype(np.int64)), 0
    if is_int:
        return to_ring(arr.astype(np.int64) << np.int64(frac_bits)), frac_bits
    scaled = np.rint(arr * float(2 ** frac_bits))
    return to_ring(scaled.astype(np.int64)), frac_bits


def decode(ring: np.ndarray, scale: int) -> np.ndarray:
    """Map ring elements (two's complement) at ``scale`` back to float64 real numbers."""
    return to_signed(ring).astype(np.float64) / float(2 ** scale)


def to_ring(signed: np.ndarray) -> np.ndarray:
    """View an int64 array as ring elements (uint64) without copying."""
    return np.asarray(signed, dtype=np.int64).view(np.uint64)


def to_signed(ring: np.ndarray) -> np.ndarray:
    """View ring elements as signed int64 (two's complement)."""
    return np.asarray(ring, dtype=np.uint64).view(np.int64)


def random_ring(rng: np.random.Generator, shape) -> np.ndarray:
    """Uniformly random ring elements of ``shape`` from ``rng``."""
    return rng.integers(0, 2 ** 64, size=shape, dtype=np.uint64)


def ring_const(value: int) -> np.uint64:
    """A Python integer reduced modulo 2^64, as a NumPy ``uint64`` scalar."""
    return np.uint64(value % 2 ** 64)
