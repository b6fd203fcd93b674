"""Run the parties of an MPC protocol as separate OS processes that talk over loopback TCP.

:func:`run_parties` starts one process per computing party and one for the dealer (spawned,
not forked, so that a parent that has loaded TensorFlow or Jupyter's threads is never copied),
connects every pair of parties with an authenticated ``multiprocessing.connection`` over
127.0.0.1 (:mod:`~rnnsec.mpc.transport` says why this library), and runs the same function in
every party process on a :class:`~rnnsec.mpc.session.Session` whose transport is that
party's: the protocol code is the one of the in-process simulation, and each message of the
simulated transcript becomes one real message on a socket.

It never hangs: every receive has a timeout, a party that fails reports its error to the
parent and exits, the others then lose their connection to it and stop with a
:class:`~rnnsec.mpc.transport.PartyError` of their own, and the parent terminates (then kills)
and joins whatever is still running before it raises. The function run in the parties must be
importable (defined in a module, not in a notebook cell), as with any spawned process.

The in-process ``Session`` stays the default in the book: processes add about a second of
start-up per run, and CrypTen's own experience is that multiprocessing in notebooks is
fragile. Chapter 3.3 (running the parties apart).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Client, Listener, wait

from rnnsec._validate import check_number
from rnnsec.mpc import remote_dealer
from rnnsec.mpc.link import LinkProfile, get_profile
from rnnsec.mpc.session import Session
from rnnsec.mpc.transport import PartyError, Transport

_HOST = "127.0.0.1"
#: Seconds that spawning, importing and connecting may take (a loaded machine needs several).
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class PartyRun:
    """What the party processes returned and what they sent.

    Attributes:
        results: per party, the value its function returned.
        seconds: per party, wall time of its function (connections already open).
        sent_messages: per party, messages really sent to each other party.
        sent_bytes: per party, payload bytes really sent to each other party.
        startup_seconds: from the call until every party had its connections (spawning,
            imports, handshakes).
        link: the emulated link profile.

    Chapter 3.3 (running the parties apart).
    """

    results: list = field(repr=False)
    seconds: list
    sent_messages: list = field(repr=False)
    sent_bytes: list = field(repr=False)
    startup_seconds: float
    link: LinkProfile

    @property
    def wire_messages(self) -> int:
        """Messages sent between parties over the sockets, in total."""
        return sum(sum(d.values()) for d in self.sent_messages)

    @property
    def wire_bytes(self) -> int:
        """Payload bytes sent between parties over the sockets, in total."""
        return sum(sum(d.values()) for d in self.sent_bytes)

    @property
    def busiest_link_bytes(self) -> int:
        """Payload bytes of the directed link that carried the most."""
        return max((v for d in self.sent_bytes for v in d.values()), default=0)


# ---- inside the child processes -----------------------------------------------------------
def _listen(control, authkey: bytes) -> Listener:
    socket.setdefaulttimeout(START_TIMEOUT)  # accept() below gives up instead of waiting forever
    listener = Listener((_HOST, 0), authkey=authkey)
    control.send(listener.address)
    return listener


def _mesh(party: int, parties: int, listener: Listener, table: dict, authkey: bytes) -> dict:
    """Connect to every lower-indexed party, accept every higher-indexed one."""
    conns = {}
    for j in range(party):
        conns[j] = Client(table[j], authkey=authkey)
        conns[j].send(party)
    for _ in range(party + 1, parties):
        conn = listener.accept()
        conns[conn.recv()] = conn
    listener.close()
    return conns


def _offline_material(party: int, address, authkey: bytes) -> list:
    """The offline phase: receive this party's material from the dealer process."""
    with Client(address, authkey=authkey) as dealer:
        dealer.send(party)
        if not dealer.poll(START_TIMEOUT):
            raise PartyError(f"the dealer sent no material within {START_TIMEOUT:g} s")
        material = dealer.recv()
    if isinstance(material, str):
        raise PartyError(f"the dealer failed: {material}")
    return material


