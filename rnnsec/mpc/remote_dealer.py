"""The trusted dealer as its own process, in an offline phase: each party gets only its shares.

In a networked session (:func:`~rnnsec.mpc.run_parties`) the dealer runs in a process
of its own. Preprocessing depends on the circuit, not on the data, so before the online phase
the dealer runs the parties' function once itself, on placeholder inputs of the right shapes
(zeros), in an in-process :class:`~rnnsec.mpc.session.Session` with the session's seed: that
dry run records every piece of material the protocol will ask for, in order, made by the same
random generator as in the simulation (so the networked run gives the same results bit for
bit). The dealer then sends each party its own shares of all of it, and is done. This is the
offline phase of CrypTen's trusted-third-party mode (Knott et al., 2021); it is not slowed
by the emulated link profile.

During the online phase each party's :class:`RemoteDealer` hands out the next piece and checks
that it is of the kind and shapes the protocol asks for: a protocol whose requests depend on
data (which the dry run on zeros cannot foresee) fails with a clear error instead of using
wrong material.

Chapter 3.3 (running the parties apart).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from rnnsec.mpc.dealer import Dealer, Material
from rnnsec.mpc.session import Session, dealer_seed
from rnnsec.mpc.transport import PartyError

#: Dealer method -> the kind of material it makes.
METHOD_KINDS = {"beaver_triple": "beaver", "matmul_triple": "matmul", "binary_triple": "binary",
                "truncation_pair": "truncation", "comparison_mask": "comparison",
                "dabit": "dabit"}


class RemoteDealer(Dealer):
    """A party's share of the dealer's offline material: the :class:`Dealer` API, one party.

    Args:
        parties: number of computing parties.
        party: the index of the party that holds this handle.
        material: this party's pieces, in protocol order, as :func:`plan_material` makes them.
        on_send: the session's callback that records the offline messages.

    Chapter 3.3 (running the parties apart).
    """

    def __init__(self, parties: int, party: int, material: list, *, on_send=None):
        super().__init__(parties, 0, on_send=on_send)
        self.party = party
        self._material = deque(material)

    def _fetch(self, method: str, shapes: tuple, bits: int = 0) -> Material:
        if not self._material:
            raise PartyError(f"the protocol asked for more material ({method}) than the "
                             "dealer's dry run used: its requests depend on data")
        kind, planned_shapes, planned_bits, mine, nbytes = self._material.popleft()
        if (kind, planned_shapes, planned_bits) != (METHOD_KINDS[method], shapes, bits):
            raise PartyError(f"the protocol asked for {method}{shapes} where the dealer's dry "
                             f"run used {kind} material for {planned_shapes}: its requests "
                             "depend on data")
        parts = {k: tuple(v if p == self.party else np.zeros_like(v)
                          for p in range(self.parties)) for k, v in mine.items()}
        self.issued[kind] += 1
        if self._on_send is not None:
            for p in range(self.parties):
                self._on_send(p, tuple(parts[k][p] for k in parts), nbytes[p], kind)
        return Material(kind, shapes, parts, self, bits)

    def beaver_triple(self, shape):
        return self._fetch("beaver_triple", (tuple(shape),))

    def matmul_triple(self, shape_x, shape_y):
        return self._fetch("matmul_triple", (tuple(shape_x), tuple(shape_y)))

    def binary_triple(self, shape):
        return self._fetch("binary_triple", (tuple(shape),))

    def truncation_pair(self, shape, bits):
        return self._fetch("truncation_pair", (tuple(shape),), int(bits))

    def comparison_mask(self, shape):
        return self._fetch("comparison_mask", (tuple(shape),))

    def dabit(self, shape):
        return self._fetch("dabit", (tuple(shape),))


class _PlanningDealer(Dealer):
    """A dealer that keeps every piece it makes, with each party's bytes (for the dry run)."""

    def __init__(self, parties: int, seed: int):
        super().__init__(parties, seed)
        self.made: list = []

    def _issue(self, kind, shapes, parts, bytes_per, bits=0):
        sizes = [sum(parts[k][p].size * bytes_per[k] for k in parts) for p in range(self.parties)]
        material = super()._issue(kind, shapes, parts, bytes_per, bits)
        self.made.append((material, sizes))
        return material


def plan_material(fn, inputs, parties: int, seed: int, options: dict) -> list[list]:
    """Run ``fn(session, inputs)`` in one process and return each party's list of material.

    Args:
        fn: the parties' function.
        inputs: placeholder inputs of the right shapes (the dealer sees no real input).
        parties, seed, options: the session's arguments.

    Returns:
        Per party, a list of ``(kind, shapes, bits, {part: that party's share}, bytes per
        party)`` in the order the protocol asks for them.
    """
    session = Session(parties, seed=seed, keep_views=False, **options)
    dealer = _PlanningDealer(parties, dealer_seed(seed, parties))
    session.dealer = dealer
    fn(session, inputs)
    return [[(m.kind, m.shapes, m.bits, {k: v[p] for k, v in m.parts.items()}, sizes)
             for m, sizes in dealer.made] for p in range(parties)]
