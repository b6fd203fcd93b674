"""Secure RNN inference against the plaintext reference (Chapter 3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import mpc

B, T, D, H, C = 24, 6, 3, 5, 4


def _data(seed=0):
    return np.random.default_rng(seed).normal(size=(B, T, D))


@pytest.mark.parametrize("cell", mpc.CELLS)
def test_secure_inference_matches_plaintext(cell):
    weights = mpc.random_rnn_weights(cell, D, H, C, seed=1)
    x = _data()
    session = mpc.Session(parties=2, seed=0)
    res = mpc.secure_rnn_predict(session, weights, x, cell)
    ref = mpc.rnn_forward(weights, x, cell)
    np.testing.assert_allclose(res.plaintext_logits, ref)
    assert res.max_abs_error == pytest.approx(np.max(np.abs(res.logits - ref)))
    assert res.max_abs_error < 0.02
    assert res.agreement >= 0.95
    assert res.logits.shape == (B, C) and res.predictions.shape == (B,)
    assert res.triples > 0 and res.online_bytes > res.lower_bound_bytes > 0
    assert res.rounds == session.stats().rounds  # all of this session's rounds were inference


def test_secure_inference_three_parties_and_lengths():
    cell = "gru"
    weights = mpc.random_rnn_weights(cell, D, H, C, seed=2)
    x = _data(1)
    lengths = np.random.default_rng(2).integers(1, T + 1, size=B)
    session = mpc.Session(parties=3, seed=0, keep_views=False)
    res = mpc.secure_rnn_predict(session, weights, x, cell, lengths=lengths)
    ref = mpc.rnn_forward(weights, x, cell, lengths=lengths)
    np.testing.assert_allclose(res.plaintext_logits, ref)
    assert res.max_abs_error < 0.02 and res.agreement >= 0.95
    assert res.parties == 3 and set(res.bytes_sent) == {"P0", "P1", "P2"}


@pytest.mark.parametrize("cell", mpc.CELLS)
def test_lengths_take_the_state_at_the_last_real_step(cell):
    weights = mpc.random_rnn_weights(cell, D, H, C, seed=3)
    x = _data(2)
    lengths = np.array([1, 3, T] * (B // 3))
    padded = mpc.rnn_forward(weights, x, cell, lengths=lengths)
    for k in (0, 1, 2):
        cut = mpc.rnn_forward(weights, x[k:k + 1, :lengths[k]], cell)
        np.testing.assert_allclose(padded[k], cut[0], atol=1e-12)
    # the padding values do not matter, while without lengths they do
    noisy = x.copy()
    noisy[0, 1:] = 99.0
    np.testing.assert_allclose(mpc.rnn_forward(weights, noisy, cell, lengths=lengths)[0],
                               padded[0], atol=1e-12)
    assert not np.allclose(mpc.rnn_forward(weights, noisy, cell)[0], padded[0])


def test_plaintext_reference_equations_for_simple_rnn():
    weights = mpc.random_rnn_weights("simple_rnn", D, H, C, seed=4)
    x = _data(3)
    kernel, rec, bias, dense, dense_b = weights
    h = np.zeros((B, H))
    for t in range(T):
        h = np.tanh(x[:, t] @ kernel + h @ rec + bias)
    np.testing.assert_allclose(mpc.rnn_forward(weights, x, "simple_rnn"), h @ dense + dense_b)


def test_logits_are_revealed_to_the_client_only():
    weights = mpc.random_rnn_weights("simple_rnn", D, H, C, seed=5)
    session = mpc.Session(parties=3, seed=0)
    mpc.secure_rnn_predict(session, weights, _data(), "simple_rnn", compare=False)
    outputs = [m for m in session.transcript.messages if m.purpose == "output"]
    assert outputs and {m.receiver for m in outputs} == {"P0"}
    # the client's inputs reach the others only as shares; the weights come from P1
    inputs = [m for m in session.transcript.messages if m.purpose == "input"]
    assert {m.sender for m in inputs} == {"P0", "P1"}
    assert len({m.round for m in inputs}) == 1


def test_result_can_compare_with_given_logits_and_reports():
    weights = mpc.random_rnn_weights("lstm", D, H, C, seed=6)
    x = _data()
    ref = mpc.rnn_forward(weights, x, "lstm")
    res = mpc.secure_rnn_predict(mpc.Session(seed=1), weights, x, "lstm",
                                 plaintext_logits=ref + 1.0)  # shifted: same argmax
    assert res.agreement >= 0.95 and res.max_abs_error > 0.9
    row = res.as_dict()
    assert row["sequences"] == B and row["overhead"] > 1
    assert "agreement" in repr(res)
    res = mpc.secure_rnn_predict(mpc.Session(seed=1), weights, x, "lstm", compare=False)
    assert res.agreement is None and res.plaintext_logits is None


def test_accurate_exp_option_shrinks_the_logit_error():
    weights = mpc.random_rnn_weights("lstm", D, H, C, seed=8)
    x = _data(4)
    crypten = mpc.secure_rnn_predict(mpc.Session(seed=3), weights, x, "lstm")
    taylor = mpc.secure_rnn_predict(mpc.Session(seed=3), weights, x, "lstm",
                                    function_options={"exp_order": 3, "exp_iterations": 4})
    assert taylor.max_abs_error < crypten.max_abs_error / 2
    assert taylor.rounds < crypten.rounds


def test_polynomial_method_runs_with_fewer_rounds():
    weights = mpc.random_rnn_weights("gru", D, H, C, seed=7)
    x = _data()
    recip = mpc.secure_rnn_predict(mpc.Session(seed=2), weights, x, "gru")
    poly = mpc.secure_rnn_predict(mpc.Session(seed=2), weights, x, "gru", method="poly")
    assert poly.rounds < recip.rounds
    assert poly.max_abs_error < 0.1


@pytest.mark.parametrize("cell,index,shape,match", [
    ("lstm", 0, (D, 3 * H), r"weights\[0\] must have shape"),
    ("lstm", 1, (H, H), r"weights\[1\] must have shape \(5, 20\)"),
    ("gru", 2, (3 * H,), r"weights\[2\].*reset_after=True"),
    ("simple_rnn", 4, (C + 1,), r"weights\[4\] must have shape \(4,\)"),
])
def test_bad_weights_raise_naming_the_array(cell, index, shape, match):
    weights = mpc.random_rnn_weights(cell, D, H, C)
    weights[index] = np.zeros(shape)
    with pytest.raises(ValueError, match=match):
        mpc.rnn_forward(weights, _data(), cell)


def test_bad_inputs_raise_naming_the_argument():
    weights = mpc.random_rnn_weights("lstm", D, H, C)
    session = mpc.Session()
    with pytest.raises(ValueError, match="cell must be one of"):
        mpc.rnn_forward(weights, _data(), "transformer")
    with pytest.raises(ValueError, match="weights must be a list of 5 arrays"):
        mpc.rnn_forward(weights[:3], _data(), "lstm")
    with pytest.raises(ValueError, match="x must have 3 dimensions"):
        mpc.rnn_forward(weights, _data()[0], "lstm")
    with pytest.raises(ValueError, match=r"x must have shape \(batch, steps, 3\)"):
        mpc.rnn_forward(weights, np.ones((2, 3, 4)), "lstm")
    with pytest.raises(ValueError, match="x contains NaN"):
        mpc.rnn_forward(weights, np.full((2, 3, D), np.nan), "lstm")
    with pytest.raises(ValueError, match="lengths values must be < 7"):
        mpc.rnn_forward(weights, _data(), "lstm", lengths=np.full(B, T + 1))
    with pytest.raises(ValueError, match="lengths values must be >= 1"):
        mpc.rnn_forward(weights, _data(), "lstm", lengths=np.zeros(B))
    with pytest.raises(ValueError, match="mismatched lengths"):
        mpc.rnn_forward(weights, _data(), "lstm", lengths=np.ones(B - 1))
    with pytest.raises(TypeError, match="session must be a Session"):
        mpc.secure_rnn_predict(None, weights, _data(), "lstm")
    with pytest.raises(ValueError, match="method must be one of"):
        mpc.secure_rnn_predict(session, weights, _data(), "lstm", method="exact")
    with pytest.raises(ValueError, match="function_options must be a dict with keys among"):
        mpc.secure_rnn_predict(session, weights, _data(), "lstm", function_options={"x": 1})
    with pytest.raises(ValueError, match="plaintext_logits must have"):
        mpc.secure_rnn_predict(session, weights, _data(), "lstm", plaintext_logits=np.ones(3))
    with pytest.raises(mpc.FixedPointRangeError, match="x has values up to"):
        mpc.secure_rnn_predict(session, weights, _data() * 1e5, "lstm")
