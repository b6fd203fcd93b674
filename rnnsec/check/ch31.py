"""Self-checks for the exercises of Chapter 3.1 (Adversarial training).

The checkers test the pass counts of the training methods against their definitions, and
rerun cheap attacks (FGSM, PGD-10, SimBA) on the model the notebook passes as context to judge
the reader's robust accuracies.
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import fgsm, pgd, simba
from rnnsec.check._core import Message, as_fraction, register, require, say

PASSES = {"standard": 1, "PGD-3 AT": 4, "FGSM-RS AT": 2, "free AT (m=4)": 1, "TRADES-3 AT": 5}
BUDGETS = (50, 200, 800)




@register("3.1-1", topic="forward/backward passes per minibatch of each training method")
def _passes(answer, **_) -> Message:
    require(isinstance(answer, dict), "give a dict from method name to passes per minibatch",
            zh="请给出一个从方法名映射到每个小批量传播次数的 dict")
    require(set(answer) == set(PASSES), f"the keys should be the methods {list(PASSES)}, got "
                                        f"{sorted(answer)}",
            zh=f"键应当是这些方法 {list(PASSES)}，而你给的是 {sorted(answer)}")
    for name, value in answer.items():
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        require(ok, f"answer[{name!r}] should be a whole number of passes, got {value!r}",
                zh=f"answer[{name!r}] 应当是传播次数（一个整数），而你给的是 {value!r}")
    require(answer["standard"] == 1, "standard training is one forward/backward pass",
            zh="标准训练是一次前向/反向传播")
    require(answer["PGD-3 AT"] == 4, "PGD-k needs k attack passes plus the training pass",
            zh="PGD-k 需要 k 次攻击传播，再加上训练传播")
    require(answer["FGSM-RS AT"] == 2, "FGSM-RS is one attack step plus the training step",
            zh="FGSM-RS 是一个攻击步加上训练步")
    require(answer["free AT (m=4)"] == 1,
            "free AT reuses the training pass's input gradient: count passes per minibatch "
            "per epoch of data seen (the epochs are divided by m)",
            zh="免费对抗训练重用训练传播中关于输入的梯度：按所见数据的每个轮次统计每个小批量的"
               "传播次数（轮次数除以 m）")
    require(answer["TRADES-3 AT"] == 5,
            "TRADES-k: the clean forward pass, k KL steps and the training pass",
            zh="TRADES-k：干净样本的前向传播、k 个 KL 步以及训练传播")
    return say("Right: PGD-k costs k+1 passes, a single step 2, free AT replays each minibatch "
               "m times over m times fewer epochs.",
               "正确：PGD-k 需要 k+1 次传播，单步方法需要 2 次，免费对抗训练在少 m 倍的轮次中"
               "把每个小批量重放 m 次。")


@register("3.1-2", topic="gradient-masking check: FGSM against PGD-10 on the FGSM-RS model")
def _masking(answer, *, model, x, y, epsilon: float, clip_min: float = 0.0,
             clip_max: float = 1.0) -> Message:
    require(isinstance(answer, dict) and set(answer) == {"fgsm", "pgd"},
            "give a dict with the keys 'fgsm' and 'pgd' (robust accuracies)",
            zh="请给出一个含有键 'fgsm' 和 'pgd' 的 dict（鲁棒准确率）")
    one = as_fraction(answer["fgsm"], "answer['fgsm']", zh="answer['fgsm'] 的值")
    many = as_fraction(answer["pgd"], "answer['pgd']", zh="answer['pgd'] 的值")
    tol = max(0.02, 2.0 / len(y))
    ref_one = fgsm(model, x, y, epsilon, clip_min=clip_min, clip_max=clip_max,
                   progress=False).robust_accuracy
    require(abs(one - ref_one) <= tol,
            f"answer['fgsm'] is not FGSM's robust accuracy at epsilon = {epsilon} (L-inf, "
            f"inputs clipped to [{clip_min}, {clip_max}]) on the digits passed as x=: is it an "
            "accuracy, not a success rate, on this model?",
            zh=f"answer['fgsm'] 不是 FGSM 在 epsilon = {epsilon}（L-inf，输入裁剪到 "
               f"[{clip_min}, {clip_max}]）下、在作为 x= 传入的数字上的鲁棒准确率："
               "它是这个模型上的准确率，而不是成功率吗？")
    ref_many = pgd(model, x, y, epsilon, steps=10, clip_min=clip_min, clip_max=clip_max,
                   seed=0, progress=False).robust_accuracy
    require(abs(many - ref_many) <= max(0.04, tol),
            f"answer['pgd'] is not PGD-10's robust accuracy at epsilon = {epsilon} (random "
            "start, default step size, clipped inputs) on the same digits",
            zh=f"answer['pgd'] 不是 PGD-10 在 epsilon = {epsilon}（随机起点，默认步长，"
               "输入经过裁剪）下、在同样的数字上的鲁棒准确率")
    return say("Right: PGD-10 leaves fewer digits correct than one FGSM step, as it should "
               "when the gradients are informative.",
               "正确：PGD-10 留下的正确数字比一步 FGSM 少，梯度有信息量时理应如此。")


@register("3.1-3", topic="SimBA robust accuracy against its query budget")
def _budget(answer, *, model, x, y, epsilon: float, clip_min: float = 0.0,
            clip_max: float = 1.0) -> Message:
    require(isinstance(answer, dict), f"give a dict from the query budget {list(BUDGETS)} to "
                                      "SimBA's robust accuracy",
            zh=f"请给出一个从查询预算 {list(BUDGETS)} 映射到 SimBA 鲁棒准确率的 dict")
    require(set(answer) == set(BUDGETS), f"the keys should be the budgets {list(BUDGETS)}, "
                                         f"got {sorted(answer)}",
            zh=f"键应当是这些预算 {list(BUDGETS)}，而你给的是 {sorted(answer)}")
    accs = [as_fraction(answer[b], f"answer[{b}]", zh=f"answer[{b}] 的值") for b in BUDGETS]
    require(all(b <= a + 1e-9 for a, b in zip(accs, accs[1:], strict=False)),
            "a larger query budget (same seed) can only leave fewer digits correct: are these "
            "robust accuracies, not success rates, and from the same seed?",
            zh="更大的查询预算（相同种子）只会留下更少的正确数字：这些是鲁棒准确率而不是成功率吗？"
               "它们来自同一个种子吗？")
    tol = max(0.02, 2.0 / len(y))
    ref = simba(model, x, y, epsilon, max_queries=BUDGETS[0], clip_min=clip_min,
                clip_max=clip_max, seed=0, progress=False).robust_accuracy
    require(abs(accs[0] - ref) <= tol,
            f"answer[{BUDGETS[0]}] is not SimBA's robust accuracy at epsilon = {epsilon} with "
            f"{BUDGETS[0]} queries (seed 0) on the digits passed as x=",
            zh=f"answer[{BUDGETS[0]}] 不是 SimBA 在 epsilon = {epsilon}、{BUDGETS[0]} 次查询"
               "（种子 0）下、在作为 x= 传入的数字上的鲁棒准确率")
    features = int(np.prod(np.shape(x)[1:]))
    require(2 * features + 1 > BUDGETS[1] or abs(accs[2] - accs[1]) <= tol,
            f"with {features} coordinates SimBA runs out of directions before {BUDGETS[1]} "
            "queries, so 800 queries should change nothing: rerun both with seed 0",
            zh=f"只有 {features} 个坐标时，SimBA 在 {BUDGETS[1]} 次查询之前就用完了所有方向，"
               "因此 800 次查询不应改变任何结果：请用种子 0 重新运行这两次")
    return say(f"Right: with {features} coordinates, tried at most twice each, SimBA has "
               "nothing left to try beyond a few hundred queries.",
               f"正确：只有 {features} 个坐标、每个至多尝试两次，超过几百次查询后 SimBA "
               "已无可尝试。")
