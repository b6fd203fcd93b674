"""The trusted dealer: correlated randomness for the online phase (Beaver triples and friends).

Multiplying two secret-shared values needs a *Beaver triple* (Beaver, 1991): shares of random
a, b and of c = a * b (or c = a @ b for matrices), made in advance by a party trusted not to
collude, as in CrypTen's trusted-third-party mode (Knott et al., 2021). The dealer sees no
input and takes no part in the online phase; it only hands each computing party its shares.

Every piece of material may be used once. Using a triple twice for ``x * y`` and ``x' * y'``
opens ``x - a`` and ``x' - a``, whose difference is ``x - x'``: a leak. :class:`TripleReuseError`
is raised instead.

Besides triples the dealer provides, for the protocols in ``session.py`` and ``compare.py``:

* truncation pairs (shares of r, of its top bit and of its shifted low bits) for the
  dealer-assisted truncation (Dalskov, Escudero and Keller, 2020);
* comparison masks (r shared both arithmetically and bitwise, an "edaBit", Escudero et al. 2020);
* binary (AND) triples for the bitwise comparison circuit;
* daBits (a random bit shared both bitwise and arithmetically; Rotaru and Wood, 2019).

Taught in Chapter 3.3 (Beaver multiplication) and Chapter 3.3 (comparisons).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

import numpy as np

from rnnsec._validate import check_number
from rnnsec.mpc.ring import random_ring

_ids = itertools.count(1)
LOW63 = np.uint64(2 ** 63 - 1)


class TripleReuseError(RuntimeError):
    """Raised when a Beaver triple (or any other dealer material) is used a second time."""


class Material:
    """A piece of dealer material: per-party shares of correlated random values, used once.

    Attributes:
        kind: ``"beaver"``, ``"matmul"``, ``"binary"``, ``"truncation"``, ``"comparison"`` or
            ``"dabit"``.
        id: a number unique within the process, for error messages.
        shapes: the shapes the material was made for.
        parts: name -> tuple of per-party share arrays (e.g. ``{"a": ..., "b": ..., "c": ...}``).
        used: whether it has been consumed.
    """

    __slots__ = ("kind", "id", "shapes", "parts", "dealer", "used", "bits")

    def __init__(self, kind: str, shapes: tuple, parts: dict, dealer: Dealer, bits: int = 0):
        self.kind = kind
        self.id = next(_ids)
        self.shapes = shapes
        self.parts = parts
        self.dealer = dealer
        self.used = False
        self.bits = bits

    def consume(self) -> dict:
        """Mark the material used and return its parts; raise if it was used before."""
        if self.used:
            raise TripleReuseError(
                f"{self.kind} material #{self.id} was already used. Each triple may be used "
                "once: reusing a for x*y and x'*y' opens x - a and x' - a, revealing x - x'.")
        self.used = True
        return self.parts

    def __repr__(self) -> str:
        return (f"Material(kind={self.kind!r}, id={self.id}, shapes={self.shapes}, "
                f"used={self.used})")


class Dealer:
    """A trusted dealer that makes correlated randomness for ``parties`` computing parties.

    Args:
        parties: number of computing parties (2 or 3).
        seed: seed of the dealer's own random generator.
        on_send: callback ``(party_index, arrays, nbytes, kind)`` called for every share
            handed out, so that a session can record the offline messages.

    Implements the trusted-third-party preprocessing of CrypTen (Knott et al., 2021) and Beaver
    (1991); Chapter 3.3.
    """

    def __init__(self, parties: int, seed: int = 0, *, on_send: Callable | None = None):
        self.parties = check_number("parties", parties, low=2, high=3, integer=True)
        check_number("seed", seed, low=0, integer=True)
        self._rng = np.random.default_rng(seed)
        self._on_send = on_send
        self.issued: Counter = Counter()

    # ---- sharing helpers -------------------------------------------------------------------
    def _arith(self, value: np.ndarray) -> tuple:
        """Additive shares of a ring array: n-1 uniform, the last one the remainder."""
        value = np.asarray(value, dtype=np.uint64)
        shares = [random_ring(self._rng, value.shape) for _ in range(self.parties - 1)]
        last = value - np.sum(shares, axis=0, dtype=np.uint64) if shares else value
        return (*shares, np.asarray(last, dtype=np.uint64))

    def _xor(self, value: np.ndarray, *, bit: bool = False) -> tuple:
        """XOR shares of a word array (or of a 0/1 array when ``bit``)."""
        value = np.asarray(value, dtype=np.uint64)
        if bit:
            shares = [self._rng.integers(0, 2, size=value.shape, dtype=np.uint64)
                      for _ in range(self.parties - 1)]
        else:
            shares = [random_ring(self._rng, value.shape) for _ in range(self.parties - 1)]
        last = np.array(value, copy=True)
        for s in shares:
            last ^= s
        return (*shares, last)

    def _issue(self, kind: str, shapes: tuple, parts: dict, bytes_per: dict,
               bits: int = 0) -> Material:
        """Send each party its shares (recorded as offline messages) and wrap them."""
        self.issued[kind] += 1
        if self._on_send is not None:
            for p in range(self.parties):
                arrays = tuple(parts[k][p] for k in parts)
                nbytes = sum(parts[k][p].size * bytes_per[k] for k in parts)
                self._on_send(p, arrays, nbytes, kind)
        return Material(kind, shapes, parts, self, bits)

    # ---- material ------------------------------------------------------------------------
    def beaver_triple(self, shape: tuple) -> Material:
        """Shares of random a, b and c = a * b (elementwise), all of ``shape``."""
        shape = tuple(shape)
        a, b = random_ring(self._rng, shape), random_ring(self._rng, shape)
        parts = {"a": self._arith(a), "b": self._arith(b), "c": self._arith(a * b)}
        return self._issue("beaver", (shape,), parts, dict.fromkeys(parts, 8))

    def matmul_triple(self, shape_x: tuple, shape_y: tuple) -> Material:
        """Shares of random a (``shape_x``), b (``shape_y``) and c = a @ b."""
        shape_x, shape_y = tuple(shape_x), tuple(shape_y)
        a, b = random_ring(self._rng, shape_x), random_ring(self._rng, shape_y)
        parts = {"a": self._arith(a), "b": self._arith(b), "c": self._arith(np.matmul(a, b))}
        return self._issue("matmul", (shape_x, shape_y), parts, dict.fromkeys(parts, 8))

    def binary_triple(self, shape: tuple) -> Material:
        """XOR shares of random 64-bit words a, b and c = a AND b (64 AND gates per word)."""
        shape = tuple(shape)
        a, b = random_ring(self._rng, shape), random_ring(self._rng, shape)
        parts = {"a": self._xor(a), "b": self._xor(b), "c": self._xor(a & b)}
        return self._issue("binary", (shape,), parts, dict.fromkeys(parts, 8))

    def truncation_pair(self, shape: tuple, bits: int) -> Material:
        """Shares of random r, of its top bit r >> 63 and of ``(r mod 2^63) >> bits``.

        Used by the dealer-assisted probabilistic truncation (Dalskov, Escudero and Keller,
        2020) in ``Session``; see its docstring for the protocol and its error.
        """
        check_number("bits", bits, low=1, high=62, integer=True)
        shape = tuple(shape)
        r = random_ring(self._rng, shape)
        parts = {"r": self._arith(r), "r_msb": self._arith(r >> np.uint64(63)),
                 "r_low": self._arith((r & LOW63) >> np.uint64(bits))}
        return self._issue("truncation", (shape,), parts, dict.fromkeys(parts, 8), bits)

    def comparison_mask(self, shape: tuple) -> Material:
        """A random r shared twice: additively in Z_2^64 and bitwise (XOR shares of its word)."""
        shape = tuple(shape)
        r = random_ring(self._rng, shape)
        parts = {"r": self._arith(r), "r_bits": self._xor(r)}
        return self._issue("comparison", (shape,), parts, dict.fromkeys(parts, 8))

    def dabit(self, shape: tuple) -> Material:
        """A random bit s shared bitwise (XOR of 0/1 values) and additively in Z_2^64."""
        shape = tuple(shape)
        s = self._rng.integers(0, 2, size=shape, dtype=np.uint64)
        parts = {"xor": self._xor(s, bit=True), "arith": self._arith(s)}
        return self._issue("dabit", (shape,), parts, {"xor": 1, "arith": 8})

    def __repr__(self) -> str:
        issued = ", ".join(f"{k}: {v}" for k, v in self.issued.items())
        return f"Dealer(parties={self.parties}, issued={{{issued}}})"
