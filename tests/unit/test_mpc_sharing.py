"""Secret sharing, fixed point and Beaver arithmetic of rnnsec.mpc (Chapter 3.3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from rnnsec import mpc
from rnnsec.mpc.ring import encode, to_ring

ULP = 2.0 ** -16
DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
          np.uint64, np.float16, np.float32, np.float64]


def _top_bits_pvalue(ring: np.ndarray, bits: int = 4) -> float:
    """Chi-square p-value that the top ``bits`` bits of ring elements are uniform."""
    top = (np.asarray(ring, dtype=np.uint64).ravel() >> np.uint64(64 - bits)).astype(np.int64)
    counts = np.bincount(top, minlength=2 ** bits)
    return float(stats.chisquare(counts).pvalue)


def _elements(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return st.integers(max(int(info.min), -32767), min(int(info.max), 32767))
    width = dtype.itemsize * 8
    return st.floats(-30000, 30000, allow_nan=False, allow_infinity=False, width=width)


@st.composite
def _arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


@settings(max_examples=40, deadline=None)
@given(value=_arrays(), parties=st.sampled_from([2, 3]), owner=st.integers(0, 2))
def test_share_reveal_round_trip_all_dtypes(value, parties, owner):
    session = mpc.Session(parties=parties, seed=1)
    shared = session.share(value, owner=owner % parties, name="value")
    out = shared.reveal()
    assert out.shape == value.shape
    exact = value.astype(np.float64)
    if value.dtype == bool or np.issubdtype(value.dtype, np.integer):
        np.testing.assert_array_equal(out, exact)  # integers are encoded exactly
    else:
        np.testing.assert_allclose(out, exact, rtol=0, atol=ULP / 2 + 1e-12)


@pytest.mark.parametrize("parties", [2, 3])
def test_elementwise_ops_match_numpy(parties):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-50, 50, size=(4, 5)), rng.uniform(-50, 50, size=(4, 5))
    session = mpc.Session(parties=parties, seed=0)
    x, y = session.share(a, owner=0), session.share(b, owner=1)
    tol = (np.abs(a) + np.abs(b) + 2) * ULP
    np.testing.assert_allclose((x * y).reveal(), a * b, atol=tol.max(), rtol=0)
    np.testing.assert_allclose((x + y).reveal(), a + b, atol=2 * ULP, rtol=0)
    np.testing.assert_allclose((x - y).reveal(), a - b, atol=2 * ULP, rtol=0)
    np.testing.assert_allclose((-x).reveal(), -a, atol=ULP, rtol=0)
    np.testing.assert_allclose((3.5 - x).reveal(), 3.5 - a, atol=ULP, rtol=0)
    np.testing.assert_allclose((x * 0.25).reveal(), a * 0.25, atol=2 * ULP, rtol=0)
    np.testing.assert_allclose((x * np.arange(5)).reveal(), a * np.arange(5), atol=5 * ULP)
    np.testing.assert_allclose((x / 4.0).reveal(), a / 4, atol=2 * ULP, rtol=0)
    np.testing.assert_allclose(x.sum(axis=1).reveal(), a.sum(axis=1), atol=5 * ULP, rtol=0)
    np.testing.assert_allclose(x.T[1:3].reshape(-1).reveal(), a.T[1:3].ravel(), atol=ULP)
    # broadcasting a shared row vector against a shared matrix
    row = session.share(b[0], owner=1)
    np.testing.assert_allclose((x * row).reveal(), a * b[0], atol=tol.max(), rtol=0)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 6), k=st.integers(1, 6), n=st.integers(1, 6),
       parties=st.sampled_from([2, 3]), seed=st.integers(0, 2 ** 16))
def test_matmul_matches_numpy(m, k, n, parties, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-10, 10, size=(m, k)), rng.uniform(-10, 10, size=(k, n))
    session = mpc.Session(parties=parties, seed=seed)
    x, y = session.share(a, owner=0), session.share(b, owner=1)
    tol = (k * 20 + 2) * ULP
    np.testing.assert_allclose((x @ y).reveal(), a @ b, atol=tol, rtol=0)
    np.testing.assert_allclose((x @ b).reveal(), a @ b, atol=tol, rtol=0)  # public right
    np.testing.assert_allclose((a @ y).reveal(), a @ b, atol=tol, rtol=0)  # public left


@pytest.mark.parametrize("parties,truncation", [(2, "local"), (2, "dealer"), (3, "dealer")])
def test_truncation_error_is_within_one_unit_and_unbiased(parties, truncation):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-20, 20, size=20000), rng.uniform(-20, 20, size=20000)
    session = mpc.Session(parties=parties, seed=2, truncation=truncation, keep_views=False)
    x, y = session.share(a, owner=0), session.share(b, owner=1)
    ea, eb = (encode(v, 16, name="a")[0].view(np.int64) / 2 ** 16 for v in (a, b))
    err = ((x * y).reveal() - ea * eb) / ULP  # truncation error only, in units of 2^-16
    assert np.max(np.abs(err)) <= 1.0 + 1e-9
    # floor truncation alone would have mean error -1 unit (local) or -1/2 unit
    assert abs(err.mean()) < 0.03


def test_local_truncation_failure_rate_matches_theory():
    """Failure probability |x| / 2^64; the dealer's truncation never fails."""
    n, magnitude = 8000, 2 ** 60  # ring value before truncation: expected failure rate 1/16
    rng = np.random.default_rng(5)
    ring = to_ring(np.full(n, magnitude, dtype=np.int64))
    results = {}
    for truncation in ("local", "dealer"):
        session = mpc.Session(parties=2, seed=4, truncation=truncation, keep_views=False)
        r = rng.integers(0, 2 ** 64, size=n, dtype=np.uint64)
        shared = mpc.SharedTensor(session, [r, ring - r], scale=32)
        out = session.divide_pow2(shared, 16).reveal(check=False)  # scale 32 -> 16 bits less
        results[truncation] = np.mean(np.abs(out - magnitude / 2 ** 48) > 1.0)
    expected = magnitude / 2 ** 64
    se = np.sqrt(expected * (1 - expected) / n)
    assert abs(results["local"] - expected) < 4 * se
    assert results["dealer"] == 0.0


