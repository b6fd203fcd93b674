"""Self-checks for the exercises of Chapter 3.3 (Secure multi-party computation for RNNs)."""

from __future__ import annotations

import numpy as np

from rnnsec.check._core import as_dict, as_number, register, require

MASK_BITS = 10  # the narrow mask of Exercise 3.3.1: uniform on [-2^10, 2^10)
P = 2 ** 61 - 1  # the prime of Exercise 3.3.3


def _float_array(value, what: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        require(False, f"{what} must be an array of numbers")
    require(arr.ndim >= 1 and arr.size > 0, f"{what} must be a non-empty array")
    require(np.all(np.isfinite(arr)), f"{what} contains values that are not finite")
    return arr


@register("3.3-1", topic="a narrow mask leaks the secret")
def _narrow_mask(answer) -> str:
    given = as_dict(answer, (0.0, 300.0), "narrow")
    half = 2.0 ** MASK_BITS
    uniform_std = 2 * half / np.sqrt(12)
    for secret in (0.0, 300.0):
        masked = _float_array(given[secret], f"narrow[{secret:g}]")
        require(masked.size >= 1000, f"narrow[{secret:g}]: share the secret thousands of times")
        require(np.abs(masked).max() < 1e6,
                f"narrow[{secret:g}]: values far outside [-2^10, 2^10 + 300]; decode the "
                "masked ring elements with mpc.decode(..., FRAC_BITS), and draw the mask from "
                "the fixed-point encodings of [-2^10, 2^10), not from the whole ring")
        require(masked.std() > 0.5 * uniform_std,
                f"narrow[{secret:g}]: the masked values hardly vary; the mask's integers must "
                "be encodings (reals times 2^FRAC_BITS) of [-2^10, 2^10)")
        require(np.all(np.abs(masked - secret) <= half + 1e-3),
                f"narrow[{secret:g}]: a masked value lies farther than 2^10 from the secret; "
                "is the mask's range [-2^10, 2^10) in real units?")
        slack = 6 * uniform_std / np.sqrt(masked.size) + 1.0
        require(abs(masked.mean() - secret) <= slack,
                f"narrow[{secret:g}]: the masked values are not centred on the secret; encode "
                "the secret (value / ULP) before subtracting the mask")
        require(abs(masked.std() - uniform_std) <= 0.1 * uniform_std,
                f"narrow[{secret:g}]: the spread does not match a mask uniform on "
                "[-2^10, 2^10)")
    return ("Right: each masked value stays within 2^10 of its secret, so the two "
            "distributions differ and one masked value already bounds the secret.")


@register("3.3-2", topic="reusing a Beaver triple leaks x - x'")
def _triple_reuse(answer, *, x, x_prime) -> str:
    secret = _float_array(x, "x")
    secret_prime = _float_array(x_prime, "x_prime")
    leaked = _float_array(answer, "leaked")
    require(leaked.shape == secret.shape,
            f"leaked should have the shape of the secrets {secret.shape}, got {leaked.shape}")
    require(np.abs(leaked).max() < 1e9,
            "these look like raw ring elements: read them as fixed-point numbers with "
            "mpc.decode(..., FRAC_BITS)")
    require(not np.allclose(leaked, secret_prime - secret, atol=1e-3),
            "the sign is flipped: e1 - e2 = (x - a) - (x' - a)")
    require(np.allclose(leaked, secret - secret_prime, atol=1e-3),
            "combine what P1 sees of the two openings e = x - a and e' = x' - a (P0's shares "
            "plus its own) so that the pad a cancels")
    return "Right: the pad cancels, and P1 learns x - x' from the openings alone."


@register("3.3-3", topic="a SPDZ-style MAC check over a prime field")
def _mac_check(answer) -> str:
    given = as_dict(answer, ("authenticated_share", "open_and_check", "z2k_weak_fraction"),
                    "mac")
    share, opener = given["authenticated_share"], given["open_and_check"]
    require(callable(share) and callable(opener),
            "authenticated_share and open_and_check must be your functions")
    x_sh, x_mac = share(6)
    y_sh, y_mac = share(10)
    z_sh = [(3 * a + b) % P for a, b in zip(x_sh, y_sh, strict=True)]
    z_mac = [(3 * a + b) % P for a, b in zip(x_mac, y_mac, strict=True)]
    value, accepted = opener(z_sh, z_mac)
    require(int(value) % P == 28 and bool(accepted),
            "an honest opening of z = 3x + y (computed on the value and MAC shares alike) must "
            "open to 28 and pass; is the MAC share a sharing of alpha * x mod p?")
    require(not bool(opener([x_sh[0], (x_sh[1] + 100) % P], x_mac)[1]),
            "a share changed by 100 is accepted: the check must compare sum_i "
            "(alpha_i x' - m_i) with 0 mod p")
    rng = np.random.default_rng(0)
    forged = sum(bool(opener([x_sh[0], (x_sh[1] + 100) % P],
                             [x_mac[0], (x_mac[1] + int(g) * 100) % P])[1])
                 for g in rng.integers(0, P, size=200))
    require(forged == 0,
            "random guesses of the key forge a MAC; only alpha * Delta added to the MAC share "
            "should pass")
    weak = as_number(given["z2k_weak_fraction"], "z2k_weak_fraction")
    require(0.4 <= weak <= 0.6,
            "over Z_2^64, for which keys does alpha * 2^63 = 2^63 (mod 2^64)? Estimate the "
            "fraction over random keys")
    return ("Right: the MAC is linear, so honest linear computation passes, and forging needs "
            "alpha; over Z_2^64 the shift 2^63 passes for every odd key.")


@register("3.3-4", topic="communication rounds of secure LSTM inference per time step")
def _rounds(answer, *, weights, function_options=None) -> str:
    from rnnsec import mpc

    given = as_dict(answer, (1, 2, 3), "rounds_by_steps")
    for steps in (1, 2, 3):
        value = given[steps]
        require(isinstance(value, (int, np.integer)) and not isinstance(value, bool),
                f"rounds_by_steps[{steps}] must be an integer (the result's .rounds)")
    input_dim = int(np.shape(weights[0])[0])
    expected = {}
    for steps in (1, 2, 3):
        session = mpc.Session(parties=2, seed=0, keep_views=False)
        res = mpc.secure_rnn_predict(session, weights, np.zeros((1, steps, input_dim)), "lstm",
                                     function_options=function_options, compare=False)
        expected[steps] = res.rounds
    require(given[1] == expected[1],
            "rounds_by_steps[1] is not the number of rounds of the one-step run (all rounds "
            "of secure_rnn_predict with the chapter's function options)")
    require(given[2] - given[1] == expected[2] - expected[1],
            "rounds_by_steps holds the total rounds of each run, not the rounds added")
    require(all(given[s] == expected[s] for s in (2, 3)),
            "the rounds of the 2- and 3-step runs do not match; run secure_rnn_predict on "
            "sequences of that many steps")
    return ("Right: every time step adds the same number of rounds; compare it with the rounds "
            "of one secure sigmoid.")


def _busiest_link_bytes(weights, x, lengths, function_options) -> tuple[int, int]:
    from rnnsec import mpc

    session = mpc.Session(parties=2, seed=0, keep_views=False)
    res = mpc.secure_rnn_predict(session, weights, x, "lstm", lengths,
                                 function_options=function_options, compare=False)
    return res.rounds, max(res.bytes_sent.values())


@register("3.3-5", topic="the batch at which bandwidth overtakes latency on a WAN")
def _batch_crossover(answer, *, weights, x, lengths=None, function_options=None) -> str:
    from rnnsec.mpc import PROFILES

    b_star = as_number(answer, "b_star")
    x = np.asarray(x, dtype=np.float64)
    require(x.ndim == 3 and x.shape[0] >= 2, "x must hold at least two sequences [B, T, D]")
    lengths = None if lengths is None else np.asarray(lengths)
    one = _busiest_link_bytes(weights, x[:1], None if lengths is None else lengths[:1],
                              function_options)
    two = _busiest_link_bytes(weights, x[:2], None if lengths is None else lengths[:2],
                              function_options)
    rounds, per_sequence = one[0], two[1] - one[1]
    fixed = one[1] - per_sequence
    wan = PROFILES["wan"]
    expected = (rounds * wan.latency * wan.bandwidth - fixed) / per_sequence
    require(b_star > 1,
            "at one sequence the WAN's latency term is far larger than its transfer term; the "
            "crossover lies at a larger batch")
    require(abs(b_star - expected) <= 0.02 * expected,
            "not the crossover: the bytes of the busiest link grow linearly with the batch "
            "(a fixed part for the weights plus a part per sequence: take two batch sizes); "
            "solve rounds x latency = bytes(B) / bandwidth with the WAN profile's numbers")
    return (f"Right: about {expected:.0f} sequences. Below it a WAN inference costs its rounds "
            "whatever the batch; above it every further sequence costs its bytes.")
