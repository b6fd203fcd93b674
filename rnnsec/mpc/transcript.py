"""Message accounting for the simulated MPC protocols: who sent what to whom, and when.

Every message a protocol sends (a share, an opened value, a dealer's triple) is recorded as a
:class:`Message` with its sender, receiver, size in bytes, round and purpose. From the
:class:`Transcript` one reads the bytes each party sent, the number of communication rounds and
a printable table. When views are kept, each party's received payloads form its *view*
(:class:`PartyView`), the object that the security definition of a semi-honest protocol talks
about: a protocol is private if every party's view can be simulated from its own input and
output alone.

Kept by every :class:`~rnnsec.mpc.Session`: ``session.transcript`` is the :class:`Transcript`,
``session.view(party)`` a :class:`PartyView` and ``session.stats()`` a
:class:`CommunicationStats`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

ONLINE = "online"
OFFLINE = "offline"


@dataclass(frozen=True)
class Message:
    """One message of a protocol run.

    Attributes:
        round: online communication round (1, 2, ...); 0 for the dealer's offline messages.
        phase: ``"online"`` (between computing parties) or ``"offline"`` (dealer to party).
        sender, receiver: party names (``"dealer"`` or ``"server"`` where they take part).
        nbytes: payload size in bytes.
        purpose: what the message is for (``"input"``, ``"beaver"``, ``"truncation"``,
            ``"compare"``, ``"and"``, ``"b2a"``, ``"output"``, ``"triple"``, ...).
    """

    round: int
    phase: str
    sender: str
    receiver: str
    nbytes: int
    purpose: str


@dataclass(frozen=True)
class CommunicationStats:
    """Totals of a transcript (or of the part of it after a mark).

    Attributes:
        online_bytes: bytes sent between the computing parties.
        offline_bytes: bytes the dealer sent (triples and other correlated randomness).
        rounds: online communication rounds.
        messages: number of online messages.
        bytes_sent: online bytes sent, per party name.
        bytes_received: online bytes received, per party name.
        material: dealer material consumed, per kind (``"beaver"``, ``"matmul"``, ``"binary"``,
            ``"truncation"``, ``"comparison"``, ``"dabit"``).
        triples: Beaver triples consumed (elementwise, matrix and binary AND triples).
        lower_bound_bytes: bytes of the two openings (e = x - a and d = y - b) that every
            arithmetic Beaver multiplication (elementwise or matrix) needs, summed over the
            triples consumed: what the network's products cost at the very least, before any
            sharing, truncation, comparison or output.
        bytes_by_purpose: online bytes per purpose tag (``"beaver"``, ``"and"``,
            ``"compare"``, ``"truncation"``, ``"b2a"``, ``"input"``, ``"output"``).
    """

    online_bytes: int
    offline_bytes: int
    rounds: int
    messages: int
    bytes_sent: dict
    bytes_received: dict
    material: dict
    triples: int
    lower_bound_bytes: int
    bytes_by_purpose: dict

    @property
    def overhead(self) -> float:
        """Online bytes divided by ``lower_bound_bytes`` (nan when no product was computed)."""
        return self.online_bytes / self.lower_bound_bytes if self.lower_bound_bytes else np.nan

    def as_dict(self) -> dict:
        """The fields (and the overhead ratio) as a plain dict."""
        return {**asdict(self), "overhead": self.overhead}

    def __repr__(self) -> str:
        sent = ", ".join(f"{k}: {_fmt_bytes(v)}" for k, v in self.bytes_sent.items())
        return (f"CommunicationStats(online={_fmt_bytes(self.online_bytes)}, "
                f"offline={_fmt_bytes(self.offline_bytes)}, rounds={self.rounds}, "
                f"triples={self.triples}, overhead={self.overhead:.2f}x, sent={{{sent}}})")


@dataclass(frozen=True, eq=False)
class ViewEntry:
    """One received message as the receiving party sees it (the payload arrays themselves)."""

    round: int
    phase: str
    sender: str
    purpose: str
    payload: tuple


@dataclass(frozen=True, eq=False)
class PartyView:
    """Everything a party received during a session, in order.

    Attributes:
        party: the party's name.
        entries: the received messages with their payloads.
    """

    party: str
    entries: tuple

    def payloads(self, purpose: str | None = None, phase: str | None = None) -> list:
        """The received arrays, optionally only those of one purpose and/or phase."""
        return [arr for e in self.entries
                if (purpose is None or e.purpose == purpose) and (phase is None or e.phase == phase)
                for arr in e.payload]

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        kinds = Counter(e.purpose for e in self.entries)
        desc = ", ".join(f"{k}: {n}" for k, n in kinds.items())
        return f"PartyView(party={self.party!r}, messages={len(self.entries)}, {{{desc}}})"


@dataclass
class Transcript:
    """The ordered list of messages of a protocol run, with totals and a printable table."""

    messages: list = field(default_factory=list)

    def record(self, message: Message) -> None:
        """Append one message."""
        self.messages.append(message)

    def __len__(self) -> int:
        return len(self.messages)

    def to_rows(self, start: int = 0) -> list[dict]:
        """One dict per message (from index ``start``), ready for ``pandas.DataFrame``."""
        return [asdict(m) for m in self.messages[start:]]

    def summary_rows(self, start: int = 0) -> list[dict]:
        """Messages grouped by (phase, purpose, sender): counts, bytes and rounds touched."""
        groups: dict = {}
        for m in self.messages[start:]:
            g = groups.setdefault((m.phase, m.purpose, m.sender),
                                  {"messages": 0, "bytes": 0, "rounds": set()})
            g["messages"] += 1
            g["bytes"] += m.nbytes
            g["rounds"].add(m.round)
        return [{"phase": k[0], "purpose": k[1], "sender": k[2], "messages": g["messages"],
                 "bytes": g["bytes"], "rounds": len(g["rounds"])} for k, g in groups.items()]

    def to_text(self, start: int = 0, max_rows: int = 40) -> str:
        """A text table of the messages (the first ``max_rows``) followed by the totals."""
        rows = self.messages[start:]
        lines = [f"{'round':>5}  {'phase':<7}  {'sender':<12}  {'receiver':<12}  "
                 f"{'bytes':>10}  purpose"]
        for m in rows[:max_rows]:
            lines.append(f"{m.round:>5}  {m.phase:<7}  {m.sender:<12}  {m.receiver:<12}  "
                         f"{m.nbytes:>10}  {m.purpose}")
        if len(rows) > max_rows:
            lines.append(f"... {len(rows) - max_rows} more messages")
        online = sum(m.nbytes for m in rows if m.phase == ONLINE)
        offline = sum(m.nbytes for m in rows if m.phase == OFFLINE)
        rounds = len({m.round for m in rows if m.phase == ONLINE})
        lines.append(f"total: {len(rows)} messages, online {_fmt_bytes(online)} in {rounds} "
                     f"rounds, offline {_fmt_bytes(offline)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Transcript(messages={len(self.messages)})"


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
