"""Self-checks for the exercises of Chapter 1 (Background).

Each checker recomputes the reader's measurement with ``rnnsec.adversarial.fgsm`` on the model
the notebook passes as context, so a right answer passes on any stack and any training run.
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import fgsm
from rnnsec.check._core import Message, as_number, register, require, say


def _rates(answer, keys: tuple[str, ...], what: str, zh: str) -> dict[str, float]:
    """The dict ``answer`` with the given keys, each a fraction in [0, 1].

    ``what`` names the answer in the hint, ``zh`` is the same noun phrase in Chinese.
    """
    in_chinese = f"请给出一个含有键 {list(keys)} 的 dict（{zh}）"  # same values, Chinese noun
    require(isinstance(answer, dict), f"give a dict with the keys {list(keys)} ({what})",
            zh=in_chinese)
    require(set(keys) <= set(answer), f"the dict needs the keys {list(keys)}, got {list(answer)}",
            zh=f"这个 dict 需要键 {list(keys)}，而你给的是 {list(answer)}")
    rates = {key: as_number(answer[key], f"answer[{key!r}]", zh=f"answer[{key!r}] 的值")
             for key in keys}
    require(all(0.0 <= r <= 1.0 for r in rates.values()),
            "accuracies and success rates are fractions in [0, 1], not percentages",
            zh="准确率和成功率是 [0, 1] 中的比例，不是百分数")
    return rates


def _accuracy(model, x, y, epsilon: float, **kwargs) -> float:
    """Accuracy of ``model`` on FGSM examples with budget ``epsilon`` (0 = clean)."""
    pred = fgsm(model, x, y, epsilon, progress=False, **kwargs).pred_adv
    return float(np.mean(pred == np.asarray(y)))


@register("1-1", topic="smallest FGSM budget that halves the speaker accuracy (bisection)")
def _eps_half(answer, *, model, x, y, mask) -> Message:
    eps = as_number(answer, "eps_half", zh="eps_half 的值")
    require(0.0 < eps <= 1.0, "the budget is in standard deviations and lies between 0 and 1 "
                              "here: bisect over [0, 1]",
            zh="预算以标准差为单位，在这里介于 0 和 1 之间：在 [0, 1] 上进行二分查找")
    target = _accuracy(model, x, y, 0.0, mask=mask) / 2
    at_eps = _accuracy(model, x, y, eps, mask=mask)
    require(at_eps <= target, f"at eps = {eps:.4g} FGSM still leaves more than half the clean "
                              "accuracy: the budget is too small (keep the upper end of the "
                              "bisection interval, where the accuracy is already halved)",
            zh=f"在 eps = {eps:.4g} 时，FGSM 过后仍保留着一半以上的干净准确率：预算太小"
               "（保留二分区间的上端，那里的准确率已经减半）")
    below = _accuracy(model, x, y, max(eps - 0.01, 0.0), mask=mask)
    require(below > target, f"a budget 0.01 smaller than {eps:.4g} already halves the accuracy: "
                            "this is not the smallest one (bisect further, or start lower)",
            zh=f"比 {eps:.4g} 小 0.01 的预算已经能使准确率减半：这不是最小的预算"
               "（继续二分，或从更低处开始）")
    return say(f"FGSM halves the accuracy at eps = {eps:.3f} standard deviations (to within "
               "0.01), well under the spread of one coefficient.",
               f"FGSM 在 eps = {eps:.3f} 个标准差时使准确率减半（误差在 0.01 以内），"
               "远小于一个系数的离散程度。")


@register("1-2", topic="clean and FGSM accuracy of a GRU on the row-wise digits")
def _gru(answer, *, model, x, y, epsilon: float = 0.05) -> Message:
    rates = _rates(answer, ("clean", "fgsm"), "the GRU's clean and FGSM accuracy",
                   zh="GRU 的干净准确率和 FGSM 下的准确率")
    clean = _accuracy(model, x, y, 0.0)
    attacked = _accuracy(model, x, y, epsilon, clip_min=0.0, clip_max=1.0)
    tol = 1.5 / len(y)
    require(abs(rates["clean"] - clean) <= tol,
            "answer['clean'] is not the GRU's accuracy on the clean test digits "
            "(evaluate the GRU you passed as model=, on digits.x_test)",
            zh="answer['clean'] 不是 GRU 在干净测试数字上的准确率"
               "（在 digits.x_test 上评估你作为 model= 传入的 GRU）")
    require(abs(rates["fgsm"] - (1 - attacked)) > tol or abs(attacked - 0.5) <= tol,
            "answer['fgsm'] looks like the attack's success rate; give the accuracy on the "
            "adversarial digits",
            zh="answer['fgsm'] 看起来是攻击的成功率；请给出在对抗数字上的准确率")
    require(abs(rates["fgsm"] - attacked) <= tol,
            f"answer['fgsm'] is not the GRU's accuracy under FGSM with eps = {epsilon} and "
            "pixels clipped to [0, 1] (clip_min=0.0, clip_max=1.0)",
            zh=f"answer['fgsm'] 不是 GRU 在 eps = {epsilon}、像素裁剪到 [0, 1]"
               "（clip_min=0.0, clip_max=1.0）的 FGSM 下的准确率")
    return say(f"FGSM (eps = {epsilon}) costs the GRU {100 * (clean - attacked):.1f} percentage "
               "points of accuracy: swapping the cell is not a defence.",
               f"FGSM（eps = {epsilon}）使 GRU 的准确率下降了 {100 * (clean - attacked):.1f} "
               "个百分点：更换循环单元不是一种防御。")


@register("1-3", topic="targeted vs untargeted FGSM success (speaker 3 -> speaker 7)")
def _targeted(answer, *, model, x, y, mask, epsilon: float = 0.5, source: int = 2,
              target: int = 6) -> Message:
    rates = _rates(answer, ("targeted", "untargeted"), "success rates of the two attacks",
                   zh="两种攻击的成功率")
    y = np.asarray(y)
    pick = y == source
    require(pick.any(), f"no example of class {source} in y",
            zh=f"y 中没有类别 {source} 的样本")
    xs, ms = np.asarray(x)[pick], np.asarray(mask)[pick]
    hit = fgsm(model, xs, np.full(pick.sum(), target), epsilon, mask=ms, targeted=True,
               progress=False).success_rate
    away = fgsm(model, xs, y[pick], epsilon, mask=ms, progress=False).success_rate
    tol = 0.5 / pick.sum()
    if abs(rates["targeted"] - away) <= tol and abs(rates["untargeted"] - hit) <= tol:
        require(False, "the two rates are swapped", zh="两个成功率放反了")
    require(abs(rates["targeted"] - hit) <= tol,
            f"answer['targeted'] is not the share of class-{source} utterances that targeted "
            f"FGSM (eps = {epsilon}, targets all {target}, targeted=True, mask=) sends to "
            f"class {target}; attack only the utterances of that speaker",
            zh=f"answer['targeted'] 不是定向 FGSM（eps = {epsilon}，目标全部为 {target}，"
               f"targeted=True，mask=）使类别 {source} 的发音被判为类别 {target} 的比例；"
               "只攻击该说话人的发音")
    require(abs(rates["untargeted"] - away) <= tol,
            f"answer['untargeted'] is not the untargeted FGSM success rate (eps = {epsilon}) "
            f"on the same class-{source} utterances with their true labels",
            zh=f"answer['untargeted'] 不是在同样的类别 {source} 发音上、使用其真实标签的"
               f"非定向 FGSM（eps = {epsilon}）成功率")
    return say("Hitting one chosen speaker is much harder for a single step than leaving the "
               "true one; iterative attacks close the gap (Chapter 2.1).",
               "对单步攻击而言，命中一个选定的说话人比离开真实说话人难得多；"
               "迭代攻击能缩小这一差距（第 2.1 章）。")
