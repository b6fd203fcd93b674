"""Self-checks for the exercises of Chapter 6.2 (Capstone: a robust, private, secure model)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import Message, register, require, say


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and math.isfinite(float(value)))


@register("6.2-1", topic="least DP noise that meets a target epsilon")
def _least_noise(answer, *, sampling_rate: float, steps: int, delta: float,
                 target_epsilon: float) -> Message:
    from rnnsec.privacy.accounting import compute_epsilon

    require(_is_number(answer) and float(answer) > 0,
            "give the noise multiplier sigma as one positive number",
            zh="请把噪声乘子 sigma 作为一个正数给出")
    sigma = float(answer)
    spent = compute_epsilon(sigma, sampling_rate=sampling_rate, steps=steps, delta=delta).epsilon
    require(spent <= target_epsilon * 1.001,
            f"with this sigma the accountant's epsilon is above the target {target_epsilon:g} "
            "(check q = batch / n, the number of steps and delta)",
            zh=f"在这个 sigma 下，隐私会计的 epsilon 高于目标 {target_epsilon:g}"
               "（请检查 q = batch / n、步数和 delta）")
    less_noise = compute_epsilon(sigma / 1.02, sampling_rate=sampling_rate, steps=steps,
                                 delta=delta).epsilon
    require(less_noise > target_epsilon,
            "this sigma meets the target with noise to spare: 2% less noise still does, and "
            "every bit of extra noise costs accuracy",
            zh="这个 sigma 达到目标时还有多余的噪声：噪声少 2% 时仍然能达到，"
               "而每一点多余的噪声都会损失准确率")
    return say(f"sigma = {sigma:.3f} spends epsilon {spent:.3f} <= {target_epsilon:g}, and no "
               "noticeably smaller sigma would.",
               f"sigma = {sigma:.3f} 消耗的 epsilon 为 {spent:.3f} <= {target_epsilon:g}，"
               "而明显更小的 sigma 都做不到。")


def _accuracies(model, x, y, mask, epsilon: float) -> tuple[float, float]:
    """Clean accuracy and PGD-10 (L-inf, seed 0) robust accuracy of ``model``."""
    from rnnsec.adversarial import pgd
    from rnnsec.privacy import attacks

    clean = float(np.mean(attacks.model_logits(model, x).argmax(axis=1) == y))
    robust = pgd(model, x, y, epsilon, steps=10, mask=mask, seed=0,
                 progress=False).robust_accuracy
    return clean, float(robust)


@register("6.2-2", topic="a model robust at a larger epsilon")
def _robust_model(answer, *, x, y, mask, epsilon: float, reference) -> Message:
    from rnnsec.compat import keras

    require(isinstance(answer, keras.Model),
            "give the trained keras model itself (the one that returns logits)",
            zh="请给出训练好的 keras 模型本身（返回 logits 的那个）")
    x, y = np.asarray(x, dtype="float32"), np.asarray(y)
    require(answer.output_shape[-1] == reference.output_shape[-1],
            "the model must output one logit per class, like the chapter's models",
            zh="模型必须像本章的模型一样，为每个类别输出一个 logit")
    ref_clean, ref_robust = _accuracies(reference, x, y, mask, epsilon)
    clean, robust = _accuracies(answer, x, y, mask, epsilon)
    require(clean >= 0.75 * ref_clean,
            f"clean accuracy {clean:.2f} gives away too much (reference {ref_clean:.2f}): "
            "train for as many epochs as the chapter's models, with the same learning rate",
            zh=f"干净准确率 {clean:.2f} 损失太多（参考模型为 {ref_clean:.2f}）："
               "请训练与本章模型相同的轮次数，并使用相同的学习率")
    require(robust >= ref_robust + 0.05,
            f"PGD accuracy at epsilon {epsilon:g} is {robust:.2f}, not clearly above the "
            f"reference's {ref_robust:.2f}: train against the attack you will face, at that "
            "epsilon",
            zh=f"epsilon {epsilon:g} 下的 PGD 准确率为 {robust:.2f}，并没有明显高于参考模型的 "
               f"{ref_robust:.2f}：请针对你将要面对的攻击、在该 epsilon 下进行训练")
    return say(f"On these {len(y)} sequences: PGD accuracy at epsilon {epsilon:g} {robust:.2f} "
               f"against {ref_robust:.2f}, clean accuracy {clean:.2f}.",
               f"在这 {len(y)} 个序列上：epsilon {epsilon:g} 下的 PGD 准确率为 {robust:.2f}，"
               f"参考模型为 {ref_robust:.2f}，干净准确率为 {clean:.2f}。")


@register("6.2-3", topic="the one-run audit's ceiling and its tightness")
def _audit_tightness(answer, *, m: int, n_guesses: int, delta: float, alpha: float,
                     audit_epsilon: float, accountant_epsilon: float) -> Message:
    from rnnsec.privacy.audit import one_run_epsilon_lower_bound

    require(isinstance(answer, Mapping) and set(answer) == {"ceiling", "tightness"},
            "give a dict with the keys 'ceiling' and 'tightness'",
            zh="请给出一个含有键 'ceiling' 和 'tightness' 的 dict")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "both values are non-negative numbers",
            zh="两个值都是非负数")
    ceiling, tightness = float(answer["ceiling"]), float(answer["tightness"])
    right = one_run_epsilon_lower_bound(m, n_guesses=n_guesses, n_correct=n_guesses, delta=delta,
                                        alpha=alpha)
    no_delta = one_run_epsilon_lower_bound(m, n_guesses=n_guesses, n_correct=n_guesses, delta=0.0,
                                           alpha=alpha)
    require(abs(ceiling - no_delta) > 1e-3 or abs(no_delta - right) < 1e-3,
            "the ceiling must be computed at the chapter's delta, not at delta = 0",
            zh="上限必须在本章的 delta 下计算，而不是在 delta = 0 下")
    require(abs(ceiling - right) < 1e-3,
            "the ceiling is the bound of a perfect audit: every one of its guesses right, "
            "with the chapter's number of canaries, guesses, delta and alpha",
            zh="上限是一次完美审计的界：每次猜测都正确，并使用本章的金丝雀数、猜测次数、"
               "delta 和 alpha")
    require(ceiling >= audit_epsilon - 1e-9, "no audit with these guesses can beat its ceiling",
            zh="在这些猜测下，任何审计都不可能超过它的上限")
    ratio = audit_epsilon / accountant_epsilon
    if 0 < ratio < 1:
        require(abs(tightness - 1 / ratio) > 1e-3 / ratio,
                "tightness is the lower bound divided by the upper bound, not the other way "
                "round",
                zh="紧致度是下界除以上界，而不是反过来")
    require(abs(tightness - ratio) <= 1e-3 * max(1.0, ratio),
            "tightness is the audit's lower bound divided by the accountant's epsilon",
            zh="紧致度是审计所得的下界除以隐私会计的 epsilon")
    return say(f"A perfect audit with these guesses proves at most epsilon >= {right:.2f}; the "
               f"measured bound closes {ratio:.1%} of the way to the accountant's epsilon.",
               f"在这些猜测下，一次完美的审计至多证明 epsilon >= {right:.2f}；测得的界达到了"
               f"隐私会计 epsilon 的 {ratio:.1%}。")
