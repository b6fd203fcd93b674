"""The trusted dealer as its own process: each party receives only its own shares of the material.

In a networked session (:func:`~rnnsec.mpc.parties.run_parties`) the dealer runs in a process
of its own and owns the random generator of the in-process :class:`~rnnsec.mpc.dealer.Dealer`
(same seed, so the material is the same as in the simulation). Every party asks it, in protocol
order, for the next piece of material; the dealer makes it once, checks that every party asks
for the same kind and shapes (a party that diverged from the protocol is an error, not a
silent mismatch) and sends each party its shares only. Its link is not slowed by the emulated
profile: in a deployment this material is made and shipped before the inputs exist (the
offline phase of CrypTen's trusted-third-party mode, Knott et al., 2021).

Chapter 3.3 (running the parties apart).
"""

from __future__ import annotations

from multiprocessing.connection import wait

import numpy as np

from rnnsec.mpc.dealer import Dealer, Material
from rnnsec.mpc.transport import PartyError

METHODS = ("beaver_triple", "matmul_triple", "binary_triple", "truncation_pair",
           "comparison_mask", "dabit")


class RemoteDealer(Dealer):
    """A party's handle on the dealer process: the :class:`Dealer` API, one party's shares.

    Args:
        parties: number of computing parties.
        party: the index of the party that holds this handle.
        conn: its connection to the dealer process.
        timeout: seconds to wait for the dealer's answer.
        on_send: the session's callback that records the offline messages.

    Chapter 3.3 (running the parties apart).
    """

    def __init__(self, parties: int, party: int, conn, timeout: float, *, on_send=None):
        super().__init__(parties, 0, on_send=on_send)
        self.party, self._conn, self._timeout = party, conn, timeout

    def _fetch(self, method: str, *args) -> Material:
        try:
            self._conn.send((method, args))
            if not self._conn.poll(self._timeout):
                raise PartyError(f"the dealer did not answer within {self._timeout:g} s")
            answer = self._conn.recv()
        except (EOFError, OSError) as err:
            raise PartyError(f"lost the connection to the dealer ({type(err).__name__})") from None
        if isinstance(answer, str):
            raise PartyError(f"the dealer stopped: {answer}")
        kind, shapes, bits, mine, nbytes = answer
        parts = {k: tuple(v if p == self.party else np.zeros_like(v)
                          for p in range(self.parties)) for k, v in mine.items()}
        self.issued[kind] += 1
        if self._on_send is not None:
            for p in range(self.parties):
                self._on_send(p, tuple(parts[k][p] for k in parts), nbytes[p], kind)
        return Material(kind, shapes, parts, self, bits)

    def beaver_triple(self, shape):
        return self._fetch("beaver_triple", tuple(shape))

    def matmul_triple(self, shape_x, shape_y):
        return self._fetch("matmul_triple", tuple(shape_x), tuple(shape_y))

    def binary_triple(self, shape):
        return self._fetch("binary_triple", tuple(shape))

    def truncation_pair(self, shape, bits):
        return self._fetch("truncation_pair", tuple(shape), int(bits))

    def comparison_mask(self, shape):
        return self._fetch("comparison_mask", tuple(shape))

    def dabit(self, shape):
        return self._fetch("dabit", tuple(shape))


def _make(dealer: Dealer, request) -> dict:
    """Make the material ``request = (method, args)`` asks for; record each party's bytes."""
    method, args = request
    if method not in METHODS:
        raise PartyError(f"unknown dealer request {method!r}")
    sizes = [0] * dealer.parties
    dealer._on_send = lambda p, arrays, nbytes, kind: sizes.__setitem__(p, nbytes)
    material = getattr(dealer, method)(*args)
    return {"request": request, "material": material, "sizes": sizes, "left": dealer.parties}


def serve(conns: dict, parties: int, seed: int, timeout: float) -> None:
    """Serve material to the parties until all have closed; raise PartyError on a failure.

    Args:
        conns: party index -> connection.
        parties: number of computing parties.
        seed: the dealer's seed (:func:`~rnnsec.mpc.session.dealer_seed`).
        timeout: seconds without any request after which the dealer gives up.
    """
    dealer = Dealer(parties, seed)
    made: dict = {}  # index -> material not yet fetched by every party
    position = dict.fromkeys(conns, 0)
    open_conns = {c: p for p, c in conns.items()}
    while open_conns:
        ready = wait(list(open_conns), timeout)
        if not ready:
            raise PartyError(f"the dealer heard from no party for {timeout:g} s")
        for conn in ready:
            p = open_conns[conn]
            try:
                request = conn.recv()
            except (EOFError, OSError):
                del open_conns[conn]
                if position[p] is not None:
                    _tell_all(open_conns, f"P{p} closed its connection to the dealer mid-run")
                    raise PartyError(f"P{p} closed its dealer connection mid-run") from None
                continue
            if request is None:  # the party finished cleanly
                position[p] = None
                continue
            _answer(conn, p, request, dealer, made, position)


def _tell_all(open_conns: dict, message: str) -> None:
    """Send an error message to every party still connected (as the answer they wait for)."""
    for conn in open_conns:
        try:
            conn.send(message)
        except OSError:
            pass


def _answer(conn, p: int, request, dealer: Dealer, made: dict, position: dict) -> None:
    k = position[p]
    if k not in made:
        made[k] = _make(dealer, request)
    entry = made[k]
    if entry["request"] != request:
        raise PartyError(f"party {p} asked for {request} as material #{k}, another party for "
                         f"{entry['request']}: the parties diverged from the protocol")
    m = entry["material"]
    mine = {name: shares[p] for name, shares in m.parts.items()}
    conn.send((m.kind, m.shapes, m.bits, mine, entry["sizes"]))
    position[p] = k + 1
    entry["left"] -= 1
    if entry["left"] == 0:
        del made[k]
