"""Self-checks for the exercises of Chapter 2.4 (Training-time attacks: poisoning and backdoors)."""

from __future__ import annotations

import math

import numpy as np

from rnnsec.check._core import Message, as_fraction, as_number, register, require, say


def _success_on(model, x, y, trigger, target: int, *, every_class: bool) -> float:
    from rnnsec.privacy.attacks import model_logits

    rows = np.ones(len(y), dtype=bool) if every_class else np.asarray(y) != target
    triggered = trigger.apply(np.asarray(x)[rows], seed=1).x
    return float(np.mean(model_logits(model, triggered).argmax(axis=1) == target))


@register("2.4-1", topic="attack success rate of a backdoor, by hand")
def _attack_success(answer, *, model, x, y, trigger, target: int) -> Message:
    value = as_fraction(answer, "the attack success rate", zh="攻击成功率")
    n_others = int(np.sum(np.asarray(y) != target))
    expected = _success_on(model, x, y, trigger, target, every_class=False)
    if abs(value - expected) > 1.0 / n_others:
        everything = _success_on(model, x, y, trigger, target, every_class=True)
        require(abs(value - everything) > 1.0 / len(y),
                "you counted the triggered digits of the target class too: a triggered 0 "
                "classified as 0 is ordinary accuracy, keep only labels other than the target",
                zh="你把目标类别中带触发器的数字也计入了：带触发器的 0 被判为 0 只是普通的"
                   "准确率，请只保留标签不是目标类别的数字")
        clean = float(np.mean(
            _predictions(model, np.asarray(x)[np.asarray(y) != target]) == target))
        require(abs(value - clean) > 1.0 / n_others,
                "that is the share of *clean* non-target digits sent to the target: write the "
                "trigger into them first (trigger.apply(x).x)",
                zh="这是*干净的*非目标数字被判为目标类别的比例：请先把触发器写入它们"
                   "（trigger.apply(x).x）")
        require(False, "not the share of triggered non-target test digits classified as the "
                       "target",
                zh="这不是带触发器的非目标测试数字被判为目标类别的比例")
    return say(f"Attack success {expected:.3f} on {n_others} triggered digits of the other "
               "classes.",
               f"在其他类别的 {n_others} 个带触发器的数字上，攻击成功率为 {expected:.3f}。")


def _predictions(model, x) -> np.ndarray:
    from rnnsec.privacy.attacks import model_logits

    return model_logits(model, x).argmax(axis=1)


def _bound(p_clean: float, k: int, epsilon: float, delta: float) -> float:
    from rnnsec.poisoning import group_privacy_bound

    return group_privacy_bound(p_clean, k=k, epsilon=epsilon, delta=delta)


@register("2.4-2", topic="group-privacy bound on a backdoor with a few poisoned records")
def _group_bound(answer, *, p_clean: float, n_poison: int, epsilon: float,
                 delta: float) -> Message:
    value = as_fraction(answer, "the bound (a probability, capped at 1)",
                        zh="这个界（一个概率，上限为 1）")
    expected = _bound(p_clean, 2 * n_poison, epsilon, delta)
    if not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-12):
        require(not math.isclose(value, _bound(p_clean, n_poison, epsilon, delta),
                                 rel_tol=1e-6),
                "a replaced record is one removal plus one addition under the accountant's "
                "add/remove relation: the group has k = 2 n records",
                zh="在隐私会计的加入/删除相邻关系下，替换一条记录等于一次删除加一次加入："
                   "群组有 k = 2 n 条记录")
        textbook = min(1.0, math.exp(2 * n_poison * epsilon) * p_clean + 2 * n_poison
                       * math.exp((2 * n_poison - 1) * epsilon) * delta)
        require(not math.isclose(value, textbook, rel_tol=1e-6),
                "that is the looser k e^((k-1) eps) delta form; sum the geometric series "
                "delta (e^(k eps) - 1) / (e^eps - 1) instead",
                zh="这是较宽松的 k e^((k-1) eps) delta 形式；请改为对几何级数求和，"
                   "得到 delta (e^(k eps) - 1) / (e^eps - 1)")
        require(not math.isclose(value, min(1.0, math.exp(2 * n_poison * epsilon) * p_clean),
                                 rel_tol=1e-6),
                "the delta term is missing",
                zh="缺少 delta 项")
        require(False, "not e^(k eps) p_clean + delta (e^(k eps) - 1) / (e^eps - 1) with "
                       "k = 2 n_poison, capped at 1",
                zh="这不是 e^(k eps) p_clean + delta (e^(k eps) - 1) / (e^eps - 1)"
                   "（k = 2 n_poison，上限为 1）")
    return say(f"Bound {expected:.4f} for {n_poison} replaced records (k = {2 * n_poison}).",
               f"{n_poison} 条被替换的记录（k = {2 * n_poison}）的界为 {expected:.4f}。")


@register("2.4-3", topic="how many poisoned records a DP guarantee covers")
def _records_covered(answer, *, p_clean: float, epsilon: float, delta: float) -> Message:
    value = as_number(answer, "n_max", zh="n_max 的值")
    require(value == int(value) and value >= 0, "n_max is a number of records (an integer >= 0)",
            zh="n_max 是记录的条数（一个 >= 0 的整数）")
    require(epsilon > 0 or delta > 0 or p_clean >= 0.5,
            "with epsilon = delta = 0 the bound never grows: every number of records is covered",
            zh="当 epsilon = delta = 0 时界永远不会增长：任何条数的记录都被覆盖")
    n = 0
    while _bound(p_clean, 2 * (n + 1), epsilon, delta) < 0.5:
        n += 1
    if int(value) != n:
        m = 0
        while _bound(p_clean, m + 1, epsilon, delta) < 0.5:
            m += 1
        require(int(value) != m, "each replaced record counts twice (k = 2 n): that n_max "
                                 "is for added records",
                zh="每条被替换的记录算两次（k = 2 n）：这个 n_max 对应的是加入的记录")
        require(False, f"not the largest n with a bound below 0.5 (the bound at your n is "
                       f"{_bound(p_clean, 2 * int(value), epsilon, delta):.3f})",
                zh="这不是使界低于 0.5 的最大 n（在你的 n 处界为 "
                   f"{_bound(p_clean, 2 * int(value), epsilon, delta):.3f}）")
    return say(f"Up to {n} poisoned records keep the bound below 0.5.",
               f"至多 {n} 条投毒记录能使界保持在 0.5 以下。")
