"""Self-checks for the exercises of Chapter 5.2 (Differential privacy in practice)."""

from __future__ import annotations

import numpy as np

from rnnsec.check._core import Message, as_dict, as_number, register, require, say
from rnnsec.check.ch42 import check_smallest_noise, close
from rnnsec.privacy import accounting


def _accuracy(model, x, y) -> float:
    from rnnsec.privacy.attacks import model_logits

    return float(np.mean(model_logits(model, x).argmax(axis=1) == np.asarray(y)))


@register("5.2-1", topic="test accuracy with the article's loss and with the correct one")
def _loss_error(answer, *, models, x, y) -> Message:
    given = as_dict(answer, ("article", "correct"), "loss_accuracy", zh="loss_accuracy 字典")
    acc = {k: as_number(given[k], f"the accuracy ({k})", zh=f"准确率（{k}）")
           for k in ("article", "correct")}
    require(all(0.0 <= a <= 1.0 for a in acc.values()),
            "give accuracies as fractions in [0, 1], not percentages",
            zh="请把准确率作为 [0, 1] 中的比例给出，而不是百分数")
    trained = as_dict(models, ("article", "correct"), "models", zh="models 字典")
    for key in ("article", "correct"):
        measured = _accuracy(trained[key], x, y)
        require(abs(acc[key] - measured) <= 1.0 / len(y),
                f"loss_accuracy[{key!r}] = {acc[key]:.3f} is not the test accuracy of "
                f"models[{key!r}] on (x, y), which is {measured:.3f}",
                zh=f"loss_accuracy[{key!r}] = {acc[key]:.3f} 不是 models[{key!r}] 在 (x, y) "
                   f"上的测试准确率，后者为 {measured:.3f}")
    require(acc["correct"] >= acc["article"] + 0.3,
            "the two accuracies should differ a lot: is 'article' the run with "
            "categorical_crossentropy on one-hot labels (logits read as probabilities) and "
            "'correct' the one with SparseCategoricalCrossentropy(from_logits=True)?",
            zh="两个准确率应当相差很大：'article' 是否是在 one-hot 标签上使用 "
               "categorical_crossentropy（把 logits 当作概率）的那次运行，'correct' 是否是使用 "
               "SparseCategoricalCrossentropy(from_logits=True) 的那次？")
    require(acc["article"] <= 0.35,
            "the article's loss should leave the model near chance; train it with "
            "loss='categorical_crossentropy' on to_categorical(y_train, 10)",
            zh="原文章的损失应当使模型接近随机猜测的水平；请在 to_categorical(y_train, 10) 上用 "
               "loss='categorical_crossentropy' 训练它")
    require(acc["correct"] >= 0.7,
            "the correct loss should train the model to the accuracy of Chapter 1; train "
            "with the same epochs, batch and learning rate as the chapter",
            zh="正确的损失应当把模型训练到第 1 章的准确率；请使用与本章相同的轮次数、"
               "批大小和学习率训练")
    return say("Right: the wrong loss alone stops the model from learning; privacy had "
               "nothing to do with it.",
               "正确：仅仅是错误的损失就让模型学不到东西；这与隐私无关。")


@register("5.2-2", topic="epsilon at sigma and sigma / 2 (TF Privacy's used_microbatching)")
def _microbatching(answer, *, noise_multiplier: float, sampling_rate: float, steps: int,
                   delta: float) -> Message:
    given = as_dict(answer, ("full_noise", "half_noise", "default"), "microbatching",
                    zh="microbatching 字典")
    full = accounting.compute_epsilon(noise_multiplier, sampling_rate=sampling_rate, steps=steps,
                                      delta=delta).epsilon
    half = accounting.compute_epsilon(noise_multiplier / 2, sampling_rate=sampling_rate,
                                      steps=steps, delta=delta).epsilon
    eps_full = as_number(given["full_noise"], "full_noise", zh="full_noise 的值")
    eps_half = as_number(given["half_noise"], "half_noise", zh="half_noise 的值")
    require(not (close(eps_full, half, 1e-3) and close(eps_half, full, 1e-3)),
            "full_noise and half_noise are swapped: less noise means a larger epsilon",
            zh="full_noise 和 half_noise 放反了：噪声越少，epsilon 越大")
    require(close(eps_full, full, 1e-3),
            "full_noise: compute_epsilon at the run's noise multiplier, sampling rate and "
            "number of steps (RDP accountant, the default)",
            zh="full_noise：用这次运行的噪声乘子、采样率和步数调用 compute_epsilon"
               "（RDP 隐私会计，即默认值）")
    require(close(eps_half, half, 1e-3),
            "half_noise: the same computation with the noise multiplier halved",
            zh="half_noise：同样的计算，但噪声乘子减半")
    require(given["default"] in ("full_noise", "half_noise"),
            "default must be 'full_noise' or 'half_noise'",
            zh="default 必须是 'full_noise' 或 'half_noise'")
    require(given["default"] == "half_noise",
            "used_microbatching=True assumes a microbatch may hold several examples, each of "
            "which can move the clipped mean by up to 2C: which noise does that correspond to?",
            zh="used_microbatching=True 假定一个微批次可能包含多个样本，其中每个样本都能使"
               "裁剪后的平均值变化至多 2C：这对应哪一种噪声？")
    return say("Right: TF Privacy's default charges the sigma / 2 number, correct when "
               "microbatches hold more than one example and pessimistic when each holds one.",
               "正确：TF Privacy 的默认值按 sigma / 2 的数计费；当微批次包含不止一个样本时"
               "它是正确的，当每个微批次只有一个样本时则过于悲观。")


@register("5.2-3", topic="noise multiplier for epsilon <= 1 on the article's run")
def _budget_one(answer, *, n_examples: int, batch_size: int, epochs: int, delta: float) -> Message:
    q = accounting.sampling_rate(batch_size, n_examples=n_examples)
    steps = epochs * max(1, round(n_examples / batch_size))  # what Poisson fit() runs
    check_smallest_noise(answer, 1.0, q, steps, delta, what="sigma_1", zh="噪声乘子（sigma_1）")
    return say("Right: the smallest noise multiplier that keeps the run at epsilon <= 1, about "
               "twice the article's.",
               "正确：这是使这次运行保持 epsilon <= 1 的最小噪声乘子，约为原文章的两倍。")
