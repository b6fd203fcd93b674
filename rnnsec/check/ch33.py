"""Self-checks for the exercises of Chapter 3.3 (Secure multi-party computation for RNNs)."""

from __future__ import annotations

import numpy as np

from rnnsec.check._core import Message, as_dict, as_number, register, require, say

MASK_BITS = 10  # the narrow mask of Exercise 3.3.1: uniform on [-2^10, 2^10)
P = 2 ** 61 - 1  # the prime of Exercise 3.3.3


def _float_array(value, what: str) -> np.ndarray:
    """``value`` as a float array; ``what`` is its name in the code (the same in both languages)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        require(False, f"{what} must be an array of numbers", zh=f"{what} 必须是一个数值数组")
    require(arr.ndim >= 1 and arr.size > 0, f"{what} must be a non-empty array",
            zh=f"{what} 必须是一个非空数组")
    require(np.all(np.isfinite(arr)), f"{what} contains values that are not finite",
            zh=f"{what} 中含有非有限的值")
    return arr


@register("3.3-1", topic="a narrow mask leaks the secret")
def _narrow_mask(answer) -> Message:
    given = as_dict(answer, (0.0, 300.0), "narrow", zh="narrow 字典")
    half = 2.0 ** MASK_BITS
    uniform_std = 2 * half / np.sqrt(12)
    for secret in (0.0, 300.0):
        masked = _float_array(given[secret], f"narrow[{secret:g}]")
        require(masked.size >= 1000, f"narrow[{secret:g}]: share the secret thousands of times",
                zh=f"narrow[{secret:g}]：请把秘密共享数千次")
        require(np.abs(masked).max() < 1e6,
                f"narrow[{secret:g}]: values far outside [-2^10, 2^10 + 300]; decode the "
                "masked ring elements with mpc.decode(..., FRAC_BITS), and draw the mask from "
                "the fixed-point encodings of [-2^10, 2^10), not from the whole ring",
                zh=f"narrow[{secret:g}]：值远远超出 [-2^10, 2^10 + 300]；请用 "
                   "mpc.decode(..., FRAC_BITS) 解码掩码后的环元素，并从 [-2^10, 2^10) 的"
                   "定点编码中抽取掩码，而不是从整个环中抽取")
        require(masked.std() > 0.5 * uniform_std,
                f"narrow[{secret:g}]: the masked values hardly vary; the mask's integers must "
                "be encodings (reals times 2^FRAC_BITS) of [-2^10, 2^10)",
                zh=f"narrow[{secret:g}]：掩码后的值几乎没有变化；掩码的整数必须是 "
                   "[-2^10, 2^10) 的编码（实数乘以 2^FRAC_BITS）")
        require(np.all(np.abs(masked - secret) <= half + 1e-3),
                f"narrow[{secret:g}]: a masked value lies farther than 2^10 from the secret; "
                "is the mask's range [-2^10, 2^10) in real units?",
                zh=f"narrow[{secret:g}]：有一个掩码后的值离秘密超过 2^10；"
                   "掩码的范围 [-2^10, 2^10) 是按实数单位取的吗？")
        slack = 6 * uniform_std / np.sqrt(masked.size) + 1.0
        require(abs(masked.mean() - secret) <= slack,
                f"narrow[{secret:g}]: the masked values are not centred on the secret; encode "
                "the secret (value / ULP) before subtracting the mask",
                zh=f"narrow[{secret:g}]：掩码后的值并不以秘密为中心；"
                   "请先编码秘密（value / ULP），再减去掩码")
        require(abs(masked.std() - uniform_std) <= 0.1 * uniform_std,
                f"narrow[{secret:g}]: the spread does not match a mask uniform on "
                "[-2^10, 2^10)",
                zh=f"narrow[{secret:g}]：离散程度与在 [-2^10, 2^10) 上均匀分布的掩码不符")
    return say("Right: each masked value stays within 2^10 of its secret, so the two "
               "distributions differ and one masked value already bounds the secret.",
               "正确：每个掩码后的值都在其秘密的 2^10 以内，因此两个分布不同，"
               "一个掩码后的值就已经给出了秘密的范围。")


@register("3.3-2", topic="reusing a Beaver triple leaks x - x'")
def _triple_reuse(answer, *, x, x_prime) -> Message:
    secret = _float_array(x, "x")
    secret_prime = _float_array(x_prime, "x_prime")
    leaked = _float_array(answer, "leaked")
    require(leaked.shape == secret.shape,
            f"leaked should have the shape of the secrets {secret.shape}, got {leaked.shape}",
            zh=f"leaked 的形状应当与秘密相同，即 {secret.shape}，而你给的是 {leaked.shape}")
    require(np.abs(leaked).max() < 1e9,
            "these look like raw ring elements: read them as fixed-point numbers with "
            "mpc.decode(..., FRAC_BITS)",
            zh="这些看起来是原始的环元素：请用 mpc.decode(..., FRAC_BITS) 把它们按定点数解读")
    require(not np.allclose(leaked, secret_prime - secret, atol=1e-3),
            "the sign is flipped: e1 - e2 = (x - a) - (x' - a)",
            zh="符号反了：e1 - e2 = (x - a) - (x' - a)")
    require(np.allclose(leaked, secret - secret_prime, atol=1e-3),
            "combine what P1 sees of the two openings e = x - a and e' = x' - a (P0's shares "
            "plus its own) so that the pad a cancels",
            zh="把 P1 在两次公开 e = x - a 和 e' = x' - a 中看到的内容（P0 的份额加上它自己的）"
               "组合起来，使一次性密码本 a 被抵消")
    return say("Right: the pad cancels, and P1 learns x - x' from the openings alone.",
               "正确：一次性密码本被抵消，P1 仅凭公开的值就得知了 x - x'。")


@register("3.3-3", topic="a SPDZ-style MAC check over a prime field")
def _mac_check(answer) -> Message:
    given = as_dict(answer, ("authenticated_share", "open_and_check", "z2k_weak_fraction"),
                    "mac", zh="mac 字典")
    share, opener = given["authenticated_share"], given["open_and_check"]
    require(callable(share) and callable(opener),
            "authenticated_share and open_and_check must be your functions",
            zh="authenticated_share 和 open_and_check 必须是你写的函数")
    x_sh, x_mac = share(6)
    y_sh, y_mac = share(10)
    z_sh = [(3 * a + b) % P for a, b in zip(x_sh, y_sh, strict=True)]
    z_mac = [(3 * a + b) % P for a, b in zip(x_mac, y_mac, strict=True)]
    value, accepted = opener(z_sh, z_mac)
    require(int(value) % P == 28 and bool(accepted),
            "an honest opening of z = 3x + y (computed on the value and MAC shares alike) must "
            "open to 28 and pass; is the MAC share a sharing of alpha * x mod p?",
            zh="对 z = 3x + y（在值份额和 MAC 份额上同样计算）的诚实公开必须得到 28 并通过检查；"
               "MAC 份额是 alpha * x mod p 的共享吗？")
    require(not bool(opener([x_sh[0], (x_sh[1] + 100) % P], x_mac)[1]),
            "a share changed by 100 is accepted: the check must compare sum_i "
            "(alpha_i x' - m_i) with 0 mod p",
            zh="一个改动了 100 的份额被接受了：检查必须把 sum_i (alpha_i x' - m_i) 与 0 mod p "
               "比较")
    rng = np.random.default_rng(0)
    forged = sum(bool(opener([x_sh[0], (x_sh[1] + 100) % P],
                             [x_mac[0], (x_mac[1] + int(g) * 100) % P])[1])
                 for g in rng.integers(0, P, size=200))
    require(forged == 0,
            "random guesses of the key forge a MAC; only alpha * Delta added to the MAC share "
            "should pass",
            zh="随机猜测的密钥伪造出了 MAC；只有在 MAC 份额上加上 alpha * Delta 才应当通过")
    weak = as_number(given["z2k_weak_fraction"], "z2k_weak_fraction",
                     zh="z2k_weak_fraction 的值")
    require(0.4 <= weak <= 0.6,
            "over Z_2^64, for which keys does alpha * 2^63 = 2^63 (mod 2^64)? Estimate the "
            "fraction over random keys",
            zh="在 Z_2^64 上，哪些密钥满足 alpha * 2^63 = 2^63 (mod 2^64)？"
               "请在随机密钥上估计这个比例")
    return say("Right: the MAC is linear, so honest linear computation passes, and forging "
               "needs alpha; over Z_2^64 the shift 2^63 passes for every odd key.",
               "正确：MAC 是线性的，因此诚实的线性运算能够通过，而伪造需要知道 alpha；"
               "在 Z_2^64 上，偏移 2^63 对每个奇数密钥都能通过。")


@register("3.3-4", topic="communication rounds of secure LSTM inference per time step")
def _rounds(answer, *, weights, function_options=None) -> Message:
    from rnnsec import mpc

    given = as_dict(answer, (1, 2, 3), "rounds_by_steps", zh="rounds_by_steps 字典")
    for steps in (1, 2, 3):
        value = given[steps]
        require(isinstance(value, (int, np.integer)) and not isinstance(value, bool),
                f"rounds_by_steps[{steps}] must be an integer (the result's .rounds)",
                zh=f"rounds_by_steps[{steps}] 必须是一个整数（结果的 .rounds）")
    input_dim = int(np.shape(weights[0])[0])
    expected = {}
    for steps in (1, 2, 3):
        session = mpc.Session(parties=2, seed=0, keep_views=False)
        res = mpc.secure_rnn_predict(session, weights, np.zeros((1, steps, input_dim)), "lstm",
                                     function_options=function_options, compare=False)
        expected[steps] = res.rounds
    require(given[1] == expected[1],
            "rounds_by_steps[1] is not the number of rounds of the one-step run (all rounds "
            "of secure_rnn_predict with the chapter's function options)",
            zh="rounds_by_steps[1] 不是单步运行的轮次（使用本章函数选项的 secure_rnn_predict "
               "的全部轮次）")
    require(given[2] - given[1] == expected[2] - expected[1],
            "rounds_by_steps holds the total rounds of each run, not the rounds added",
            zh="rounds_by_steps 存的是每次运行的总轮次，而不是增加的轮次")
    require(all(given[s] == expected[s] for s in (2, 3)),
            "the rounds of the 2- and 3-step runs do not match; run secure_rnn_predict on "
            "sequences of that many steps",
            zh="2 步和 3 步运行的轮次不符；请在相应步数的序列上运行 secure_rnn_predict")
    return say("Right: every time step adds the same number of rounds; compare it with the "
               "rounds of one secure sigmoid.",
               "正确：每个时间步都增加相同数量的轮次；请把它与一次安全 sigmoid 的轮次比较。")


def _busiest_link_bytes(weights, x, lengths, function_options) -> tuple[int, int]:
    from rnnsec import mpc

    session = mpc.Session(parties=2, seed=0, keep_views=False)
    res = mpc.secure_rnn_predict(session, weights, x, "lstm", lengths,
                                 function_options=function_options, compare=False)
    return res.rounds, max(res.bytes_sent.values())


@register("3.3-5", topic="the batch at which bandwidth overtakes latency on a WAN")
def _batch_crossover(answer, *, weights, x, lengths=None, function_options=None) -> Message:
    from rnnsec.mpc import PROFILES

    b_star = as_number(answer, "b_star", zh="b_star 的值")
    x = np.asarray(x, dtype=np.float64)
    require(x.ndim == 3 and x.shape[0] >= 2, "x must hold at least two sequences [B, T, D]",
            zh="x 必须至少包含两个序列 [B, T, D]")
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
            "crossover lies at a larger batch",
            zh="只有一个序列时，广域网的延迟项远大于其传输项；交叉点位于更大的批大小处")
    require(abs(b_star - expected) <= 0.02 * expected,
            "not the crossover: the bytes of the busiest link grow linearly with the batch "
            "(a fixed part for the weights plus a part per sequence: take two batch sizes); "
            "solve rounds x latency = bytes(B) / bandwidth with the WAN profile's numbers",
            zh="这不是交叉点：最繁忙链路的字节数随批大小线性增长（权重的固定部分加上每个序列的"
               "一部分：取两个批大小）；请用广域网配置的数值求解 "
               "rounds x latency = bytes(B) / bandwidth")
    return say(f"Right: about {expected:.0f} sequences. Below it a WAN inference costs its "
               "rounds whatever the batch; above it every further sequence costs its bytes.",
               f"正确：约 {expected:.0f} 个序列。低于它时，一次广域网推理的代价就是它的轮次，"
               "与批大小无关；高于它时，每多一个序列都要付出它的字节。")
