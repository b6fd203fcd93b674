"""Additive secret sharing over Z_2^64 with fixed point: the session and the shared tensor.

A :class:`Session` simulates 2 or 3 semi-honest computing parties in one process (no
processes, no sockets: notebooks never hang) plus a trusted :class:`~rnnsec.mpc.dealer.Dealer`.
The same session, given a transport, is one party of a run in separate processes
(:mod:`~rnnsec.mpc.parties`): the protocol code below is the same in both.
A secret x is split into uniformly random shares x_0 + x_1 (+ x_2) = x mod 2^64; one share alone
is a uniformly random number and tells its holder nothing. A :class:`SharedTensor` holds all the
shares and offers ``+ - * @``, negation, sums, reshaping and indexing. Every message a protocol
step sends is recorded in ``session.transcript`` (bytes, round, purpose).

Protocol steps (each docstring below says who sends what):

* addition, subtraction, public scaling: local, no messages;
* multiplication ``x * y`` and ``x @ y``: Beaver triples (Beaver, 1991), one round in which every
  party opens its shares of e = x - a and d = y - b;
* truncation after a fixed-point product (scale 2f back to f), two protocols:

  - ``"local"`` (2 parties; SecureML, Mohassel and Zhang, 2017): each party shifts its own
    share, read as a signed integer, right by f bits, and party 0 adds one unit. No messages.
    The result lies within one unit (2^-f) of x / 2^f and its error has mean zero (the two
    dropped fractional parts sum to 1 on average), *unless* x_0 + x_1 overflowed as signed
    integers, which happens with probability |x| / 2^64 over the random shares (x the ring
    value before truncation, about |v| 2^(2f) for a real product v: 2^-32 |v| for f = 16).
    Then the result is off by 2^(64 - f) in the ring (2^(64 - 2f) = 2^32 in real units for
    f = 16) and ``reveal`` reports the wrap-around instead of returning a number.
  - ``"dealer"`` (2 or 3 parties; probabilistic truncation of Dalskov, Escudero and Keller,
    2020): the dealer gives shares of a random r, of its top bit and of (r mod 2^63) >> f.
    The parties open c = x + 2^62 + r (uniform, so it reveals nothing), and compute
    (c mod 2^63) >> f - (r mod 2^63) >> f + 2^(63-f) * (top(c) XOR top(r)) - 2^(62-f).
    One round. The result is floor(x / 2^f) or one unit above it (zero-mean error, since r is
    uniform), for every |x| < 2^62: there is no large-error event at all.

Local truncation is the default for 2 parties, the dealer's for 3 (the local trick needs
exactly two shares).

Implements the arithmetic layer of CrypTen (Knott et al., 2021); Chapter 3.3.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from rnnsec._validate import check_choice, check_number
from rnnsec.mpc.dealer import LOW63, Dealer, Material
from rnnsec.mpc.ring import (
    BYTES_PER_ELEMENT,
    FixedPointRangeError,
    check_frac_bits,
    decode,
    encode,
    max_abs_value,
    random_ring,
    ring_const,
    to_ring,
    to_signed,
    wrap_threshold,
)
from rnnsec.mpc.transcript import (
    OFFLINE,
    ONLINE,
    CommunicationStats,
    Message,
    PartyView,
    Transcript,
    ViewEntry,
)

TRUNCATIONS = ("local", "dealer")
# Ring arithmetic wraps modulo 2^64 on purpose; NumPy warns about it for 0-d results only.
_quiet = np.errstate(over="ignore")
_TRIPLE_KINDS = ("beaver", "matmul", "binary")


@dataclass(frozen=True)
class Mark:
    """A point in a session's history; ``session.stats(since=mark)`` counts what came after."""

    messages: int
    round: int
    material: tuple
    lower_bound_bytes: int


def dealer_seed(seed: int, parties: int) -> int:
    """The dealer's seed in a session made with ``seed`` (the same in every process)."""
    children = np.random.SeedSequence(seed).spawn(parties + 1)
    return int(children[-1].generate_state(1)[0])


