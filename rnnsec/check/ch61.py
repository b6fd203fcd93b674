"""Self-checks for the exercises of Chapter 6.1 (What differential privacy buys)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import Message, register, require, say

_GUESSES = (5, 10, 20, 40, 80)


def _is_number(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and math.isfinite(float(value)))


@register("6.1-1", topic="one-run audit bound against the number of guesses")
def _bound_vs_guesses(answer, *, scores, included, delta: float) -> Message:
    from rnnsec.privacy.audit import one_run_audit

    require(isinstance(answer, Mapping) and set(answer) == set(_GUESSES),
            f"give a dict from k (each of {_GUESSES}) to the audit's epsilon lower bound",
            zh=f"请给出一个从 k（{_GUESSES} 中的每一个）映射到审计所得 epsilon 下界的 dict")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "each lower bound is a non-negative number",
            zh="每个下界都是一个非负数")
    scores = np.asarray(scores, dtype=float)
    for k in _GUESSES:
        right = one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=k,
                              delta=delta).epsilon
        if abs(float(answer[k]) - right) > 1e-6:
            flipped = one_run_audit(-scores, included, n_positive_guesses=k, n_negative_guesses=k,
                                    delta=delta).epsilon
            require(abs(float(answer[k]) - flipped) > 1e-6 or abs(flipped - right) < 1e-6,
                    "the score must be higher for canaries that look included: minus the loss",
                    zh="看起来被纳入的金丝雀得分必须更高：请用损失的相反数")
            no_delta = one_run_audit(scores, included, n_positive_guesses=k, n_negative_guesses=k,
                                     delta=0.0).epsilon
            require(abs(float(answer[k]) - no_delta) > 1e-6 or abs(no_delta - right) < 1e-6,
                    "pass the chapter's delta to the audit",
                    zh="请把本章的 delta 传给审计")
            require(False, f"the bound for k = {k} is off: k guesses 'included' and k "
                           "guesses 'excluded', alpha = 0.05",
                    zh=f"k = {k} 时的界不对：应为 k 次“纳入”猜测和 k 次“未纳入”猜测，"
                       "alpha = 0.05")
    return say("Fix k before looking: choosing the best k afterwards voids the 95% confidence.",
               "在查看结果之前固定 k：事后挑选最好的 k 会使 95% 的置信度失效。")


@register("6.1-2", topic="confusion counts of a fixed-threshold membership guess")
def _confusion(answer, *, losses, is_member, threshold: float) -> Message:
    require(isinstance(answer, (tuple, list)) and len(answer) == 4
            and all(isinstance(v, (int, np.integer)) for v in answer),
            "give the four integer counts (tp, fn, fp, tn)",
            zh="请给出四个整数计数 (tp, fn, fp, tn)")
    losses = np.asarray(losses, dtype=float)
    members = np.asarray(is_member, dtype=bool)
    guess = losses < threshold
    tp, fn = int(np.sum(guess & members)), int(np.sum(~guess & members))
    fp, tn = int(np.sum(guess & ~members)), int(np.sum(~guess & ~members))
    require(sum(int(v) for v in answer) == len(losses),
            f"the four counts must add up to the {len(losses)} candidates",
            zh=f"四个计数之和必须等于候选总数 {len(losses)}")
    require(tuple(int(v) for v in answer) != (fn, tp, tn, fp),
            "you guessed 'member' for a loss above the threshold: members have low loss",
            zh="你对高于阈值的损失猜了“成员”：成员的损失低")
    require(tuple(int(v) for v in answer) != (tp, fp, fn, tn),
            "fn and fp are swapped: fn counts members guessed 'non-member'",
            zh="fn 和 fp 放反了：fn 统计的是被猜为“非成员”的成员")
    require(tuple(int(v) for v in answer) == (tp, fn, fp, tn),
            "recount: tp = members guessed member, fn = members guessed non-member, "
            "fp = non-members guessed member, tn = the rest",
            zh="请重新计数：tp = 被猜为成员的成员，fn = 被猜为非成员的成员，"
               "fp = 被猜为成员的非成员，tn = 其余的")
    return say("Right counts; but without coin flips deciding membership they prove nothing.",
               "计数正确；但没有抛硬币来决定成员身份，它们什么也证明不了。")


@register("6.1-3", topic="one-run audit with the logit-confidence score")
def _logit_audit(answer, *, models: Mapping, x, y, included, k: int, delta: float,
                 accountant_epsilons: Mapping) -> Message:
    from rnnsec.privacy import attacks
    from rnnsec.privacy.audit import one_run_audit

    require(isinstance(answer, Mapping) and set(answer) == set(models),
            f"give a dict from run label ({', '.join(models)}) to the audit's lower bound",
            zh=f"请给出一个从训练名称（{', '.join(models)}）映射到审计所得下界的 dict")
    require(all(_is_number(v) and float(v) >= 0 for v in answer.values()),
            "each lower bound is a non-negative number",
            zh="每个下界都是一个非负数")
    for label, model in models.items():
        require(float(answer[label]) <= float(accountant_epsilons[label]),
                f"the bound for {label!r} exceeds the accountant's epsilon: that would be a bug",
                zh=f"{label!r} 的界超过了隐私会计的 epsilon：这只可能是程序中的错误")
        logits = attacks.model_logits(model, x)
        right = one_run_audit(attacks.logit_confidence(logits, y), included, n_positive_guesses=k,
                              n_negative_guesses=k, delta=delta).epsilon
        require(abs(float(answer[label]) - right) < 1e-6,
                f"the bound for {label!r} is off: score = logit confidence of the canary's "
                f"label, {k} guesses each way, the chapter's delta",
                zh=f"{label!r} 的界不对：得分 = 金丝雀标签的 logit 置信度，每个方向 {k} 次猜测，"
                   "使用本章的 delta")
    return say("Both scores are increasing in p_y, so they rank canaries alike (up to ties).",
               "两种得分都是 p_y 的增函数，因此它们对金丝雀的排序相同（并列除外）。")
