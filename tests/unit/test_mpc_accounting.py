"""Message accounting of rnnsec.mpc: bytes, rounds, triples, transcripts, views (Chapter 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import mpc


@pytest.mark.parametrize("parties", [2, 3])
def test_one_multiplication_costs_two_openings(parties):
    session = mpc.Session(parties=parties, seed=0, truncation="dealer" if parties == 3 else None)
    x = session.share(np.ones((3, 4)), owner=0)
    y = session.share(np.ones((3, 4)), owner=1)
    mark = session.mark()
    _ = x * y
    st = session.stats(since=mark)
    pairs = parties * (parties - 1)
    beaver = 2 * 12 * 8 * pairs  # e and d, 12 elements of 8 bytes, every ordered pair
    assert st.lower_bound_bytes == beaver
    assert st.bytes_by_purpose["beaver"] == beaver
    truncation = 12 * 8 * pairs if parties == 3 else 0  # one opening of c = x + r
    assert st.online_bytes == beaver + truncation
    assert st.rounds == (1 if parties == 2 else 2)
    assert st.triples == 1 and st.material.get("truncation", 0) == (parties == 3)
    assert sum(st.bytes_sent.values()) == st.online_bytes == sum(st.bytes_received.values())
    per_party = 3 * 12 * 8 * (2 if parties == 3 else 1)  # a, b, c (+ r, r_msb, r_low)
    assert st.offline_bytes == parties * per_party


def test_matmul_opens_both_operands_once():
    session = mpc.Session(parties=2, seed=0)
    x, w = session.share(np.ones((5, 3))), session.share(np.ones((3, 7)), owner=1)
    mark = session.mark()
    _ = x @ w
    st = session.stats(since=mark)
    assert st.online_bytes == st.lower_bound_bytes == 2 * (15 + 21) * 8
    assert st.material == {"matmul": 1}


def test_sharing_and_revealing_messages():
    session = mpc.Session(parties=3, seed=0)
    x = session.share(np.ones(10), owner=2)
    rows = session.transcript.to_rows()
    assert [(r["sender"], r["receiver"], r["nbytes"]) for r in rows] == [
        ("P2", "P0", 80), ("P2", "P1", 80)]
    mark = session.mark()
    x.reveal(to=1)
    st = session.stats(since=mark)
    assert st.online_bytes == 2 * 80 and st.bytes_received == {"P0": 0, "P1": 160, "P2": 0}
    x.reveal()
    assert session.stats(since=mark).online_bytes == 2 * 80 + 6 * 80
    assert session.stats().rounds == 3


def test_transcript_text_and_summary():
    session = mpc.Session(parties=2, seed=0)
    x = session.share(np.linspace(-1, 1, 8))
    mpc.sigmoid(x).reveal()
    text = session.transcript.to_text(max_rows=5)
    assert "round" in text.splitlines()[0] and "more messages" in text
    assert text.splitlines()[-1].startswith("total:")
    summary = session.transcript.summary_rows()
    assert {r["purpose"] for r in summary} >= {"input", "beaver", "and", "compare", "b2a",
                                              "output"}
    assert sum(r["bytes"] for r in summary) == sum(m.nbytes for m in session.transcript.messages)
    assert "overhead" in session.stats().as_dict()


def test_views_hold_what_each_party_received():
    session = mpc.Session(parties=2, seed=0)
    x = session.share(np.arange(4.0), owner=0)
    y = session.share(np.arange(4.0), owner=1)
    _ = x * y
    view0, view1 = session.view(0), session.view("P1")
    assert len(view0.payloads("input")) == 1 and len(view1.payloads("input")) == 1
    np.testing.assert_array_equal(view1.payloads("input")[0], x.share_of(1))
    # the dealer's triple shares are in the view too (offline), the opened e and d online
    assert len(view1.payloads("beaver", phase="offline")) == 3
    assert len(view1.payloads("beaver", phase="online")) == 2
    assert "P1" in repr(view1)
    quiet = mpc.Session(keep_views=False)
    with pytest.raises(ValueError, match="keep_views=True"):
        quiet.view(0)
    with pytest.raises(TypeError, match="keep_views must be True or False"):
        mpc.Session(keep_views=1)


def test_stats_since_requires_a_mark():
    session = mpc.Session()
    with pytest.raises(TypeError, match="since must be a Mark"):
        session.stats(since=3)