def _party_main(party: int, parties: int, seed: int, options: dict, fn, inputs, control,
                authkey: bytes, link: LinkProfile, timeout: float) -> None:
    try:
        listener = _listen(control, authkey)
        if not control.poll(START_TIMEOUT):
            raise PartyError("the parent sent no address table")
        table = control.recv()
        conns = _mesh(party, parties, listener, table, authkey)
        material = _offline_material(party, table["dealer"], authkey)
        names = tuple(f"P{i}" for i in range(parties))
        transport = Transport(party, conns, names, link, timeout, material)
        session = Session(parties, seed=seed, keep_views=False, transport=transport, **options)
        control.send(("connected", None))
        start = time.perf_counter()
        result = fn(session, inputs)
        seconds = time.perf_counter() - start
        transport.close()
        control.send(("ok", {"result": result, "seconds": seconds, **transport.counts()}))
    except BaseException as err:  # report, then leave with an error code
        control.send(("error", f"{type(err).__name__}: {err}" if isinstance(err, PartyError)
                      else traceback.format_exc(limit=4)))
        os._exit(1)


def _dealer_main(parties: int, seed: int, options: dict, fn, inputs, control,
                 authkey: bytes) -> None:
    conns = []
    try:
        listener = _listen(control, authkey)
        for _ in range(parties):
            conn = listener.accept()
            conns.append((conn.recv(), conn))
        listener.close()
        try:
            plan = remote_dealer.plan_material(fn, inputs, parties, seed, options)
        except Exception as err:  # tell the parties why, then fail
            plan = [f"its dry run raised {type(err).__name__}: {err}"] * parties
        for p, conn in conns:
            conn.send(plan[p])
            conn.close()
    except BaseException:
        os._exit(1)


