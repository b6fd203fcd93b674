"""The party-to-party transport of a networked MPC session: real messages over loopback TCP.

One :class:`Transport` lives in each party's process and holds an authenticated
``multiprocessing.connection`` to every other party. ``multiprocessing.connection`` is the
standard library's message layer over TCP: length-prefixed messages, an HMAC challenge with a
shared ``authkey`` when a connection opens (a stray local process cannot join the protocol),
``poll(timeout)`` for receives that never hang. It needs no new dependency and nothing to
install, which ZeroMQ would.

Sending never blocks the protocol: each link has a sender thread fed by a queue, so two parties
that send each other megabytes in the same round cannot deadlock on full socket buffers.
Every message is stamped with the time it would arrive on the emulated link
(:mod:`~rnnsec.mpc.link`) and handed over no earlier. Receives wait at most ``timeout``
seconds and raise :class:`PartyError` naming the silent or vanished peer.

Chapter 3.3 (running the parties apart).
"""

from __future__ import annotations

import pickle
import queue
import threading
import time
from collections import Counter

import numpy as np

from rnnsec.mpc.link import LinkProfile


class PartyError(RuntimeError):
    """A party of a networked session failed, vanished or stayed silent past the timeout."""


class _Link:
    """One directed-and-back connection to a peer, with its sender thread and link clock."""

    def __init__(self, conn, name: str, profile: LinkProfile):
        self.conn, self.name, self.profile = conn, name, profile
        self.free_at = 0.0  # when the emulated link finishes the messages queued so far
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self.conn.send_bytes(item)
            except OSError as err:  # the peer is gone; the next receive reports it
                self.error = err
                return

    def send(self, payload: tuple, nbytes: int) -> None:
        now = time.monotonic()
        start = max(now, self.free_at)
        self.free_at = start + self.profile.transfer_seconds(nbytes)
        arrival = self.free_at + self.profile.latency
        self._queue.put(pickle.dumps((arrival, payload), protocol=pickle.HIGHEST_PROTOCOL))

    def recv(self, timeout: float) -> tuple:
        try:
            if not self.conn.poll(timeout):
                raise PartyError(f"no message from {self.name} within {timeout:g} s (it may be "
                                 "stuck or much slower than the timeout allows)")
            arrival, payload = pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError) as err:
            raise PartyError(f"lost the connection to {self.name} ({type(err).__name__}): "
                             "it stopped or was killed") from None
        wait = arrival - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return payload

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5.0)
        self.conn.close()


class Transport:
    """The messages one party sends and receives, with counts of what really went over the wire.

    Args:
        party: this party's index.
        connections: peer index -> an open ``multiprocessing.connection.Connection``.
        names: all party names (for error messages).
        link: the emulated :class:`~rnnsec.mpc.link.LinkProfile` of every peer link.
        timeout: seconds a receive may wait before raising :class:`PartyError`.
        dealer_material: this party's offline material from the dealer process, in protocol
            order (``remote_dealer.plan_material``); None: no dealer.

    Attributes:
        sent_messages, sent_bytes: per receiver name, messages and payload bytes sent.
        received_messages: per sender name, messages received.

    Chapter 3.3 (running the parties apart).
    """

    def __init__(self, party: int, connections: dict, names: tuple, link: LinkProfile,
                 timeout: float, dealer_material: list | None = None):
        self.party = party
        self.dealer_material = dealer_material
        self.names = tuple(names)
        self.timeout = float(timeout)
        self._links = {j: _Link(c, self.names[j], link) for j, c in connections.items()}
        self.sent_messages: Counter = Counter()
        self.sent_bytes: Counter = Counter()
        self.received_messages: Counter = Counter()

    def send(self, receiver: int, arrays: tuple, bytes_per_element: int = 8) -> None:
        """Send share arrays to ``receiver`` (packed to one byte per element when asked)."""
        if bytes_per_element == 1:
            arrays = tuple(np.asarray(a, dtype=np.uint8) for a in arrays)
        nbytes = sum(int(a.nbytes) for a in arrays)
        self._links[receiver].send(arrays, nbytes)
        self.sent_messages[self.names[receiver]] += 1
        self.sent_bytes[self.names[receiver]] += nbytes

    def recv(self, sender: int) -> tuple:
        """The next message from ``sender`` (uint64 arrays), at its emulated arrival time."""
        arrays = self._links[sender].recv(self.timeout)
        self.received_messages[self.names[sender]] += 1
        return tuple(np.asarray(a, dtype=np.uint64) for a in arrays)

    def make_dealer(self, parties: int, *, on_send=None):
        """This party's dealer: its shares of the offline material (what ``Session`` uses)."""
        from rnnsec.mpc.remote_dealer import RemoteDealer  # it imports PartyError from here

        if self.dealer_material is None:
            raise PartyError("this transport has no material from a dealer")
        return RemoteDealer(parties, self.party, self.dealer_material, on_send=on_send)

    def counts(self) -> dict:
        """Messages and bytes sent and received so far, as plain dicts."""
        return {"sent_messages": dict(self.sent_messages), "sent_bytes": dict(self.sent_bytes),
                "received_messages": dict(self.received_messages)}

    def close(self) -> None:
        """Flush the sender threads and close every connection."""
        for link in self._links.values():
            link.close()