class Session:
    """A simulated MPC session: 2 or 3 computing parties, a trusted dealer, a transcript.

    Args:
        parties: number of computing parties, 2 or 3.
        frac_bits: fractional bits of the fixed-point encoding, 1..30 (16 as in CrypTen).
            Inputs must satisfy ``|v| < 2^(31 - frac_bits)`` (32768 for 16).
        seed: seed of all the randomness (each party's shares and the dealer's material).
        truncation: ``"local"`` (SecureML share truncation, 2 parties only), ``"dealer"``
            (dealer-assisted probabilistic truncation, one round) or None for the default
            (``"local"`` with 2 parties, ``"dealer"`` with 3). The module docstring gives the
            error of each.
        names: party names for the transcript (default ``("P0", "P1"[, "P2"])``).
        keep_views: keep every received payload so that ``view(party)`` can show it. Turn it
            off for long runs (the views hold a copy of every message).
        transport: None (the default) simulates every party in this process. Inside one
            party's process of :func:`~rnnsec.mpc.run_parties`, a
            :class:`~rnnsec.mpc.transport.Transport`: then the session is that party's, it
            really sends its own shares and receives the others' (the other parties' shares
            it carries are zero placeholders, never used for a result), and its dealer is the
            dealer process. The transcript is the same in both cases.

    Implements additive secret sharing with Beaver multiplication (Beaver, 1991) as in CrypTen
    (Knott et al., 2021); Chapter 3.3.
    """

    def __init__(self, parties: int = 2, frac_bits: int = 16, seed: int = 0, *,
                 truncation: str | None = None, names: Sequence[str] | None = None,
                 keep_views: bool = True, transport=None):
        self.parties = check_number("parties", parties, low=2, high=3, integer=True)
        self.frac_bits = check_frac_bits(frac_bits)
        check_number("seed", seed, low=0, integer=True)
        if truncation is None:
            truncation = "local" if parties == 2 else "dealer"
        check_choice("truncation", truncation, TRUNCATIONS)
        if truncation == "local" and parties != 2:
            raise ValueError("truncation='local' needs exactly 2 parties (the share-shifting "
                             f"trick fails with {parties} shares); use truncation='dealer'")
        self.truncation = truncation
        self.names = self._check_names(names, parties)
        if not isinstance(keep_views, bool):
            raise TypeError(f"keep_views must be True or False, got {keep_views!r}")
        children = np.random.SeedSequence(seed).spawn(parties + 1)
        self._rngs = [np.random.default_rng(c) for c in children[:parties]]
        self.transcript = Transcript()
        self._views = [[] for _ in range(parties)] if keep_views else None
        self._round = 0
        self._parallel_round: int | None = None
        self._material: Counter = Counter()
        self._lower_bound = 0
        if transport is not None and not hasattr(transport, "make_dealer"):
            raise TypeError(f"transport must be None or a Transport, got {type(transport)}")
        if transport is not None and keep_views:
            raise ValueError("keep_views=True needs the simulated session (transport=None): a "
                             "networked party holds only its own view")
        self._transport = transport
        self._pending: list = []
        if transport is None:
            self.dealer = Dealer(parties, dealer_seed(seed, parties), on_send=self._dealer_sent)
        else:
            self.dealer = transport.make_dealer(parties, on_send=self._dealer_sent)

    @property
    def party(self) -> int | None:
        """Which party this process plays, by index; None when the session simulates all."""
        return None if self._transport is None else self._transport.party

    @staticmethod
    def _check_names(names, parties: int) -> tuple:
        if names is None:
            return tuple(f"P{i}" for i in range(parties))
        names = tuple(names)
        if len(names) != parties or len(set(names)) != parties:
            raise ValueError(f"names must hold {parties} distinct names, got {names!r}")
        if not all(isinstance(n, str) and n and n != "dealer" for n in names):
            raise ValueError(f"names must be non-empty strings other than 'dealer', got {names!r}")
        return names

    @property
    def max_value(self) -> float:
        """The fixed-point range; inputs must satisfy ``|v| < max_value = 2^(31 - f)``."""
        return max_abs_value(self.frac_bits)

    def __repr__(self) -> str:
        return (f"Session(parties={self.parties}, frac_bits={self.frac_bits}, "
                f"truncation={self.truncation!r}, rounds={self._round}, "
                f"messages={len(self.transcript)})")

    # ---- parties, messages, views ----------------------------------------------------------
    def party_index(self, party, name: str = "party") -> int:
        """Return the index of ``party`` given as an index or a name; raise naming ``name``."""
        if isinstance(party, str):
            if party not in self.names:
                raise ValueError(f"{name} must be one of {self.names}, got {party!r}")
            return self.names.index(party)
        return check_number(name, party, low=0, high=self.parties - 1, integer=True)

    def _dealer_sent(self, party: int, arrays: tuple, nbytes: int, kind: str) -> None:
        self.transcript.record(Message(0, OFFLINE, "dealer", self.names[party], nbytes, kind))
        if self._views is not None:
            self._views[party].append(ViewEntry(0, OFFLINE, "dealer", kind, arrays))

    def _begin_round(self) -> int:
        if self._parallel_round is not None:
            return self._parallel_round
        self._round += 1
        return self._round

    @contextmanager
    def _same_round(self):
        """Send every message inside in one round (only for exchanges that are independent)."""
        if self._parallel_round is not None:
            yield
            return
        self._round += 1
        self._parallel_round = self._round
        try:
            yield
        finally:
            self._parallel_round = None
        self._receive_pending()

    def _receive_pending(self) -> None:
        """Networked: fill in the shares that other parties sent during the round just ended."""
        pending, self._pending = self._pending, []
        for sender, target in pending:
            (target[...],) = self._transport.recv(sender)

    def _send(self, rnd: int, sender: int, receiver: int, payload: tuple, nbytes: int,
              purpose: str) -> None:
        self.transcript.record(Message(rnd, ONLINE, self.names[sender], self.names[receiver],
                                       int(nbytes), purpose))
        if self._views is not None:
            copies = tuple(np.array(p, copy=True) for p in payload)
            self._views[receiver].append(ViewEntry(rnd, ONLINE, self.names[sender], purpose,
                                                   copies))

    def _open(self, values: Sequence[Sequence[np.ndarray]], purpose: str, *,
              combine: str = "add", to: int | None = None,
              bytes_per_element: int = BYTES_PER_ELEMENT) -> list[np.ndarray]:
        """Open shared values in one round: every party sends its shares to the receivers.

        Args:
            values: per value, the tuple of per-party shares.
            purpose: the transcript's purpose tag.
            combine: ``"add"`` (arithmetic shares, sum mod 2^64) or ``"xor"`` (bitwise shares).
            to: a party index to open to that party only; None opens to everyone.
            bytes_per_element: bytes counted per share element (8 for words, 1 for bits).

        Returns:
            The opened values (what the receivers learn).
        """
        rnd = self._begin_round()
        receivers = range(self.parties) if to is None else (to,)
        for i in range(self.parties):
            payload = tuple(v[i] for v in values)
            nbytes = sum(p.size for p in payload) * bytes_per_element
            for j in receivers:
                if j != i:
                    self._send(rnd, i, j, payload, nbytes, purpose)
        if self._transport is not None:
            values = self._exchange(values, receivers, bytes_per_element)
        op = np.add if combine == "add" else np.bitwise_xor
        return [np.asarray(functools.reduce(op, v), dtype=np.uint64) for v in values]

    def _exchange(self, values, receivers, bytes_per_element: int) -> list:
        """Networked: send my shares to the receivers, put the others' received shares in."""
        me = self._transport.party
        for j in receivers:
            if j != me:
                self._transport.send(j, tuple(v[me] for v in values), bytes_per_element)
        if me not in receivers:
            return values
        values = [list(v) for v in values]
        for i in range(self.parties):
            if i != me:
                for v, got in zip(values, self._transport.recv(i), strict=True):
                    v[i] = got
        return values

    def view(self, party) -> PartyView:
        """Everything ``party`` (index or name) received so far: its view of the protocol."""
        p = self.party_index(party)
        if self._views is None:
            raise ValueError("this session was created with keep_views=False; create it with "
                             "keep_views=True to inspect the parties' views")
        return PartyView(self.names[p], tuple(self._views[p]))

    # ---- accounting ----------------------------------------------------------------------
    def mark(self) -> Mark:
        """The current point in the history, for ``stats(since=...)``."""
        return Mark(len(self.transcript), self._round, tuple(self._material.items()),
                    self._lower_bound)

    def stats(self, since: Mark | None = None) -> CommunicationStats:
        """Bytes, rounds and dealer material used, over the whole session or after ``since``."""
        if since is not None and not isinstance(since, Mark):
            raise TypeError(f"since must be a Mark from session.mark(), got {type(since)}")
        start = since.messages if since else 0
        msgs = self.transcript.messages[start:]
        online = [m for m in msgs if m.phase == ONLINE]
        sent = dict.fromkeys(self.names, 0)
        received = dict.fromkeys(self.names, 0)
        purposes: Counter = Counter()
        for m in online:
            sent[m.sender] += m.nbytes
            received[m.receiver] += m.nbytes
            purposes[m.purpose] += m.nbytes
        material = Counter(self._material)
        material.subtract(dict(since.material) if since else {})
        material = {k: v for k, v in material.items() if v}
        return CommunicationStats(
            online_bytes=sum(m.nbytes for m in online),
            offline_bytes=sum(m.nbytes for m in msgs if m.phase == OFFLINE),
            rounds=self._round - (since.round if since else 0),
            messages=len(online), bytes_sent=sent, bytes_received=received, material=material,
            triples=sum(material.get(k, 0) for k in _TRIPLE_KINDS),
            lower_bound_bytes=self._lower_bound - (since.lower_bound_bytes if since else 0),
            bytes_by_purpose=dict(purposes))

    def _use(self, material: Material, kind: str, shapes: tuple) -> dict:
        """Check that ``material`` is this dealer's, of ``kind`` and ``shapes``; consume it."""
        if not isinstance(material, Material):
            raise TypeError(f"triple must come from session.dealer, got {type(material)}")
        if material.dealer is not self.dealer:
            raise ValueError("triple was made by another session's dealer")
        if material.kind != kind or material.shapes != shapes:
            raise ValueError(f"triple must be a {kind} triple for shapes {shapes}, got a "
                             f"{material.kind} triple for shapes {material.shapes}")
        parts = material.consume()
        self._material[kind] += 1
        if kind in ("beaver", "matmul"):
            # the two openings e = x - a and d = y - b, sent by every party to every other one
            size = parts["a"][0].size + parts["b"][0].size
            self._lower_bound += self.parties * (self.parties - 1) * BYTES_PER_ELEMENT * size
        return parts

    # ---- sharing ---------------------------------------------------------------------------
    def share(self, value, owner=0, *, name: str = "value",
              integer: bool | None = None) -> SharedTensor:
        """Secret-share ``value`` held by ``owner``.

        The owner draws n - 1 uniformly random ring arrays, sends one to each other party
        (one round, purpose ``"input"``), and keeps ``encode(value)`` minus their sum.

        Args:
            value: bool/int/float array-like, finite, with ``|v| < 2^(31 - frac_bits)``.
            owner: index or name of the party that holds the value.
            name: the argument name used in error messages.
            integer: True shares integers exactly at scale 0; None decides from the dtype
                (bool/int -> scale 0, float -> scale ``frac_bits``); False uses fixed point.

        Returns:
            The :class:`SharedTensor`.
        """
        with self._same_round():
            return self._share(value, owner, name, integer)

    def share_many(self, items: Iterable[tuple]) -> list[SharedTensor]:
        """Share several ``(value, owner)`` or ``(value, owner, name)`` items in one round."""
        items = list(items)
        with self._same_round():
            out = []
            for k, item in enumerate(items):
                if not isinstance(item, tuple) or len(item) not in (2, 3):
                    raise ValueError(f"items[{k}] must be (value, owner) or (value, owner, name)")
                out.append(self._share(item[0], item[1], item[2] if len(item) == 3
                                       else f"items[{k}]", None))
            return out

    @_quiet
    def _share(self, value, owner, name: str, integer: bool | None) -> SharedTensor:
        if isinstance(value, SharedTensor):
            raise TypeError(f"{name} is already a SharedTensor; share plain arrays only")
        o = self.party_index(owner, "owner")
        ring, scale = encode(value, self.frac_bits, name=name, integer=integer)
        rnd = self._begin_round()
        shares: list = [None] * self.parties
        rest = np.zeros(ring.shape, dtype=np.uint64)
        me = self.party
        for j in range(self.parties):
            if j != o:
                shares[j] = (random_ring(self._rngs[o], ring.shape) if me in (None, o)
                             else np.zeros(ring.shape, dtype=np.uint64))
                rest = rest + shares[j]
                self._send(rnd, o, j, (shares[j],), shares[j].size * BYTES_PER_ELEMENT, "input")
                if me == o:
                    self._transport.send(j, (shares[j],))
        shares[o] = ring - rest
        if me is not None and me != o:  # my share arrives from the owner when the round ends
            self._pending.append((o, shares[me]))
        return SharedTensor(self, shares, scale)

    def constant(self, value, *, name: str = "value") -> SharedTensor:
        """A public value as a (trivially) shared tensor: party 0 holds it, the others zero."""
        ring, scale = encode(value, self.frac_bits, name=name)
        zeros = np.zeros(ring.shape, dtype=np.uint64)
        return SharedTensor(self, [ring] + [zeros] * (self.parties - 1), scale)

    def reveal(self, x: SharedTensor, to=None, *, check: bool = True) -> np.ndarray:
        """Open ``x`` to party ``to`` (index or name; None: to all) and return its value.

        Every other party sends its share to the receiver(s) in one round (purpose
        ``"output"``). With ``check``, a value beyond ``2^(63 - 2f)``, which only a wrap-around
        in the ring can produce, raises :class:`FixedPointRangeError`.
        """
        self._check_tensor(x, "x")
        receiver = None if to is None else self.party_index(to, "to")
        (ring,) = self._open([x.shares], "output", to=receiver)
        if receiver is not None and self.party not in (None, receiver):
            return np.full(ring.shape, np.nan)  # a networked party that is not told the value
        value = decode(ring, x.scale)
        if check and value.size:
            peak = float(np.max(np.abs(value)))
            if peak >= wrap_threshold(self.frac_bits):
                raise FixedPointRangeError(
                    f"revealed value {peak:.4g} is beyond 2^{63 - 2 * self.frac_bits}: a "
                    "wrap-around happened in the ring (an input or product outside the "
                    f"fixed-point range |v| < {self.max_value:g}, or a local truncation "
                    "failure, probability about |x| / 2^64 per truncated element). Pass "
                    "check=False to see the raw value.")
        return value

    # ---- arithmetic -------------------------------------------------------------------------
    def _check_tensor(self, x, name: str) -> None:
        if not isinstance(x, SharedTensor):
            raise TypeError(f"{name} must be a SharedTensor, got {type(x).__name__}")
        if x.session is not self:
            raise ValueError(f"{name} belongs to another session")

    def _public(self, value, name: str) -> tuple[np.ndarray, int]:
        """Encode a public operand (ints exactly at scale 0, floats at scale f)."""
        return encode(value, self.frac_bits, name=name)

    def _lift(self, ring: np.ndarray, scale: int, target: int) -> np.ndarray:
        """Re-encode ring values from ``scale`` up to ``target`` (an exact shift left)."""
        return ring if target == scale else ring << np.uint64(target - scale)

    @_quiet
    def add(self, x: SharedTensor, y, *, name: str = "y") -> SharedTensor:
        """``x + y`` for a shared ``x`` and a shared or public ``y``: local, no messages."""
        self._check_tensor(x, "x")
        if isinstance(y, SharedTensor):
            self._check_tensor(y, name)
            _broadcast_shape(x.shape, y.shape, name)
            scale = max(x.scale, y.scale)
            shares = [self._lift(a, x.scale, scale) + self._lift(b, y.scale, scale)
                      for a, b in zip(x.shares, y.shares, strict=True)]
            return SharedTensor(self, shares, scale)
        ring, pscale = self._public(y, name)
        return self._add_public(x, ring, pscale)

    def sub(self, x: SharedTensor, y, *, name: str = "y") -> SharedTensor:
        """``x - y`` for a shared ``x`` and a shared or public ``y``: local, no messages."""
        self._check_tensor(x, "x")
        if isinstance(y, SharedTensor):
            return self.add(x, -y, name=name)
        ring, pscale = self._public(y, name)
        return self._add_public(x, np.uint64(0) - ring, pscale)

    @_quiet
    def _add_public(self, x: SharedTensor, ring: np.ndarray, pscale: int) -> SharedTensor:
        """Party 0 adds the encoded public value to its share (the others only broadcast)."""
        scale = max(x.scale, pscale)
        xs = [self._lift(s, x.scale, scale) for s in x.shares]
        shape = _broadcast_shape(xs[0].shape, ring.shape, "the public operand")
        shares = [np.broadcast_to(s, shape).copy() for s in xs]
        shares[0] = shares[0] + self._lift(ring, pscale, scale)
        return SharedTensor(self, shares, scale)

    @_quiet
    def mul(self, x: SharedTensor, y, *, triple: Material | None = None,
            name: str = "y") -> SharedTensor:
        """``x * y`` (elementwise, with broadcasting) for shared ``x``, shared or public ``y``.

        Public ``y``: local (each party multiplies its share). Shared ``y``: Beaver
        multiplication, one round: every party sends its shares of e = x - a and d = y - b to
        every other party; then party i holds c_i + e b_i + a_i d (+ e d for party 0). A
        fixed-point product (scale 2f) is then truncated back to scale f.

        Args:
            x: shared tensor.
            y: shared tensor, or public array/scalar (ints are exact, floats fixed point).
            triple: a ``session.dealer.beaver_triple(shape)`` to use (fresh one if None).
        """
        self._check_tensor(x, "x")
        if not isinstance(y, SharedTensor):
            if triple is not None:
                raise ValueError("triple is only used when both operands are shared")
            ring, pscale = self._public(y, name)
            _broadcast_shape(x.shape, ring.shape, name)
            return self._rescale(SharedTensor(self, [s * ring for s in x.shares],
                                              x.scale + pscale))
        self._check_tensor(y, name)
        shape = _broadcast_shape(x.shape, y.shape, name)
        x, y = x.broadcast_to(shape), y.broadcast_to(shape)
        if triple is None:
            triple = self.dealer.beaver_triple(shape)
        return self._rescale(self._beaver(x, y, triple, "beaver", np.multiply))

    def mul_many(self, pairs: Sequence[tuple]) -> list[SharedTensor]:
        """Several shared products ``x * y`` with one triple and one round (a batched Beaver)."""
        pairs = list(pairs)
        if not pairs:
            return []
        flat_x, flat_y, shapes = [], [], []
        for k, (x, y) in enumerate(pairs):
            self._check_tensor(x, f"pairs[{k}][0]")
            self._check_tensor(y, f"pairs[{k}][1]")
            shape = _broadcast_shape(x.shape, y.shape, f"pairs[{k}][1]")
            shapes.append(shape)
            flat_x.append(x.broadcast_to(shape).reshape(-1))
            flat_y.append(y.broadcast_to(shape).reshape(-1))
        # concatenate aligns scales exactly (shift left), so one truncation fits all products
        z = self.mul(concatenate(flat_x), concatenate(flat_y))
        out, offset = [], 0
        for shape in shapes:
            n = int(np.prod(shape))
            out.append(z[offset:offset + n].reshape(shape))
            offset += n
        return out

    @_quiet
    def matmul(self, x, y, *, triple: Material | None = None) -> SharedTensor:
        """``x @ y`` with NumPy's matmul rules; at least one operand shared.

        Shared @ public (or public @ shared): local. Shared @ shared: Beaver with a matrix
        triple (a, b, c = a @ b), one round in which e = x - a and d = y - b are opened, then
        party i holds c_i + e @ b_i + a_i @ d (+ e @ d for party 0); truncated back to scale f.
        """
        if not isinstance(x, SharedTensor):
            self._check_tensor(y, "y")
            ring, pscale = self._public(x, "x")
            _matmul_shape(ring.shape, y.shape)
            return self._rescale(SharedTensor(self, [np.matmul(ring, s) for s in y.shares],
                                              y.scale + pscale))
        self._check_tensor(x, "x")
        if not isinstance(y, SharedTensor):
            ring, pscale = self._public(y, "y")
            _matmul_shape(x.shape, ring.shape)
            return self._rescale(SharedTensor(self, [np.matmul(s, ring) for s in x.shares],
                                              x.scale + pscale))
        self._check_tensor(y, "y")
        _matmul_shape(x.shape, y.shape)
        if triple is None:
            triple = self.dealer.matmul_triple(x.shape, y.shape)
        return self._rescale(self._beaver(x, y, triple, "matmul", np.matmul))

    @_quiet
    def _beaver(self, x: SharedTensor, y: SharedTensor, triple: Material, kind: str,
                op) -> SharedTensor:
        parts = self._use(triple, kind, (x.shape,) if kind == "beaver" else (x.shape, y.shape))
        a, b, c = parts["a"], parts["b"], parts["c"]
        e, d = self._open([[xs - ai for xs, ai in zip(x.shares, a, strict=True)],
                           [ys - bi for ys, bi in zip(y.shares, b, strict=True)]], "beaver")
        z = [ci + op(e, bi) + op(ai, d) for ai, bi, ci in zip(a, b, c, strict=True)]
        z[0] = z[0] + op(e, d)
        return SharedTensor(self, z, x.scale + y.scale)

    # ---- truncation ------------------------------------------------------------------------
    def _rescale(self, x: SharedTensor) -> SharedTensor:
        """Bring a product back to scale f (truncate by scale - f bits) if it is above f."""
        if x.scale <= self.frac_bits:
            return x
        bits = x.scale - self.frac_bits
        return SharedTensor(self, self._shift_right(x, bits), self.frac_bits)

    def divide_pow2(self, x: SharedTensor, bits: int) -> SharedTensor:
        """``x / 2^bits`` at the same scale, by the session's truncation protocol."""
        self._check_tensor(x, "x")
        check_number("bits", bits, low=1, high=60, integer=True)
        return SharedTensor(self, self._shift_right(x, bits), x.scale)

    def _shift_right(self, x: SharedTensor, bits: int) -> list[np.ndarray]:
        if self.truncation == "local":
            # SecureML: each party shifts its own share as a signed integer; no messages.
            # Party 0 then adds one unit: the sum of the two shifted shares is x / 2^bits
            # minus (f_0 + f_1), the two fractional parts, whose mean is exactly 1.
            out = [to_ring(to_signed(s) >> np.int64(bits)) for s in x.shares]
            out[0] = out[0] + np.uint64(1)
            return out
        return self._dealer_truncation(x, bits)

    @_quiet
    def _dealer_truncation(self, x: SharedTensor, bits: int) -> list[np.ndarray]:
        """Probabilistic truncation with a dealer pair (Dalskov, Escudero and Keller, 2020).

        Every party sends its share of c = x + 2^62 + r to every other party (one round,
        purpose ``"truncation"``). Exact up to one unit in the last place for |x| < 2^62.
        """
        pair = self.dealer.truncation_pair(x.shape, bits)
        parts = self._use(pair, "truncation", (x.shape,))
        r, r_msb, r_low = parts["r"], parts["r_msb"], parts["r_low"]
        shifted = [s + r_i for s, r_i in zip(x.shares, r, strict=True)]
        shifted[0] = shifted[0] + ring_const(2 ** 62)  # x' = x + 2^62 lies in [0, 2^63)
        (c,) = self._open([shifted], "truncation")
        c_low, c_msb = c & LOW63, c >> np.uint64(63)
        flip = ring_const(1) - ring_const(2) * c_msb  # b = c_msb XOR r_msb, linear in r_msb
        out = []
        for i in range(self.parties):
            b_i = r_msb[i] * flip + (c_msb if i == 0 else np.uint64(0))
            y = (b_i << np.uint64(63 - bits)) - r_low[i]
            if i == 0:
                y = y + (c_low >> np.uint64(bits)) - ring_const(2 ** (62 - bits))
            out.append(y)
        return out