# ---- in the parent --------------------------------------------------------------------------
class PartyGroup:
    """The processes of one networked run: start them, wait for them, always clean up.

    Args:
        fn: an importable function ``fn(session, inputs)`` run in every party process.
        inputs: one object per party (what that party holds), sent to its process only.
        dealer_inputs: placeholder inputs of the right shapes (zeros: the dealer sees no real
            input) on which the dealer runs ``fn`` once in its own process to make the offline
            material (:mod:`~rnnsec.mpc.remote_dealer`).
        seed: the session seed (the same randomness as ``Session(parties, seed=seed)``).
        link: a :class:`~rnnsec.mpc.link.LinkProfile`, a name in ``PROFILES`` or None.
        timeout: seconds any receive may wait (the start-up may take ``START_TIMEOUT``).
        session_options: other keyword arguments of :class:`Session` (``frac_bits``,
            ``truncation``).

    Use as a context manager (``with PartyGroup(...) as group: run = group.wait()``) or call
    :func:`run_parties`. ``processes`` lists the party processes, then the dealer's.

    Chapter 3.3 (running the parties apart).
    """

    def __init__(self, fn, inputs, *, dealer_inputs=None, seed: int = 0, link=None,
                 timeout: float = 30.0, session_options: dict | None = None):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        inputs = list(inputs)
        self.parties = check_number("len(inputs)", len(inputs), low=2, high=3, integer=True)
        self.timeout = check_number("timeout", timeout, low=0.0, low_open=True)
        self.link = get_profile(link)
        self.seed = check_number("seed", seed, low=0, integer=True)
        self._args = (fn, inputs, dict(session_options or {}))
        self._dealer_inputs = dealer_inputs
        self.processes: list = []
        self._controls: list = []
        self._started = 0.0
        self._connected = 0.0

    def __enter__(self) -> PartyGroup:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the dealer and the parties and hand them each other's addresses."""
        fn, inputs, options = self._args
        ctx, authkey = mp.get_context("spawn"), os.urandom(32)
        self._started = time.perf_counter()
        try:
            for p in range(self.parties):
                self._spawn(ctx, _party_main, (p, self.parties, self.seed, options, fn,
                                               inputs[p]), (authkey, self.link, self.timeout))
            self._spawn(ctx, _dealer_main, (self.parties, self.seed, options, fn,
                                            self._dealer_inputs), (authkey,))
            table = {i: self._receive(i, "its address") for i in range(self.parties)}
            table["dealer"] = self._receive(self.parties, "its address")
            for control in self._controls[:self.parties]:
                control.send(table)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, ctx, target, args: tuple, tail: tuple) -> None:
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=target, args=(*args, child_end, *tail), daemon=True)
        proc.start()
        child_end.close()
        self.processes.append(proc)
        self._controls.append(parent_end)

    def _receive(self, index: int, what: str):
        control, proc = self._controls[index], self.processes[index]
        ready = wait([control, proc.sentinel], START_TIMEOUT)
        if control in ready:
            return control.recv()
        name = "the dealer" if index == self.parties else f"P{index}"
        state = "is silent" if not ready else f"died (exit code {proc.exitcode})"
        raise PartyError(f"{name} {state} before sending {what}")

    def wait_connected(self) -> float:
        """Wait until every party has its connections and its material; return the seconds.

        Raises :class:`PartyError` (after stopping every process) when one fails first.
        """
        try:
            for p in range(self.parties):
                report = self._receive(p, "word that it is connected")
                if report[0] != "connected":
                    raise PartyError(f"P{p} failed while starting: {report[1]}")
        except BaseException:
            self.stop()
            raise
        self._connected = time.perf_counter() - self._started
        return self._connected

    def wait(self) -> PartyRun:
        """Wait for every party; return their results or raise :class:`PartyError`."""
        reports: dict = {}
        connected = self._connected
        try:
            pending = set(range(self.parties))
            while pending:
                ready = wait([self._controls[p] for p in pending]
                             + [self.processes[p].sentinel for p in pending])
                for p in sorted(pending):
                    report = self._poll(p, ready)
                    if report is None:
                        continue
                    if report[0] == "connected":
                        connected = max(connected, time.perf_counter() - self._started)
                        continue
                    reports[p] = report
                    pending.discard(p)
        finally:
            self.stop()
        return self._collect(reports, connected)

    def _poll(self, p: int, ready: list):
        control, proc = self._controls[p], self.processes[p]
        if control in ready:
            try:
                return control.recv()
            except (EOFError, OSError):
                pass
        elif proc.sentinel not in ready:
            return None
        proc.join(timeout=1.0)
        return ("error", f"died with exit code {proc.exitcode} without a word")

    def _collect(self, reports: dict, connected: float) -> PartyRun:
        errors = [f"P{p}: {msg}" for p, (kind, msg) in sorted(reports.items()) if kind != "ok"]
        if errors:
            raise PartyError("the networked run failed:\n" + "\n".join(errors))
        ok = [reports[p][1] for p in range(self.parties)]
        return PartyRun(results=[r["result"] for r in ok], seconds=[r["seconds"] for r in ok],
                        sent_messages=[r["sent_messages"] for r in ok],
                        sent_bytes=[r["sent_bytes"] for r in ok],
                        startup_seconds=connected, link=self.link)

    def stop(self) -> None:
        """Terminate (then kill) every process still running and join them all."""
        deadline = time.monotonic() + 3.0  # let processes that are done exit on their own
        for proc in self.processes:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for control in self._controls:
            control.close()
        self._controls = []


def run_parties(fn, inputs, *, dealer_inputs=None, seed: int = 0, link=None,
                timeout: float = 30.0, session_options: dict | None = None) -> PartyRun:
    """Run ``fn(session, inputs[p])`` in one process per party (and one for the dealer).

    Args:
        fn: an importable function of a party's :class:`Session` and that party's inputs;
            what it returns (picklable) comes back in ``PartyRun.results``.
        inputs: one object per party, 2 or 3 of them.
        dealer_inputs: placeholders of the same shapes for the dealer's dry run (see
            :class:`PartyGroup`).
        seed: the session seed.
        link: a :class:`~rnnsec.mpc.link.LinkProfile`, a name in
            ``rnnsec.mpc.PROFILES`` or None (loopback as it is).
        timeout: seconds any receive may wait before the run fails.
        session_options: other keyword arguments of :class:`Session`.

    Returns:
        A :class:`PartyRun`; raises :class:`~rnnsec.mpc.transport.PartyError` when a party
        fails, with every party's error, after every process has ended.

    The parties of CrypTen (Knott et al., 2021) run the same way, one process each; Chapter 3.3
    (running the parties apart).
    """
    with PartyGroup(fn, inputs, dealer_inputs=dealer_inputs, seed=seed, link=link,
                    timeout=timeout, session_options=session_options) as group:
        return group.wait()
