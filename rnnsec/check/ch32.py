"""Self-checks for the exercises of Chapter 3.2 (Differential privacy for RNN training)."""

from __future__ import annotations

import math

import numpy as np

from rnnsec.check._core import Message, as_dict, as_number, register, require, say
from rnnsec.check.ch42 import check_smallest_noise, close
from rnnsec.privacy import accounting

CLIPS = (0.1, 1.0, 10.0)


@register("3.2-1", topic="smallest noise multiplier for epsilon <= 2")
def _noise_for_two(answer, *, n_examples: int, batch_size: int, epochs: int,
                   delta: float) -> Message:
    q = accounting.sampling_rate(batch_size, n_examples=n_examples)
    steps = epochs * max(1, round(n_examples / batch_size))  # what Poisson fit() runs
    check_smallest_noise(answer, 2.0, q, steps, delta, what="sigma_2", zh="噪声乘子（sigma_2）")
    return say("Right: the smallest noise multiplier for epsilon = 2; the accountant is exact "
               "about its inputs, so the logged epsilon lands just below the budget.",
               "正确：这是 epsilon = 2 的最小噪声乘子；隐私会计对其输入是精确的，"
               "因此记录下的 epsilon 恰好略低于预算。")


def _value_for(answer: dict, clip: float):
    for key, value in answer.items():
        if isinstance(key, (int, float, np.integer, np.floating)) and math.isclose(key, clip):
            return value
    require(False, f"largest_change needs an entry for C = {clip:g} (keys 0.1, 1.0 and 10.0)",
            zh=f"largest_change 需要一个对应 C = {clip:g} 的条目（键为 0.1、1.0 和 10.0）")


@register("3.2-2", topic="the clipped sum changes by at most C when one example is removed")
def _sensitivity(answer, *, model, x, y) -> Message:
    from rnnsec.compat import per_example_loss
    from rnnsec.privacy import clipping

    require(isinstance(answer, dict), "give largest_change as a dict from C to the largest "
                                      f"L2 change, got {type(answer).__name__}",
            zh="请把 largest_change 作为一个从 C 映射到最大 L2 变化的 dict 给出，"
               f"而你给的是 {type(answer).__name__}")
    norms = clipping.per_example_norms(model, per_example_loss(), x, y).numpy()  # [B]
    for clip in CLIPS:
        change = as_number(_value_for(answer, clip), f"the largest change at C = {clip:g}",
                           zh=f"C = {clip:g} 时的最大变化")
        require(change <= clip * (1 + 1e-3),
                f"C = {clip:g}: a change of {change:.4g} exceeds C. Are the gradients "
                "clipped (clipped_gradient_sum with l2_norm_clip=C)?",
                zh=f"C = {clip:g}：变化 {change:.4g} 超过了 C。梯度裁剪了吗"
                   "（使用 l2_norm_clip=C 的 clipped_gradient_sum）？")
        expected = float(np.max(np.minimum(norms, clip)))
        require(abs(change - expected) <= 1e-3 * expected + 1e-5 * clip,
                f"C = {clip:g}: the largest change is not what removing one example does to "
                "the clipped *sum* (not the mean) of this batch. Take the L2 norm of the "
                "difference over all variables, and the maximum over the removed examples",
                zh=f"C = {clip:g}：这个最大变化不是移除一个样本对这个批次裁剪后梯度之*和*"
                   "（而不是平均）造成的变化。请在所有变量上取差的 L2 范数，"
                   "并对被移除的样本取最大值")
    return say("Right: removing an example changes the sum by its clipped gradient, never more "
               "than C, whatever the data.",
               "正确：移除一个样本，总和的变化等于它裁剪后的梯度，无论数据如何都不会超过 C。")


@register("3.2-3", topic="example-level epsilon of microbatch training")
def _microbatches(answer, *, batches, noise_multiplier: float, delta: float, epochs: int,
                  num_microbatches: int) -> Message:
    given = as_dict(answer, ("accuracy", "epsilon", "epsilon_if_poisson"), "grouped",
                    zh="grouped 字典")
    acc = as_number(given["accuracy"], "the accuracy", zh="准确率")
    require(0.0 <= acc <= 1.0, "give the accuracy as a fraction in [0, 1], not a percentage",
            zh="请把准确率作为 [0, 1] 中的比例给出，而不是百分数")
    per_unit = int(batches.expected_batch_size) // int(num_microbatches)
    sigma = noise_multiplier / (2 if per_unit > 1 else 1)
    steps = int(epochs) * int(batches.steps_per_epoch)
    if_poisson = accounting.compute_epsilon(sigma, sampling_rate=batches.sampling_rate, steps=steps,
                                            delta=delta).epsilon
    per_example = accounting.compute_epsilon(noise_multiplier, sampling_rate=batches.sampling_rate,
                                             steps=steps, delta=delta).epsilon
    proven = accounting.compute_epsilon(noise_multiplier / 2, sampling_rate=1.0, steps=int(epochs),
                                        delta=delta).epsilon
    eps_p = as_number(given["epsilon_if_poisson"], "epsilon_if_poisson",
                      zh="epsilon_if_poisson 的值")
    require(not close(eps_p, per_example, 1e-3) or per_unit == 1,
            "that is the per-example number: with several examples per microbatch one "
            "example can move its group's clipped mean by up to 2C (tell EpsilonCallback "
            "about the microbatches)",
            zh="这是逐样本的数：当每个微批次有多个样本时，一个样本可以使其所在组裁剪后的平均值"
               "变化至多 2C（请把微批次告诉 EpsilonCallback）")
    require(close(eps_p, if_poisson, 1e-3),
            "epsilon_if_poisson is not the example-level 'if Poisson' epsilon of this run "
            "(all epochs, sampling rate B/N, the microbatches' noise counted as sigma / 2)",
            zh="epsilon_if_poisson 不是这次运行样本级的“若为 Poisson”的 epsilon"
               "（全部轮次，采样率 B/N，微批次的噪声按 sigma / 2 计）")
    eps = as_number(given["epsilon"], "epsilon", zh="epsilon 的值")
    require(close(eps, proven, 1e-3),
            "epsilon should be the bound proven for shuffled batches, the callback's "
            "'epsilon' entry after the last epoch",
            zh="epsilon 应当是为打乱的批次所证明的界，即最后一个轮次之后回调的 'epsilon' 条目")
    return say("Right: the proven shuffling bound is unchanged, but the customary 'if Poisson' "
               "number grows several-fold once groups, not examples, are clipped.",
               "正确：已证明的打乱界不变，但一旦裁剪的是组而不是样本，惯常的“若为 Poisson”的数"
               "就会增大好几倍。")
