"""Self-checks for the exercises of Chapter 4.2 (The mathematics of differential privacy).

Also holds the helpers that judge "the smallest noise multiplier for a budget" and "a number
close to a reference"; the DP-SGD chapters (3.2, 5.2) reuse them.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rnnsec.check._core import Message, WrongAnswer, as_dict, as_number, register, require, say
from rnnsec.privacy import accounting

DELTA = 1e-5
NOISE_SLACK = 0.02  # a noise multiplier this much smaller must break the budget


def close(value: float, reference: float, rtol: float) -> bool:
    """Whether ``value`` is within ``rtol`` (relative) of ``reference``."""
    return abs(value - reference) <= rtol * abs(reference)


def check_smallest_noise(answer, target: float, q: float, steps: int, delta: float,
                         conversion: str | None = None, what: str = "the noise multiplier",
                         zh: str = "噪声乘子") -> float:
    """Require ``answer`` to meet ``target`` epsilon (RDP accountant) and to be the smallest.

    ``what`` names the answer in the hints, ``zh`` is the same noun phrase in Chinese.
    Returns the epsilon spent at ``answer``.
    """
    sigma = as_number(answer, what, zh=zh)
    positive_zh = f"{zh}必须为正数"  # the Chinese noun in place of ``what``
    require(sigma > 0, f"{what} must be positive", zh=positive_zh)
    eps = accounting.compute_epsilon(sigma, sampling_rate=q, steps=steps, delta=delta,
                                     conversion=conversion).epsilon
    require(eps <= target * (1 + 1e-9),
            f"at this noise the accountant spends epsilon {eps:.3g}, above the budget "
            f"{target:g}: too little noise. Check the sampling rate and the number of steps "
            "the whole run takes (all epochs)",
            zh=f"在这个噪声下，隐私会计消耗的 epsilon 为 {eps:.3g}，超过了预算 {target:g}："
               "噪声太少。请检查采样率以及整次运行的步数（全部轮次）")
    smaller = accounting.compute_epsilon(sigma * (1 - NOISE_SLACK), sampling_rate=q, steps=steps,
                                         delta=delta, conversion=conversion).epsilon
    require(smaller > target,
            f"the budget holds, but also with {NOISE_SLACK:.0%} less noise (epsilon "
            f"{smaller:.3g}): this is not the smallest noise multiplier. Search for it "
            "(noise_for_epsilon) with the run's own sampling rate and steps",
            zh=f"预算得到了遵守，但噪声少 {NOISE_SLACK:.0%} 时也是如此（epsilon "
               f"{smaller:.3g}）：这不是最小的噪声乘子。请用这次运行自己的采样率和步数"
               "搜索它（noise_for_epsilon）")
    return eps


@register("4.2-1", topic="smallest noise multiplier for epsilon <= 1, two RDP conversions")
def _noise_for_budget(answer, *, n_examples: int) -> Message:
    sigmas = as_dict(answer, ("improved", "classic"), "the answer", zh="答案")
    q = accounting.sampling_rate(32, n_examples=n_examples)
    steps = accounting.steps_for_epochs(n_examples, batch_size=32, epochs=10)
    for conversion in ("improved", "classic"):
        try:
            check_smallest_noise(sigmas[conversion], 1.0, q, steps, DELTA, conversion,
                                 what=f"the noise multiplier for the {conversion} conversion",
                                 zh="噪声乘子")  # the prefix below names the conversion
        except WrongAnswer as err:
            raise WrongAnswer(f"{conversion} conversion: {err}",
                              zh=f"{conversion} 转换：{err.message.zh}") from None
    require(sigmas["classic"] > sigmas["improved"],
            "the classic conversion is looser, so it needs more noise than the improved one",
            zh="经典转换更宽松，因此它比改进的转换需要更多的噪声")
    return say("Both noise multipliers are the smallest that keep epsilon <= 1; the looser "
               "classic conversion pays for the same claim with more noise.",
               "两个噪声乘子都是保持 epsilon <= 1 的最小值；更宽松的经典转换要用更多的噪声"
               "来换取同样的声明。")


def _crossover(sigma: float, laplace_factor: float) -> int:
    """Smallest d with Laplace std (laplace_factor * sqrt(d), in units of C) above sigma."""
    return math.floor((sigma / laplace_factor) ** 2) + 1


def _lstm_dense_params(units: int, features: int, classes: int, gates: int = 4) -> int:
    return gates * (units * (features + units) + units) + units * classes + classes


@register("4.2-2", topic="Laplace (L1) against Gaussian (L2) noise: crossover dimension")
def _laplace_vs_gauss(answer) -> Message:
    given = as_dict(answer, ("crossover_d", "n_params"), "the answer", zh="答案")
    for key in ("crossover_d", "n_params"):
        value = given[key]
        require(isinstance(value, (int, np.integer)) and not isinstance(value, bool),
                f"{key} must be an integer, got {type(value).__name__}",
                zh=f"{key} 必须是一个整数，而你给的是 {type(value).__name__}")
    gauss = accounting.gaussian_mechanism_sigma(1.0, delta=DELTA)
    right = _crossover(gauss, math.sqrt(2))
    d = int(given["crossover_d"])
    require(d != _crossover(gauss, 1.0),
            "the standard deviation of Laplace noise with scale b is sqrt(2) b, not b",
            zh="尺度为 b 的拉普拉斯噪声的标准差是 sqrt(2) b，而不是 b")
    classic = accounting.gaussian_mechanism_sigma(0.999999, delta=DELTA, method="classic")
    require(d != _crossover(classic, math.sqrt(2)),
            "the classic Gaussian formula is not the analytic mechanism; use "
            "gaussian_mechanism_sigma's default",
            zh="经典高斯公式不是解析高斯机制；请使用 gaussian_mechanism_sigma 的默认方法")
    require(d == right, "crossover_d should be the first dimension d at which the Laplace "
                        "standard deviation sqrt(2) sqrt(d) C / epsilon exceeds the Gaussian one",
            zh="crossover_d 应当是拉普拉斯噪声的标准差 sqrt(2) sqrt(d) C / epsilon "
               "首次超过高斯噪声标准差的维数 d")
    n = int(given["n_params"])
    require(n != _lstm_dense_params(64, 8, 10, gates=1),
            "an LSTM has four gates, each with its own kernel, recurrent kernel and bias",
            zh="LSTM 有四个门，每个门都有自己的 kernel、recurrent kernel 和偏置")
    require(n != _lstm_dense_params(64, 8, 10) - 64 * 10 - 10,
            "count the Dense(10) layer too (kernel and bias)",
            zh="Dense(10) 层也要计入（kernel 和偏置）")
    require(n == _lstm_dense_params(64, 8, 10),
            "n_params should count every trainable weight of LSTM(64) on 8 features plus "
            "Dense(10): kernels, recurrent kernel and biases",
            zh="n_params 应当计入输入为 8 个特征的 LSTM(64) 加上 Dense(10) 的每一个可训练权重："
               "各个 kernel、recurrent kernel 和偏置")
    return say("Right: beyond a handful of coordinates the L1 sensitivity sqrt(d) C makes "
               "Laplace noise far larger than Gaussian noise calibrated to the L2 sensitivity.",
               "正确：坐标一多，L1 敏感度 sqrt(d) C 就使拉普拉斯噪声远大于"
               "按 L2 敏感度校准的高斯噪声。")


@lru_cache(maxsize=8)
def _sampling_reference(n_examples: int) -> dict:
    q = accounting.sampling_rate(32, n_examples=n_examples)
    steps = accounting.steps_for_epochs(n_examples, batch_size=32, epochs=10)
    return {"a": accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps, delta=DELTA,
                                            accountant="pld").epsilon,
            "a_rdp": accounting.compute_epsilon(1.1, sampling_rate=q, steps=steps,
                                                delta=DELTA).epsilon,
            "b": gaussian_epsilon(1.1 / math.sqrt(10), delta=DELTA),
            "b_one_step": gaussian_epsilon(1.1, delta=DELTA),
            "c": gaussian_epsilon(1.1 / math.sqrt(steps), delta=DELTA)}


def gaussian_epsilon(sigma: float, *, delta: float) -> float:
    """Smallest epsilon of the Gaussian mechanism (sensitivity 1) at ``delta`` (bisection)."""
    if accounting.gaussian_mechanism_delta(sigma, epsilon=0.0) <= delta:
        return 0.0
    lo, hi = 0.0, 1.0
    while accounting.gaussian_mechanism_delta(sigma, epsilon=hi) > delta:
        lo, hi = hi, 2 * hi
    while hi - lo > 1e-10 * hi:
        mid = 0.5 * (lo + hi)
        too_small = accounting.gaussian_mechanism_delta(sigma, epsilon=mid) > delta
        lo, hi = (mid, hi) if too_small else (lo, mid)
    return hi


@register("4.2-3", topic="epsilon with and without amplification by subsampling")
def _sampling(answer, *, n_examples: int) -> Message:
    given = as_dict(answer, ("a", "b", "c"), "the answer", zh="答案")
    eps = {k: as_number(given[k], f"epsilon ({k})", zh=f"({k}) 中的 epsilon 值")
           for k in ("a", "b", "c")}
    ref = _sampling_reference(int(n_examples))
    require(not close(eps["a"], ref["a_rdp"], 0.01) or close(eps["a"], ref["a"], 0.02),
            "(a): that is the RDP bound; the exercise asks for the PLD accountant",
            zh="(a)：这是 RDP 界；练习要的是 PLD 隐私会计")
    require(close(eps["a"], ref["a"], 0.02),
            "(a): use compute_epsilon with accountant='pld', q = 32 / N and the steps of 10 "
            "epochs (steps_for_epochs)",
            zh="(a)：请使用 compute_epsilon，取 accountant='pld'、q = 32 / N，"
               "以及 10 个轮次的步数（steps_for_epochs）")
    require(not close(eps["b"], ref["b_one_step"], 0.02),
            "(b): that is one step; ten full-batch steps compose",
            zh="(b)：这只是一步；十个全批量步要组合起来")
    require(close(eps["b"], ref["b"], 0.02),
            "(b): without sampling, k Gaussian steps with noise sigma are exactly one Gaussian "
            "mechanism with noise sigma / sqrt(k); take its exact epsilon at delta = 1e-5",
            zh="(b)：没有采样时，噪声为 sigma 的 k 个高斯步恰好等于一个噪声为 sigma / sqrt(k) "
               "的高斯机制；取它在 delta = 1e-5 下的精确 epsilon")
    require(close(eps["c"], ref["c"], 0.02),
            "(c): full batch for as many steps as (a) took: compose that many exact Gaussian "
            "steps the same way as in (b)",
            zh="(c)：全批量，步数与 (a) 相同：像 (b) 中那样组合这么多个精确的高斯步")
    return say("Right: with full batches every record is in every step, so even ten steps "
               "cost more than thousands of subsampled ones.",
               "正确：使用全批量时，每条记录都在每一步中，因此即使十步的代价也比"
               "几千个子采样步更大。")


@register("4.2-4", topic="the classic Gaussian formula fails at epsilon = 10")
def _classic_fails(answer) -> Message:
    from scipy import stats

    given = as_dict(answer, ("threshold", "sigma"), "the answer", zh="答案")
    t = as_number(given["threshold"], "threshold", zh="阈值（threshold）")
    eps = 10.0
    classic = math.sqrt(2 * math.log(1.25 / DELTA)) / eps
    p_d = stats.norm.sf(t, loc=1.0, scale=classic)
    p_d_prime = stats.norm.sf(t, loc=0.0, scale=classic)
    require(p_d > math.exp(eps) * p_d_prime + DELTA,
            "the set {o > threshold} does not violate the definition at the classic sigma "
            "(f(D) = 1, f(D') = 0). Put the threshold where the privacy loss "
            "ln(p_D(o) / p_D'(o)) exceeds epsilon",
            zh="在经典 sigma 下，集合 {o > threshold} 并不违反定义（f(D) = 1，f(D') = 0）。"
               "请把阈值放在隐私损失 ln(p_D(o) / p_D'(o)) 超过 epsilon 的地方")
    sigma = as_number(given["sigma"], "sigma", zh="sigma 的值")
    require(sigma > 0, "sigma must be positive", zh="sigma 必须为正数")
    require(accounting.gaussian_mechanism_delta(sigma, epsilon=eps) <= DELTA * (1 + 1e-9),
            "with this sigma the mechanism is still not (10, 1e-5)-DP (exact condition of "
            "Balle & Wang); it needs more noise",
            zh="在这个 sigma 下，该机制仍然不满足 (10, 1e-5)-差分隐私"
               "（Balle & Wang 的精确条件）；它需要更多的噪声")
    require(accounting.gaussian_mechanism_delta(sigma * 0.99, epsilon=eps) > DELTA,
            "this sigma works but is not the smallest: 1% less noise still satisfies the exact "
            "condition",
            zh="这个 sigma 可行，但不是最小的：噪声少 1% 时仍满足精确条件")
    return say("Right: the set where the privacy loss exceeds epsilon breaks the classic "
               "calibration, and the analytic sigma repairs it with a little more noise.",
               "正确：隐私损失超过 epsilon 的集合使经典校准失效，"
               "而解析 sigma 只多加一点噪声就修复了它。")
