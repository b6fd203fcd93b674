"""Comparisons and non-linear approximations of rnnsec.mpc (Chapter 3.3)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsec import mpc

ULP = 2.0 ** -16


def _sigmoid(v):
    return 0.5 * (1 + np.tanh(v / 2))


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.floats(-32000, 32000, allow_nan=False), min_size=1, max_size=40),
       parties=st.sampled_from([2, 3]), seed=st.integers(0, 1000))
def test_ltz_is_exact(values, parties, seed):
    v = np.array(values + [0.0, ULP, -ULP])
    session = mpc.Session(parties=parties, seed=seed)
    bits = mpc.ltz(session.share(v)).reveal()
    encoded = np.rint(v * 2 ** 16)  # the sign of the fixed-point value is what is compared
    np.testing.assert_array_equal(bits, (encoded < 0).astype(float))


@pytest.mark.parametrize("parties", [2, 3])
def test_ltz_costs_eight_rounds(parties):
    session = mpc.Session(parties=parties, seed=0)
    x = session.share(np.linspace(-5, 5, 11))
    mark = session.mark()
    mpc.ltz(x)
    stats = session.stats(since=mark)
    assert stats.rounds == 8
    assert stats.material == {"comparison": 1, "binary": 6, "dabit": 1}


def test_relu_absolute_where_less_than():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-100, 100, 500), rng.uniform(-100, 100, 500)
    session = mpc.Session(parties=2, seed=1)
    x, y = session.share(a), session.share(b, owner=1)
    np.testing.assert_allclose(mpc.relu(x).reveal(), np.maximum(a, 0), atol=ULP)
    np.testing.assert_allclose(mpc.absolute(x).reveal(), np.abs(a), atol=ULP)
    np.testing.assert_array_equal(mpc.less_than(x, y).reveal(), (a < b).astype(float))
    np.testing.assert_array_equal(mpc.less_than(10.0, y).reveal(), (10 < b).astype(float))
    picked = mpc.where(mpc.less_than(x, y), x, y).reveal()
    np.testing.assert_allclose(picked, np.minimum(a, b), atol=ULP)
    np.testing.assert_allclose(mpc.where(mpc.ltz(x), -1.0, 1.0).reveal(), np.sign(a), atol=ULP)
    with pytest.raises(ValueError, match="condition must be an integer"):
        mpc.where(x, x, y)
    with pytest.raises(TypeError, match="at least one SharedTensor"):
        mpc.less_than(1.0, 2.0)


@pytest.mark.parametrize("parties", [2, 3])
def test_exp_and_reciprocal_errors(parties):
    rep = mpc.approximation_error("exp", low=-8, high=1, num=301, parties=parties)
    assert rep.max_abs_error < 0.02  # CrypTen's limit: relative error about x^2 / 2^9
    # 8 squarings; with the dealer's truncation each costs 2 rounds, plus the first division
    assert rep.rounds == (8 if parties == 2 else 17)
    rep = mpc.approximation_error("reciprocal", low=0.1, high=20, num=301, parties=parties)
    assert rep.max_rel_error < 2e-3


def test_higher_order_exp_base_is_more_accurate_in_fewer_rounds():
    crypten = mpc.approximation_error("sigmoid", num=401)
    taylor = mpc.approximation_error("sigmoid", num=401,
                                     options={"exp_order": 3, "exp_iterations": 4})
    assert taylor.max_abs_error < crypten.max_abs_error / 4
    assert taylor.rounds < crypten.rounds
    exp1 = mpc.approximation_error("exp", low=-6, high=1, num=301)
    exp3 = mpc.approximation_error("exp", low=-6, high=1, num=301,
                                   options={"order": 3, "iterations": 4})
    assert exp3.max_abs_error < exp1.max_abs_error / 4
    assert exp3.rounds == 4 + 2  # 4 squarings, 2 rounds for t^2 and t^3
    with pytest.raises(ValueError, match="order must be <= 4"):
        mpc.exp(mpc.Session().share([1.0]), order=5)


@pytest.mark.parametrize("function", ["sigmoid", "tanh"])
@pytest.mark.parametrize("parties", [2, 3])
def test_sigmoid_tanh_reciprocal_method_is_accurate(function, parties):
    rep = mpc.approximation_error(function, "reciprocal", num=401, parties=parties)
    assert rep.max_abs_error < 4e-3
    assert rep.mean_abs_error < 1e-3
    assert rep.max_abs_error > 0  # it is an approximation, not the exact function


def test_polynomial_is_cheap_but_only_valid_inside_its_range():
    inside = mpc.approximation_error("sigmoid", "poly", -8, 8, num=401)
    outside = mpc.approximation_error("sigmoid", "poly", -12, 12, num=401)
    piecewise = mpc.approximation_error("sigmoid", "piecewise", -12, 12, num=401)
    recip = mpc.approximation_error("sigmoid", "reciprocal", -12, 12, num=401)
    assert inside.max_abs_error < 0.02
    assert outside.max_abs_error > 0.5  # the polynomial runs away beyond its bound
    assert piecewise.max_abs_error < 0.02  # the comparisons fix that
    assert inside.rounds < piecewise.rounds < recip.rounds


def test_poly_coefficients_fit_sigmoid():
    coeffs = mpc.sigmoid_poly_coefficients(9, 8.0)
    u = np.linspace(-1, 1, 201)
    approx = 0.5 + sum(c * u ** (2 * j + 1) for j, c in enumerate(coeffs))
    assert np.max(np.abs(approx - _sigmoid(8 * u))) < 0.015
    with pytest.raises(ValueError, match="degree must be odd"):
        mpc.sigmoid_poly_coefficients(4, 8.0)


def test_sigmoid_tanh_batched_matches_separate_calls():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(6, 8))
    mask = np.array([False, True] * 4)
    session = mpc.Session(parties=2, seed=0)
    mark = session.mark()
    out = mpc.sigmoid_tanh(session.share(z), mask).reveal()
    expected = np.where(mask, np.tanh(z), _sigmoid(z))
    np.testing.assert_allclose(out, expected, atol=5e-3)
    assert session.stats(since=mark).rounds <= 26  # one sigmoid's rounds, not two
    with pytest.raises(ValueError, match="tanh_columns must be a bool array"):
        mpc.sigmoid_tanh(session.share(z), np.ones(3, dtype=bool))


def test_approximation_error_validates_arguments():
    with pytest.raises(ValueError, match="function must be one of"):
        mpc.approximation_error("softmax")
    with pytest.raises(ValueError, match="method must be one of"):
        mpc.approximation_error("sigmoid", "taylor")
    with pytest.raises(ValueError, match="method must be None"):
        mpc.approximation_error("exp", "poly")
    with pytest.raises(ValueError, match="low must be < high"):
        mpc.approximation_error("sigmoid", low=2, high=1)
    with pytest.raises(ValueError, match="low must be > 0"):
        mpc.approximation_error("reciprocal", low=-1, high=1)
    with pytest.raises(ValueError, match="iterations must be <= 16"):
        mpc.exp(mpc.Session().share([1.0]), iterations=40)
    with pytest.raises(TypeError, match="x must be a SharedTensor"):
        mpc.sigmoid(np.ones(3))
    with pytest.raises(TypeError, match="options must be a dict"):
        mpc.approximation_error("exp", options=[4])


def test_mpc_never_imports_tensorflow():
    code = ("import sys, numpy as np; from rnnsec import mpc; "
            "s = mpc.Session(); mpc.sigmoid(s.share(np.ones(2))).reveal(); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