class SharedTensor:
    """A tensor secret-shared among the parties of a :class:`Session`.

    Holds one ``uint64`` share per party and the fixed-point ``scale`` (``f`` for reals, 0 for
    integers). Supports ``+ - * @`` with shared tensors and public arrays/scalars, unary ``-``,
    ``/`` by public values, ``sum``, ``reshape``, ``transpose``, ``T`` and NumPy indexing.
    Comparisons and non-linear functions are in :mod:`rnnsec.mpc.compare` and
    :mod:`rnnsec.mpc.functions`. Chapter 3.3.
    """

    __array_ufunc__ = None  # ndarray (op) SharedTensor defers to SharedTensor's reflected op

    def __init__(self, session: Session, shares: Sequence[np.ndarray], scale: int):
        self.session = session
        self.shares = tuple(np.asarray(s, dtype=np.uint64) for s in shares)
        self.scale = int(scale)

    # ---- info --------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.shares[0].shape

    @property
    def ndim(self) -> int:
        return self.shares[0].ndim

    @property
    def size(self) -> int:
        return self.shares[0].size

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d SharedTensor")
        return self.shape[0]

    def __bool__(self):
        raise TypeError("the truth value of a SharedTensor is secret; reveal it first")

    def __repr__(self) -> str:
        kind = "integer" if self.scale == 0 else f"fixed point, scale {self.scale}"
        return (f"SharedTensor(shape={self.shape}, parties={self.session.parties}, {kind})")

    def share_of(self, party) -> np.ndarray:
        """A copy of the share held by ``party`` (index or name): uniformly random on its own."""
        return self.shares[self.session.party_index(party)].copy()

    def reveal(self, to=None, *, check: bool = True) -> np.ndarray:
        """Open to party ``to`` (None: everyone) and return the value; see ``Session.reveal``."""
        return self.session.reveal(self, to, check=check)

    # ---- local structure ops --------------------------------------------------------------
    def _map(self, fn) -> SharedTensor:
        return SharedTensor(self.session, [fn(s) for s in self.shares], self.scale)

    def reshape(self, *shape) -> SharedTensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        return self._map(lambda s: s.reshape(shape))

    def transpose(self, *axes) -> SharedTensor:
        return self._map(lambda s: s.transpose(*axes))

    @property
    def T(self) -> SharedTensor:  # noqa: N802 -- NumPy's name
        return self.transpose()

    def broadcast_to(self, shape) -> SharedTensor:
        if tuple(shape) == self.shape:
            return self
        return self._map(lambda s: np.broadcast_to(s, shape).copy())

    @_quiet
    def sum(self, axis=None, keepdims: bool = False) -> SharedTensor:
        """Sum over ``axis`` (local: each party sums its shares mod 2^64)."""
        return self._map(lambda s: np.asarray(np.sum(s, axis=axis, keepdims=keepdims,
                                                     dtype=np.uint64)))

    def __getitem__(self, index) -> SharedTensor:
        if isinstance(index, SharedTensor):
            raise TypeError("indexing with a secret index is not supported")
        return self._map(lambda s: np.asarray(s[index]))

    def copy(self) -> SharedTensor:
        return self._map(np.copy)

    # ---- arithmetic ------------------------------------------------------------------------
    def __add__(self, other) -> SharedTensor:
        return self.session.add(self, other, name="other")

    __radd__ = __add__

    @_quiet
    def __neg__(self) -> SharedTensor:
        return self._map(lambda s: np.uint64(0) - s)

    def __sub__(self, other) -> SharedTensor:
        return self.session.sub(self, other, name="other")

    def __rsub__(self, other) -> SharedTensor:
        return self.session.add(-self, other, name="other")

    def __mul__(self, other) -> SharedTensor:
        return self.session.mul(self, other, name="other")

    __rmul__ = __mul__

    def __matmul__(self, other) -> SharedTensor:
        return self.session.matmul(self, other)

    def __rmatmul__(self, other) -> SharedTensor:
        return self.session.matmul(other, self)

    def __truediv__(self, other) -> SharedTensor:
        if isinstance(other, SharedTensor):
            raise TypeError("division by a shared value: use rnnsec.mpc.reciprocal")
        arr = np.asarray(other, dtype=np.float64)
        if np.any(arr == 0):
            raise ValueError("other must be non-zero for division")
        return self.session.mul(self, 1.0 / arr, name="1/other")


