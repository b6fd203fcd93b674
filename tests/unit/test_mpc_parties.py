"""MPC parties in separate processes over loopback TCP (Chapter 3.3, running the parties apart)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from rnnsec import mpc
from rnnsec.mpc.link import PROFILES, LinkProfile, get_profile, predicted_seconds
from rnnsec.mpc.networked import networked_rnn_predict
from rnnsec.mpc.parties import PartyGroup, run_parties
from rnnsec.mpc.transport import PartyError

B, T, D, H, C = 3, 3, 4, 6, 3


def _weights_and_x():
    weights = mpc.random_rnn_weights("lstm", D, H, C, seed=1)
    return weights, np.random.default_rng(0).normal(size=(B, T, D))


def _all_ended(group: PartyGroup) -> bool:
    return all(not p.is_alive() for p in group.processes)


@pytest.mark.parametrize("parties", [2, 3])
def test_processes_match_the_simulation_message_for_message(parties):
    weights, x = _weights_and_x()
    session = mpc.Session(parties=parties, seed=3, keep_views=False)
    ref = mpc.secure_rnn_predict(session, weights, x, "lstm", compare=False)
    link = LinkProfile("test", latency=1e-3)
    net = networked_rnn_predict(weights, x, "lstm", parties=parties, seed=3, link=link)
    np.testing.assert_array_equal(net.logits, ref.logits)  # the same protocol, bit for bit
    assert (net.rounds, net.online_bytes, net.offline_bytes) == (ref.rounds, ref.online_bytes,
                                                                   ref.offline_bytes)
    online = [m for m in session.transcript.messages if m.phase == "online"]
    assert net.wire_messages == net.messages == len(online)
    assert net.wire_bytes == ref.online_bytes
    assert net.seconds >= ref.rounds * link.latency  # every round waited for its latency


def test_no_process_is_left_behind():
    weights, x = _weights_and_x()
    inputs = [{"weights": weights, "x": x, "cell": "lstm", "lengths": None,
               "method": "reciprocal", "options": None}] * 2
    from rnnsec.mpc.networked import _rnn_party

    with PartyGroup(_rnn_party, inputs, dealer_inputs=inputs[0]) as group:
        run = group.wait()
    assert _all_ended(group) and len(group.processes) == 3
    assert np.isnan(run.results[1]["logits"]).all()  # only the client learns the logits


def test_killing_a_party_midway_stops_the_others_with_a_clear_error():
    weights, x = _weights_and_x()
    from rnnsec.mpc.networked import _rnn_party

    inputs = [{"weights": weights, "x": x, "cell": "lstm", "lengths": None,
               "method": "reciprocal", "options": None}] * 3
    slow = LinkProfile("slow", latency=0.02)  # about 5 s for the 264 rounds
    group = PartyGroup(_rnn_party, inputs, dealer_inputs=inputs[0], link=slow, timeout=10.0)
    try:
        group.start()
        group.wait_connected()
        time.sleep(1.0)  # the protocol is under way (it needs about 5 s)
        os.kill(group.processes[1].pid, signal.SIGKILL)
        start = time.monotonic()
        with pytest.raises(PartyError) as info:
            group.wait()
        assert time.monotonic() - start < 10.0
    finally:
        group.stop()
    message = str(info.value)
    assert "P1: died with exit code -9" in message
    # the others stopped themselves with a clear error: each names a party it lost, and the
    # first to notice names P1 (under load a survivor may notice the other survivor stopping
    # before it notices P1)
    lines = {p: next(v for v in message.splitlines() if v.startswith(p)) for p in ("P0", "P2")}
    assert all("PartyError: lost the connection to P" in line for line in lines.values()), lines
    assert any("to P1" in line for line in lines.values()), lines
    assert _all_ended(group)


def test_a_silent_party_times_out():
    with pytest.raises(PartyError, match="no message from P1 within 0.5 s"):
        run_parties(_silent, [None, None], timeout=0.5)


def _silent(session, inputs):
    """Party 1 never answers party 0's opening (it sleeps past the timeout and fails)."""
    if session.party == 1:
        time.sleep(1.5)
        raise RuntimeError("party 1 gave up")
    return session.share(np.ones(2), owner=1).reveal()


def test_a_protocol_whose_requests_depend_on_data_fails_clearly():
    with pytest.raises(PartyError, match="depend on data"):
        run_parties(_data_dependent, [1, 1], dealer_inputs=0)


def _data_dependent(session, inputs):
    """Multiplies as many times as its input says: the dealer's dry run on 0 cannot foresee it."""
    x = session.share(np.ones(2), owner=0)
    for _ in range(inputs):
        x = x * x
    return x.reveal()


def test_link_profiles_and_the_model():
    assert get_profile(None) is PROFILES["loopback"] and get_profile("wan").latency == 10e-3
    wan = PROFILES["wan"]
    assert predicted_seconds(0.5, 100, 12_500_000, wan) == pytest.approx(0.5 + 1.0 + 1.0)
    with pytest.raises(ValueError, match="link must be"):
        get_profile("moon")
    with pytest.raises(ValueError, match="latency"):
        LinkProfile("bad", latency=-1.0)
    with pytest.raises(ValueError, match="bandwidth"):
        LinkProfile("bad", bandwidth=0.0)


def test_session_rejects_views_or_a_wrong_transport():
    with pytest.raises(TypeError, match="transport"):
        mpc.Session(transport=object())

    class Fake:
        def make_dealer(self, parties, *, on_send=None):
            raise AssertionError("not reached")

    with pytest.raises(ValueError, match="keep_views"):
        mpc.Session(transport=Fake())
    with pytest.raises(ValueError, match="len\\(inputs\\)"):
        run_parties(_silent, [None])
