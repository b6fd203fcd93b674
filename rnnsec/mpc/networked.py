"""Secure RNN inference with every party in its own process, over (emulated) network links.

:func:`networked_rnn_predict` runs :func:`~rnnsec.mpc.secure_rnn_predict` through
:func:`~rnnsec.mpc.run_parties`: the client's process alone holds the sequences, the
model owner's alone holds the weights (the others get zero arrays of the same shapes, which
the protocol never reads), and only the client's process learns the logits. It returns the
logits with the measured wall time and what really crossed the sockets, beside the
transcript's own counts. Chapter 3.3 (running the parties apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnsec._validate import as_float_array, check_choice, check_number
from rnnsec.mpc.link import LinkProfile, predicted_seconds
from rnnsec.mpc.parties import run_parties
from rnnsec.mpc.rnn import CELLS, CLIENT, MODEL_OWNER, _check_inputs, secure_rnn_predict
from rnnsec.mpc.session import Session


@dataclass(frozen=True)
class NetworkedInferenceResult:
    """A networked secure inference: its logits, its measured time and its traffic.

    Attributes:
        cell, parties: the network cell and the party count.
        link: the emulated link profile.
        logits: [B, C] logits, as the client's process received them.
        predictions: [B] argmax of the logits.
        seconds: wall time of the secure inference in the client's process (inputs shared,
            network evaluated, logits opened), connections already open.
        startup_seconds: spawning the processes and connecting them.
        rounds, messages, online_bytes, offline_bytes: the transcript's counts (every party's
            process keeps the full transcript).
        wire_messages, wire_bytes: messages and payload bytes really sent between parties.
        busiest_link_bytes: payload bytes on the directed link that carried the most.
    """

    cell: str
    parties: int
    link: LinkProfile
    logits: np.ndarray = field(repr=False)
    predictions: np.ndarray = field(repr=False)
    seconds: float
    startup_seconds: float
    rounds: int
    messages: int
    online_bytes: int
    offline_bytes: int
    wire_messages: int
    wire_bytes: int
    busiest_link_bytes: int

    @property
    def sequences(self) -> int:
        return int(self.logits.shape[0])

    @property
    def seconds_per_sequence(self) -> float:
        return self.seconds / self.sequences


def _rnn_party(session, inputs: dict) -> dict:
    """What one party process runs: the in-process protocol on its own transport."""
    res = secure_rnn_predict(session, inputs["weights"], inputs["x"], inputs["cell"],
                             inputs["lengths"], method=inputs["method"],
                             function_options=inputs["options"], compare=False)
    return {"logits": res.logits, "seconds": res.seconds,
            "stats": session.stats().as_dict()}


def networked_rnn_predict(weights, x, cell: str = "lstm", lengths=None, *, parties: int = 2,
                          link=None, seed: int = 0, method: str = "reciprocal",
                          function_options: dict | None = None, timeout: float = 30.0,
                          session_options: dict | None = None) -> NetworkedInferenceResult:
    """Secure inference of an RNN classifier with each party in its own OS process.

    Args:
        weights, x, cell, lengths, method, function_options: as in
            :func:`~rnnsec.mpc.secure_rnn_predict` (party 0 is the client, party 1 the
            model owner, party 2 a helper).
        parties: 2 or 3.
        link: a :class:`~rnnsec.mpc.link.LinkProfile`, ``"loopback"``, ``"lan"``, ``"wan"``
            or None (loopback without added delay).
        seed: the session seed; the same seed in ``Session(parties, seed=seed)`` gives the
            same logits, bit for bit.
        timeout: seconds any message may take before the run fails with a PartyError.
        session_options: other keyword arguments of :class:`~rnnsec.mpc.session.Session`.

    Returns:
        A :class:`NetworkedInferenceResult`.

    Secure inference as in CrypTen (Knott et al., 2021) with one process per party;
    Chapter 3.3 (running the parties apart).
    """
    check_choice("cell", cell, CELLS)
    params, xs, _ = _check_inputs(weights, x, cell, lengths)
    common = {"cell": cell, "lengths": lengths, "method": method, "options": function_options}
    zeros_w = [np.zeros_like(w) for w in params]
    inputs = []
    for p in range(check_number("parties", parties, low=2, high=3, integer=True)):
        inputs.append({**common, "x": xs if p == CLIENT else np.zeros_like(xs),
                       "weights": params if p == MODEL_OWNER else zeros_w})
    placeholders = {**common, "x": np.zeros_like(xs), "weights": zeros_w}
    run = run_parties(_rnn_party, inputs, dealer_inputs=placeholders, seed=seed, link=link,
                      timeout=timeout, session_options=session_options)
    client = run.results[CLIENT]
    stats = client["stats"]
    return NetworkedInferenceResult(
        cell=cell, parties=parties, link=run.link, logits=client["logits"],
        predictions=client["logits"].argmax(axis=1), seconds=client["seconds"],
        startup_seconds=run.startup_seconds, rounds=stats["rounds"],
        messages=stats["messages"], online_bytes=stats["online_bytes"],
        offline_bytes=stats["offline_bytes"], wire_messages=run.wire_messages,
        wire_bytes=run.wire_bytes, busiest_link_bytes=run.busiest_link_bytes)


def measure_links(weights, x, cell: str = "lstm", lengths=None, *,
                  links=("loopback", "lan", "wan"), parties: int = 2, seed: int = 0,
                  function_options: dict | None = None, timeout: float = 30.0) -> list[dict]:
    """Wall time of one secure inference in one process, then over each link, with the model.

    Args:
        weights, x, cell, lengths, function_options: as in :func:`networked_rnn_predict`
            (all sequences of ``x`` in one batch).
        links: link profiles or their names; ``"loopback"`` (no added delay) gives the
            computation time that the link model adds the network to.
        parties, seed, timeout: as in :func:`networked_rnn_predict`.

    Returns:
        One dict per setting: ``setting``, ``latency_ms``, ``mbit_s`` (None: unlimited),
        ``sequences``, ``seconds`` (measured wall time of the inference), ``rounds``,
        ``online_kb``, ``link_kb`` (the busiest directed link) and ``predicted_s``
        (:func:`~rnnsec.mpc.predicted_seconds` on top of the loopback time; None for the
        in-process row and when no loopback row was measured).

    Chapter 3.3 (running the parties apart).
    """
    session = Session(parties, seed=seed, keep_views=False)
    sim = secure_rnn_predict(session, weights, x, cell, lengths, compare=False,
                             function_options=function_options)
    rows = [{"setting": "in-process", "latency_ms": 0.0, "mbit_s": None,
             "sequences": sim.sequences, "seconds": sim.seconds, "rounds": sim.rounds,
             "online_kb": sim.online_bytes / 1e3, "link_kb": None, "predicted_s": None}]
    local = None
    for link in links:
        run = networked_rnn_predict(weights, x, cell, lengths, parties=parties, link=link,
                                    seed=seed, function_options=function_options,
                                    timeout=timeout)
        profile = run.link
        if profile.name == "loopback" and not profile.emulated:
            local = run.seconds
        rows.append({
            "setting": profile.name, "latency_ms": 1e3 * profile.latency,
            "mbit_s": None if profile.bandwidth is None else 8 * profile.bandwidth / 1e6,
            "sequences": run.sequences, "seconds": run.seconds, "rounds": run.rounds,
            "online_kb": run.online_bytes / 1e3, "link_kb": run.busiest_link_bytes / 1e3,
            "predicted_s": None if local is None else predicted_seconds(
                local, run.rounds, run.busiest_link_bytes, profile)})
    return rows


def latency_fit(latencies, seconds) -> dict:
    """Least-squares line ``seconds = intercept + slope x latency``, its R^2 and slope_se.

    ``slope_se`` is the slope's standard error (nan with two points).

    Under the link model the slope is the number of rounds (each round waits one latency).
    Chapter 3.3 (running the parties apart).
    """
    lat = as_float_array("latencies", latencies, ndim=1)
    sec = as_float_array("seconds", seconds, ndim=1)
    if lat.size != sec.size or lat.size < 2 or np.ptp(lat) == 0:
        raise ValueError("latencies and seconds must have the same length, at least 2 points "
                         f"and two different latencies, got {lat.tolist()} and {sec.tolist()}")
    slope, intercept = np.polyfit(lat, sec, 1)
    residual = sec - (intercept + slope * lat)
    total = np.sum((sec - sec.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual ** 2) / total) if total > 0 else 1.0
    dof = lat.size - 2
    se = (float(np.sqrt(np.sum(residual ** 2) / dof / np.sum((lat - lat.mean()) ** 2)))
          if dof > 0 else float("nan"))
    return {"slope": float(slope), "intercept": float(intercept), "r2": r2, "slope_se": se}