def test_reveal_reports_a_wrap_around():
    session = mpc.Session(parties=2, seed=0)
    r = np.arange(4, dtype=np.uint64)
    wrapped = mpc.SharedTensor(session, [r, to_ring(np.full(4, 2 ** 62, dtype=np.int64)) - r], 16)
    with pytest.raises(mpc.FixedPointRangeError, match="wrap-around"):
        wrapped.reveal()


@pytest.mark.parametrize("parties", [2, 3])
def test_each_share_is_uniform_whatever_the_secret(parties):
    bound = mpc.max_abs_value(16) - 1
    secrets = {"zeros": np.zeros(8192), "max": np.full(8192, bound),
               "ramp": np.linspace(-bound, bound, 8192)}
    for label, secret in secrets.items():
        session = mpc.Session(parties=parties, seed=11)
        x = session.share(secret, owner=0)
        for party in range(parties):
            p = _top_bits_pvalue(x.share_of(party))
            assert p > 1e-3, (label, party, p)
        # the test has power: the encoding itself is far from uniform
        assert _top_bits_pvalue(encode(secret, 16, name="s")[0]) < 1e-10
        # what party 1 received when the owner shared x is exactly its share
        received = session.view(1).payloads("input")[0]
        np.testing.assert_array_equal(received, x.share_of(1))


def test_opened_beaver_values_are_uniform():
    session = mpc.Session(parties=2, seed=3)
    x = session.share(np.full(8192, 7.0), owner=0)
    y = session.share(np.full(8192, -3.0), owner=1)
    _ = x * y
    e_share, d_share = session.view(1).payloads("beaver", phase="online")
    assert _top_bits_pvalue(e_share) > 1e-3 and _top_bits_pvalue(d_share) > 1e-3


def test_triple_reuse_raises():
    session = mpc.Session(parties=2, seed=0)
    x, y = session.share([1.0, 2.0], owner=0), session.share([3.0, 4.0], owner=1)
    triple = session.dealer.beaver_triple((2,))
    np.testing.assert_allclose(session.mul(x, y, triple=triple).reveal(), [3, 8], atol=4 * ULP)
    with pytest.raises(mpc.TripleReuseError, match="already used"):
        session.mul(x, y, triple=triple)
    wrong = session.dealer.beaver_triple((3,))
    with pytest.raises(ValueError, match="shapes"):
        session.mul(x, y, triple=wrong)
    other = mpc.Session(parties=2, seed=0)
    with pytest.raises(ValueError, match="another session"):
        session.mul(x, y, triple=other.dealer.beaver_triple((2,)))
    m = session.dealer.matmul_triple((2,), (2,))
    session.matmul(x, y, triple=m)
    with pytest.raises(mpc.TripleReuseError):
        session.matmul(x, y, triple=m)