def _broadcast_shape(sx: tuple, sy: tuple, name: str) -> tuple:
    """The broadcast shape of two operands, or a ValueError naming the second one."""
    try:
        return np.broadcast_shapes(sx, sy)
    except ValueError:
        raise ValueError(f"shape mismatch: x has shape {sx} and {name} has shape {sy}, which "
                         "do not broadcast") from None


def _matmul_shape(sx: tuple, sy: tuple) -> tuple:
    """The shape of ``x @ y`` by NumPy's rules, or a ValueError naming both shapes."""
    if len(sx) == 0 or len(sy) == 0:
        raise ValueError(f"matmul needs operands with at least 1 dimension, got shapes {sx} "
                         f"and {sy}; use * for scalars")
    x2 = sx if len(sx) >= 2 else (1,) + sx
    y2 = sy if len(sy) >= 2 else sy + (1,)
    if x2[-1] != y2[-2]:
        raise ValueError(f"shape mismatch in x @ y: x has shape {sx}, y has shape {sy} "
                         f"({x2[-1]} != {y2[-2]})")
    try:
        batch = np.broadcast_shapes(x2[:-2], y2[:-2])
    except ValueError:
        raise ValueError(f"shape mismatch in x @ y: batch dimensions of {sx} and {sy} do not "
                         "broadcast") from None
    out = batch + (x2[-2] if len(sx) >= 2 else None, y2[-1] if len(sy) >= 2 else None)
    return tuple(d for d in out if d is not None)


def concatenate(tensors: Sequence, axis: int = 0) -> SharedTensor:
    """Concatenate shared tensors (and public arrays, embedded as constants) along ``axis``.

    All shared tensors must belong to one session; scales are aligned exactly. Local.
    """
    tensors = list(tensors)
    sessions = {id(t.session): t.session for t in tensors if isinstance(t, SharedTensor)}
    if len(sessions) != 1:
        raise ValueError("tensors must contain SharedTensors of exactly one session")
    session = next(iter(sessions.values()))
    items = [t if isinstance(t, SharedTensor) else session.constant(t, name=f"tensors[{k}]")
             for k, t in enumerate(tensors)]
    scale = max(t.scale for t in items)
    shares = [np.concatenate([session._lift(t.shares[p], t.scale, scale) for t in items],
                             axis=axis) for p in range(session.parties)]
    return SharedTensor(session, shares, scale)


def stack(tensors: Sequence, axis: int = 0) -> SharedTensor:
    """Stack shared tensors (and public arrays) along a new ``axis``. Local."""
    tensors = list(tensors)
    expanded = [t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]) if isinstance(t, SharedTensor)
                else np.expand_dims(np.asarray(t), axis) for t in tensors]
    return concatenate(expanded, axis=axis)
