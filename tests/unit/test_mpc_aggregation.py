"""Pairwise-mask secure aggregation with dropouts and distributed DP (Chapter 3.3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rnnsec import mpc
from rnnsec.mpc.ring import encode

ULP = 2.0 ** -16


def _top_bits_pvalue(ring, bits=4):
    top = (np.asarray(ring, dtype=np.uint64) >> np.uint64(64 - bits)).astype(np.int64)
    return float(stats.chisquare(np.bincount(top, minlength=2 ** bits)).pvalue)


@settings(max_examples=15, deadline=None)
@given(clients=st.integers(2, 6), dim=st.integers(1, 30), seed=st.integers(0, 10 ** 6))
def test_sum_is_exact_up_to_fixed_point(clients, dim, seed):
    updates = np.random.default_rng(seed).uniform(-100, 100, size=(clients, dim))
    res = mpc.secure_aggregate(updates, seed=seed)
    np.testing.assert_allclose(res.total, updates.sum(axis=0), atol=clients * ULP / 2 + 1e-12)
    np.testing.assert_allclose(res.mean, updates.mean(axis=0), atol=ULP)
    assert res.rounds == 3 and res.dropped == ()


def test_dropped_client_is_recovered_from_the_survivors_seeds():
    updates = np.random.default_rng(0).normal(size=(5, 200))
    res = mpc.secure_aggregate(updates, dropped=[1, 3], seed=4)
    np.testing.assert_allclose(res.total, updates[[0, 2, 4]].sum(axis=0), atol=3 * ULP)
    assert res.survivors == (0, 2, 4) and res.rounds == 4
    reveals = [m for m in res.transcript.messages if m.purpose == "reveal_seed"]
    assert len(reveals) == 2 * 3  # each survivor reveals its seed with each dropped client
    with pytest.raises(mpc.DropoutError, match="on_dropout='recover'"):
        mpc.secure_aggregate(updates, dropped=[1], on_dropout="refuse")
    with pytest.raises(ValueError, match="min_survivors"):
        mpc.secure_aggregate(updates, dropped=[0, 1, 2, 3])


def test_masked_update_is_uniform_and_independent_of_the_data():
    dim = 4096
    rng = np.random.default_rng(0)
    others = rng.normal(size=(2, dim))
    views = {}
    for label, mine in (("zeros", np.zeros(dim)), ("large", np.full(dim, 30000.0))):
        res = mpc.secure_aggregate(np.vstack([mine, others]), seed=7)
        views[label] = res.server_view[0]
        assert _top_bits_pvalue(views[label]) > 1e-3
        # power check: the unmasked encoding is nowhere near uniform
        assert _top_bits_pvalue(encode(mine, 16, name="u")[0]) < 1e-10
    # same seeds, different data: the two views are equally distributed (two-sample test)
    as_unit = {k: v.astype(np.float64) / 2 ** 64 for k, v in views.items()}
    assert stats.ks_2samp(as_unit["zeros"], as_unit["large"]).pvalue > 1e-3
    # and the mask, not the data, decides the value: correlation with the data is nil
    data = rng.normal(size=dim)
    masked = mpc.secure_aggregate(np.vstack([data, others]), seed=8).server_view[0]
    assert abs(np.corrcoef(data, masked.astype(np.float64))[0, 1]) < 0.06


def test_distributed_noise_sums_to_the_requested_std():
    clients, dim, clip, z = 8, 20000, 1.0, 0.5
    updates = np.zeros((clients, dim))
    res = mpc.secure_aggregate(updates, noise_multiplier=z, clip_norm=clip, seed=3)
    assert res.noise_std_per_client == pytest.approx(z * clip / np.sqrt(clients))
    assert np.std(res.total) == pytest.approx(z * clip, rel=0.03)
    dropped = mpc.secure_aggregate(updates, noise_multiplier=z, clip_norm=clip, seed=3,
                                   dropped=[0, 1, 2, 3])
    assert dropped.effective_noise_multiplier == pytest.approx(z * np.sqrt(0.5))
    assert np.std(dropped.total) == pytest.approx(z * clip * np.sqrt(0.5), rel=0.03)


def test_clipping_and_list_of_arrays_updates():
    big = [np.full((2, 3), 10.0), np.full(4, 10.0)]
    small = [np.full((2, 3), 0.01), np.full(4, 0.01)]
    res = mpc.secure_aggregate([big, small, small], clip_norm=1.0, seed=0)
    assert res.clipped == 1
    assert isinstance(res.total, list) and [a.shape for a in res.total] == [(2, 3), (4,)]
    flat = np.concatenate([a.ravel() for a in res.total])
    expected = np.full(10, 10.0) / np.sqrt(1000.0) + 0.02  # the big update scaled to norm 1
    np.testing.assert_allclose(flat, expected, atol=3 * ULP)


def test_accounting_of_bytes():
    clients, dim = 4, 100
    res = mpc.secure_aggregate(np.ones((clients, dim)), seed=0)
    assert res.bytes_sent["client0"] == 32 + 8 * dim
    assert res.bytes_sent["server"] == clients * 32 * clients
    assert res.online_bytes == sum(m["nbytes"] for m in res.transcript.to_rows())
    assert res.expansion == pytest.approx(res.online_bytes / (clients * dim * 8))


@pytest.mark.parametrize("kwargs,match", [
    ({"noise_multiplier": 1.0}, "clip_norm is required"),
    ({"noise_multiplier": -1.0, "clip_norm": 1.0}, "noise_multiplier must be >= 0"),
    ({"clip_norm": 0.0}, "clip_norm must be > 0"),
    ({"dropped": [7]}, "dropped must be <= 2"),
    ({"on_dropout": "ignore"}, "on_dropout must be one of"),
    ({"frac_bits": 40}, "frac_bits must be <= 30"),
    ({"min_survivors": 1}, "min_survivors must be >= 2"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        mpc.secure_aggregate(np.ones((3, 4)), **kwargs)


def test_bad_updates_raise():
    with pytest.raises(ValueError, match="updates contains NaN"):
        mpc.secure_aggregate(np.array([[1.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(mpc.FixedPointRangeError, match="updates has values up to"):
        mpc.secure_aggregate(np.array([[1e6], [1.0]]))
    with pytest.raises(ValueError, match="same shape"):
        mpc.secure_aggregate([np.ones(3), np.ones(4)])
    with pytest.raises(ValueError, match="updates must hold at least 2 clients"):
        mpc.secure_aggregate(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"updates\[1\] must be a list of arrays"):
        mpc.secure_aggregate([[np.ones(2)], [np.ones(3)]])
