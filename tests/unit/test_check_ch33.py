"""Tests of the Chapter 3.3 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest

from rnnsec import check, mpc

FRAC_BITS = 16
ULP = 2.0 ** -FRAC_BITS
P = 2 ** 61 - 1


def _fails(result):
    assert result.passed is False
    assert result.message.startswith("Hint: ") and len(result.message) > 10


def _masked(value, low, high, scale=True, trials=5000, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.integers(low, high, size=trials, dtype=np.int64)
    enc = np.int64(np.rint(value / ULP)) if scale else np.int64(value)
    return mpc.decode((enc - r).astype(np.uint64), FRAC_BITS)


def test_3_3_1():
    lo, hi = -2 ** (10 + FRAC_BITS), 2 ** (10 + FRAC_BITS)
    good = {v: _masked(v, lo, hi) for v in (0.0, 300.0)}
    assert check.exercise("3.3-1", good).passed is True
    whole_ring = {v: _masked(v, -2 ** 62, 2 ** 62) for v in (0.0, 300.0)}
    _fails(check.exercise("3.3-1", whole_ring))
    not_encoded = {v: _masked(v, lo, hi, scale=False) for v in (0.0, 300.0)}
    _fails(check.exercise("3.3-1", not_encoded))
    wrong_units = {v: _masked(v, -2 ** 10, 2 ** 10) for v in (0.0, 300.0)}
    _fails(check.exercise("3.3-1", wrong_units))


def test_3_3_2():
    x, x_prime = np.array([2.5, -7.0, 0.125]), np.array([3.0, 1.0, 10.0])
    s = mpc.Session(parties=2, frac_bits=FRAC_BITS, seed=7)
    x1, x2 = s.share(x, owner=0), s.share(x_prime, owner=0)
    a = s.dealer.beaver_triple(x1.shape).parts["a"]
    e1 = (x1.share_of(0) - a[0]) + (x1.share_of(1) - a[1])
    e2 = (x2.share_of(0) - a[0]) + (x2.share_of(1) - a[1])
    good = mpc.decode(e1 - e2, FRAC_BITS)
    assert check.exercise("3.3-2", good, x=x, x_prime=x_prime).passed is True
    _fails(check.exercise("3.3-2", e1 - e2, x=x, x_prime=x_prime))  # not decoded
    _fails(check.exercise("3.3-2", -good, x=x, x_prime=x_prime))  # sign
    _fails(check.exercise("3.3-2", mpc.decode(e1, FRAC_BITS), x=x, x_prime=x_prime))


def _mac_scheme(with_alpha=True, check_sigma=True, seed=11):
    rng = np.random.default_rng(seed)

    def share_field(value):
        r = int(rng.integers(0, P))
        return [(value - r) % P, r]

    alpha_shares = share_field(int(rng.integers(0, P)))
    alpha = sum(alpha_shares) % P

    def authenticated_share(value):
        mac = alpha * value if with_alpha else value
        return share_field(value % P), share_field(mac % P)

    def open_and_check(x_shares, m_shares):
        x_open = sum(x_shares) % P
        sigma = [(a_i * x_open - m_i) % P for a_i, m_i in zip(alpha_shares, m_shares, strict=True)]
        return x_open, (sum(sigma) % P == 0) if check_sigma else True

    return authenticated_share, open_and_check


def test_3_3_3():
    share, opener = _mac_scheme()
    good = {"authenticated_share": share, "open_and_check": opener, "z2k_weak_fraction": 0.5}
    assert check.exercise("3.3-3", good).passed is True
    share_nc, opener_nc = _mac_scheme(check_sigma=False)  # accepts everything
    _fails(check.exercise("3.3-3", {**good, "authenticated_share": share_nc,
                                    "open_and_check": opener_nc}))
    share_na, opener_na = _mac_scheme(with_alpha=False)  # MAC without the key
    _fails(check.exercise("3.3-3", {**good, "authenticated_share": share_na,
                                    "open_and_check": opener_na}))
    _fails(check.exercise("3.3-3", {**good, "z2k_weak_fraction": 0.0}))


def test_3_3_4():
    weights = mpc.random_rnn_weights("lstm", 3, 2, 2, seed=0)
    options = {"exp_iterations": 4, "exp_order": 3}
    rounds = {}
    for steps in (1, 2, 3):
        xs = np.random.default_rng(1).normal(size=(2, steps, 3))
        res = mpc.secure_rnn_predict(mpc.Session(parties=2, seed=0, keep_views=False), weights,
                                     xs, "lstm", function_options=options)
        rounds[steps] = res.rounds
    assert check.exercise("3.3-4", rounds, weights=weights, function_options=options).passed
    added = {1: rounds[1], 2: rounds[2] - rounds[1], 3: rounds[3] - rounds[2]}
    _fails(check.exercise("3.3-4", added, weights=weights, function_options=options))
    default = {}  # CrypTen's default sigmoid instead of the chapter's options
    for steps in (1, 2, 3):
        res = mpc.secure_rnn_predict(mpc.Session(parties=2, seed=0, keep_views=False), weights,
                                     np.zeros((1, steps, 3)), "lstm", compare=False)
        default[steps] = res.rounds
    if default != rounds:
        _fails(check.exercise("3.3-4", default, weights=weights, function_options=options))
    _fails(check.exercise("3.3-4", {k: float(v) for k, v in rounds.items()}, weights=weights,
                          function_options=options))


def test_3_3_5():
    weights = mpc.random_rnn_weights("lstm", 3, 2, 2, seed=0)
    x = np.random.default_rng(1).normal(size=(2, 2, 3))
    sizes = []
    for batch in (1, 2):
        res = mpc.secure_rnn_predict(mpc.Session(parties=2, seed=0, keep_views=False), weights,
                                     x[:batch], "lstm", compare=False)
        sizes.append((res.rounds, max(res.bytes_sent.values())))
    per_seq = sizes[1][1] - sizes[0][1]
    wan = mpc.PROFILES["wan"]
    b_star = (sizes[0][0] * wan.latency * wan.bandwidth - (sizes[0][1] - per_seq)) / per_seq
    assert check.exercise("3.3-5", b_star, weights=weights, x=x).passed
    # the bytes of both directions counted on one link: half the crossover
    _fails(check.exercise("3.3-5", b_star / 2, weights=weights, x=x))
    _fails(check.exercise("3.3-5", 0.5, weights=weights, x=x))


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="3.3-2"):
        check.exercise("3.3-2", np.zeros(3), x=np.ones(3), x_prime=np.zeros(3))


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (x - x' is not zero)."""
    chinese_hint("3.3-2", np.zeros(3), x=np.ones(3), x_prime=np.zeros(3))