def test_overflow_is_detected_naming_the_argument():
    session = mpc.Session(parties=2, frac_bits=16, seed=0)
    with pytest.raises(mpc.FixedPointRangeError, match=r"x has values up to 40000"):
        session.share([1.0, 40000.0], owner=0, name="x")
    x = session.share([1.0], owner=0)
    with pytest.raises(mpc.FixedPointRangeError, match="other"):
        _ = x * 1e6
    # the range follows frac_bits: 40000 fits with 8 fractional bits
    assert mpc.Session(frac_bits=8).share([40000.0]).reveal()[0] == 40000.0


@pytest.mark.parametrize("kwargs,match", [
    ({"parties": 1}, "parties must be >= 2"),
    ({"parties": 4}, "parties must be <= 3"),
    ({"parties": 2.0}, "parties must be an integer"),
    ({"frac_bits": 0}, "frac_bits must be >= 1"),
    ({"frac_bits": 31}, "frac_bits must be <= 30"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"parties": 3, "truncation": "local"}, "truncation='local' needs exactly 2"),
    ({"truncation": "exact"}, "truncation must be one of"),
    ({"names": ("a", "a")}, "names must hold 2 distinct"),
])
def test_bad_session_arguments_raise(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        mpc.Session(**kwargs)


def test_bad_operands_raise_naming_the_argument():
    session = mpc.Session(parties=2, seed=0)
    with pytest.raises(ValueError, match="x contains NaN"):
        session.share([1.0, np.nan], name="x")
    with pytest.raises(ValueError, match="x contains NaN"):
        session.share([np.inf], name="x")
    with pytest.raises(TypeError, match="x must be real"):
        session.share(np.array([1 + 2j]), name="x")
    with pytest.raises(ValueError, match="x must be a rectangular"):
        session.share([[1.0], [1.0, 2.0]], name="x")
    with pytest.raises(ValueError, match="owner must be <= 1"):
        session.share([1.0], owner=2)
    with pytest.raises(ValueError, match="owner must be one of"):
        session.share([1.0], owner="carol")
    x, y = session.share(np.ones((2, 3))), session.share(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape mismatch in x @ y"):
        _ = x @ y
    with pytest.raises(ValueError, match="shape mismatch"):
        _ = x @ np.ones((2, 2))
    with pytest.raises(ValueError, match="operands could not be broadcast|shape mismatch"):
        _ = x * session.share(np.ones(4))
    with pytest.raises(ValueError, match="to must be <= 1"):
        x.reveal(to=5)
    with pytest.raises(TypeError, match="secret"):
        bool(x)
    with pytest.raises(ValueError, match="another session"):
        _ = x + mpc.Session(seed=1).share(np.ones((2, 3)))


def test_named_parties_and_share_many_in_one_round():
    session = mpc.Session(parties=3, seed=0, names=("client", "owner", "helper"))
    mark = session.mark()
    x, w = session.share_many([(np.ones(3), "client"), (np.ones(3), "owner", "w")])
    assert session.stats(since=mark).rounds == 1
    assert {m.sender for m in session.transcript.messages} == {"client", "owner"}
    assert session.view("helper").payloads("input")[0].shape == (3,)
    np.testing.assert_allclose((x + w).reveal(to="client"), 2.0)


def test_concatenate_stack_and_constants():
    session = mpc.Session(parties=2, seed=0)
    a = session.share(np.arange(6.0).reshape(2, 3))
    ints = session.share(np.array([[1, 2, 3]]))  # integers, scale 0
    cat = mpc.concatenate([a, ints, np.full((1, 3), 0.5)], axis=0)
    np.testing.assert_allclose(cat.reveal(), [[0, 1, 2], [3, 4, 5], [1, 2, 3], [.5, .5, .5]])
    st_ = mpc.stack([a[0], a[1]], axis=1)
    np.testing.assert_allclose(st_.reveal(), np.arange(6.0).reshape(2, 3).T)
    assert ints.scale == 0 and (ints * ints).scale == 0  # integer products need no truncation
    np.testing.assert_array_equal((ints * ints).reveal(), [[1, 4, 9]])


def test_same_seed_same_shares_and_results():
    def run(seed):
        session = mpc.Session(parties=3, seed=seed)
        x = session.share(np.linspace(-3, 3, 7))
        y = mpc.sigmoid(x)
        return x.share_of(1), y.share_of(2), y.reveal()

    a, b = run(5), run(5)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(run(6)[0], a[0])
