"""Emulated network links between MPC parties: latency, bandwidth and the time they predict.

The parties of :func:`~rnnsec.mpc.run_parties` talk over loopback TCP, which is far
faster than any real network. A :class:`LinkProfile` slows every party-to-party link down
*inside the transport*: the sender stamps each message with the time it would arrive on a link
of the given one-way latency and bandwidth (a message waits for the link to finish the
messages before it, then takes ``bytes / bandwidth`` to send and ``latency`` to travel), and
the receiver does not hand the message to the protocol before that time. The usual kernel
tool for the same job, ``tc netem``, needs root privileges (CAP_NET_ADMIN) to change a
network interface, which a reader's laptop, a course's JupyterHub or Colab does not give; the
in-transport model needs none and shapes exactly the party-to-party messages. The dealer's
link is not slowed: its material belongs to the offline phase.

Under this model one protocol run takes about ``local + rounds x latency + bytes / bandwidth``
(:func:`predicted_seconds`), where ``local`` is the computation and ``bytes`` the bytes of
the busiest directed link; Chapter 3.3 measures how well that holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnsec._validate import check_number


@dataclass(frozen=True)
class LinkProfile:
    """A one-way latency and a bandwidth for every party-to-party link.

    Attributes:
        name: a label for tables.
        latency: one-way delay in seconds (half the round-trip time), >= 0.
        bandwidth: bytes per second of each directed link, > 0, or None for unlimited.

    Chapter 3.3 (running the parties apart).
    """

    name: str
    latency: float = 0.0
    bandwidth: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        check_number("latency", self.latency, low=0.0, high=10.0)
        if self.bandwidth is not None:
            check_number("bandwidth", self.bandwidth, low=0.0, low_open=True)

    def transfer_seconds(self, nbytes: int) -> float:
        """Seconds that ``nbytes`` occupy the link (0 when the bandwidth is unlimited)."""
        return 0.0 if self.bandwidth is None else nbytes / self.bandwidth

    @property
    def emulated(self) -> bool:
        """Whether the transport adds any delay at all."""
        return self.latency > 0 or self.bandwidth is not None


#: Profiles used by the book: loopback as it is, a LAN (0.25 ms one way, 1 Gbit/s) and a WAN
#: (10 ms one way, i.e. a 20 ms round trip between nearby cities, 100 Mbit/s).
PROFILES = {
    "loopback": LinkProfile("loopback"),
    "lan": LinkProfile("lan", latency=0.25e-3, bandwidth=125e6),
    "wan": LinkProfile("wan", latency=10e-3, bandwidth=12.5e6),
}


def get_profile(link) -> LinkProfile:
    """``link`` as a :class:`LinkProfile`: a profile, a name in :data:`PROFILES` or None."""
    if link is None:
        return PROFILES["loopback"]
    if isinstance(link, LinkProfile):
        return link
    if isinstance(link, str) and link in PROFILES:
        return PROFILES[link]
    raise ValueError(f"link must be a LinkProfile, None or one of {sorted(PROFILES)}, "
                     f"got {link!r}")


def predicted_seconds(local: float, rounds: int, link_bytes: int, link: LinkProfile) -> float:
    """The link model's time: ``local + rounds * latency + link_bytes / bandwidth``.

    Args:
        local: seconds of computation (measured without added delay).
        rounds: communication rounds of the protocol.
        link_bytes: bytes sent over the busiest directed party-to-party link.
        link: the :class:`LinkProfile`.

    Chapter 3.3 (running the parties apart).
    """
    check_number("local", local, low=0.0)
    check_number("rounds", rounds, low=0, integer=True)
    check_number("link_bytes", link_bytes, low=0, integer=True)
    return local + rounds * link.latency + link.transfer_seconds(link_bytes)
