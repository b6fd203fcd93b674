"""Self-checks for the exercises of Chapter 2.3 (Robustness and security: two attackers)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnsec.check._core import Message, register, require, say

_KINDS = ("standard", "adversarial")


def _epsilon(sigma: float, n: int, batch_size: int, steps: int, delta: float) -> float:
    from rnnsec.privacy.accounting import compute_epsilon

    return compute_epsilon(sigma, sampling_rate=batch_size / n, steps=steps, delta=delta).epsilon


@register("2.3-1", topic="recompute the accountant's epsilon of the private runs")
def _recomputed_epsilon(answer, *, logged_epsilon: float, sigma: float, n_train: int,
                        n_members: int, batch_size: int, epochs: int, delta: float) -> Message:
    require(isinstance(answer, (int, float, np.integer, np.floating))
            and not isinstance(answer, bool), "give the recomputed epsilon as one number",
            zh="请把重新计算的 epsilon 作为一个数给出")
    value = float(answer)
    require(math.isfinite(value) and value > 0,
            "epsilon of DP-SGD with sigma > 0 is finite and positive",
            zh="sigma > 0 时，DP-SGD 的 epsilon 是有限的正数")
    if not math.isclose(value, logged_epsilon, rel_tol=1e-3):
        members_only = _epsilon(sigma, n_members, batch_size,
                                epochs * max(1, round(n_members / batch_size)), delta)
        require(n_members == n_train or not math.isclose(value, members_only, rel_tol=1e-3),
                "you counted the members only: the canary copies are training records too, "
                "and they set the sampling rate q = batch / n",
                zh="你只统计了成员：金丝雀副本也是训练记录，"
                   "采样率 q = batch / n 也由它们决定")
        require(not math.isclose(value, _epsilon(sigma, n_train, batch_size, epochs, delta),
                                 rel_tol=1e-3),
                "the accountant composes one step per batch, not one per epoch",
                zh="隐私会计对每个批次组合一步，而不是每个轮次一步")
        require(False, "not the epsilon the callback logged: use the noise multiplier, "
                       "q = batch size / training records, epochs x round(1/q) steps and the "
                       "same delta",
                zh="这不是回调记录下的 epsilon：请使用噪声乘子、q = 批大小 / 训练记录数、"
                   "epochs x round(1/q) 步以及同一个 delta")
    return say("The accountant sees sigma, q and the steps only; PGD inside the step changes "
               "none.",
               "隐私会计只看到 sigma、q 和步数；训练步内部的 PGD 不改变其中任何一个。")


def _adversarial_loss_auc(model, x, y, is_member, radius: float, steps: int) -> float:
    from rnnsec.adversarial import pgd
    from rnnsec.privacy import attacks

    around = pgd(model, x, y, radius, steps=steps, clip_min=0.0, clip_max=1.0, seed=0,
                 progress=False).x_adv
    losses = attacks.per_example_loss(attacks.model_logits(model, around), y)
    return attacks.loss_threshold_attack_from_losses(losses, is_member).auc


@register("2.3-2", topic="adversarial-loss membership AUC at other radii")
def _radius_auc(answer, *, models: Mapping, x, y, is_member, pgd_steps: int) -> Message:
    keys = {(r, k) for r in (0.05, 0.2) for k in _KINDS}
    require(isinstance(answer, Mapping) and set(answer) == keys,
            'give a dict {(radius, kind): AUC} for radius in (0.05, 0.2) and kind in '
            '("standard", "adversarial")',
            zh='请给出一个 dict {(radius, kind): AUC}，其中 radius 取 (0.05, 0.2)，kind 取 '
               '("standard", "adversarial")')
    require(all(0.0 <= float(v) <= 1.0 for v in answer.values()), "an AUC lies in [0, 1]",
            zh="AUC 位于 [0, 1] 中")
    for (radius, kind), value in sorted(answer.items()):
        right = _adversarial_loss_auc(models[kind], x, y, is_member, radius, pgd_steps)
        require(abs(float(value) - right) < 0.01,
                f"the AUC for radius {radius} and the {kind} model is off: score each "
                "candidate by minus the loss of its PGD example in that ball "
                f"({pgd_steps} steps, random start seed 0)",
                zh=f"半径 {radius} 下 {kind} 模型的 AUC 不对：用每个候选在该球中的 PGD 样本"
                   f"的损失的相反数为它打分（{pgd_steps} 步，随机起点，种子 0）")
    return say("The gain over the plain loss peaks near the radius the robust model was "
               "trained at.",
               "相对于普通损失的增益在鲁棒模型的训练半径附近最大。")


@register("2.3-3", topic="robust and clean generalisation gaps")
def _gaps(answer, *, models: Mapping, x_members, y_members, nonmember_robust: Mapping,
          clean_gaps: Mapping, epsilon: float, steps: int, restarts: int) -> Message:
    from rnnsec.adversarial import evaluate_robustness

    require(isinstance(answer, Mapping) and set(answer) == set(_KINDS),
            'give a dict {"standard": (robust gap, clean gap), "adversarial": (...)}',
            zh='请给出一个 dict {"standard": (鲁棒差距, 干净差距), "adversarial": (...)}')
    for kind in _KINDS:
        pair = answer[kind]
        require(isinstance(pair, (tuple, list)) and len(pair) == 2,
                f"answer[{kind!r}] must be a pair (robust gap, clean gap)",
                zh=f"answer[{kind!r}] 必须是一个二元组（鲁棒差距，干净差距）")
        on_members = evaluate_robustness(models[kind], x_members, y_members, epsilon,
                                         steps=steps, restarts=restarts, clip_min=0.0,
                                         clip_max=1.0, seed=0).robust_accuracy
        right = on_members - float(nonmember_robust[kind])
        require(not (abs(right) > 0.01 and abs(float(pair[0]) + right) < 0.01),
                f"the robust gap of the {kind} model has the wrong sign: members minus "
                "non-members",
                zh=f"{kind} 模型的鲁棒差距符号反了：应为成员减去非成员")
        require(abs(float(pair[0]) - right) < 0.01,
                f"the robust gap of the {kind} model is off: robust accuracy by the protocol "
                f"(evaluate_robustness, {steps} steps, {restarts} restarts, seed 0) on the "
                "members minus the non-members' robust accuracy in the table",
                zh=f"{kind} 模型的鲁棒差距不对：应为按协议（evaluate_robustness，{steps} 步，"
                   f"{restarts} 次重启，种子 0）在成员上测得的鲁棒准确率，减去表中非成员的"
                   "鲁棒准确率")
        require(abs(float(pair[1]) - float(clean_gaps[kind])) < 1e-6,
                f"the clean gap of the {kind} model is off: train accuracy minus test accuracy",
                zh=f"{kind} 模型的干净差距不对：应为训练准确率减去测试准确率")
    return say("The robust model's robust gap is what the adversarial-loss attack reads.",
               "鲁棒模型的鲁棒差距正是对抗损失攻击所读取的东西。")
