"""Self-checks for the exercises of Chapter 2.1 (Adversarial attacks on RNNs).

The checkers rerun cheap parts of the reader's experiment (a few PGD runs, the word
substitutions) on the models the notebook passes as context, and test the properties a right
answer has (a black-box result inside its budget, accuracy falling with more steps).
"""

from __future__ import annotations

import numpy as np

from rnnsec.adversarial import pgd, word_substitution
from rnnsec.adversarial.results import AttackResult
from rnnsec.check._core import Message, as_fraction, register, require, say


@register("2.1-1", topic="PGD robust accuracy against the number of steps")
def _steps(answer, *, model, x, y, mask, epsilon: float) -> Message:
    steps = (1, 3, 10, 30)
    require(isinstance(answer, dict), "give a dict from the number of steps (1, 3, 10, 30) to "
                                      "the robust accuracy",
            zh="请给出一个从步数（1、3、10、30）映射到鲁棒准确率的 dict")
    require(set(answer) == set(steps), f"the keys should be the step counts {list(steps)}, got "
                                       f"{sorted(answer)}",
            zh=f"键应当是步数 {list(steps)}，而你给的是 {sorted(answer)}")
    accs = [as_fraction(answer[k], f"answer[{k}]", zh=f"answer[{k}] 的值") for k in steps]
    require(all(b <= a + 0.02 for a, b in zip(accs, accs[1:], strict=False)),
            "more PGD steps should never leave a clearly higher robust accuracy: are these "
            "robust accuracies (not success rates), all at the same epsilon?",
            zh="更多的 PGD 步数绝不应留下明显更高的鲁棒准确率：这些是鲁棒准确率"
               "（而不是成功率）吗？它们都在同一个 epsilon 下吗？")
    tol = max(0.03, 2.0 / len(y))
    for k in (1, 10):
        ref = pgd(model, x, y, epsilon, steps=k, mask=mask, seed=0,
                  progress=False).robust_accuracy
        require(abs(answer[k] - ref) <= tol,
                f"answer[{k}] does not match PGD-{k} at epsilon = {epsilon} (L-inf, default "
                "step size, mask=) on the attacked utterances",
                zh=f"answer[{k}] 与受攻击发音上 epsilon = {epsilon} 的 PGD-{k}"
                   "（L-inf，默认步长，mask=）的结果不符")
    return say("Most of the gain comes in the first few steps and the curve is flat "
               "after about ten.",
               "大部分收益来自最初几步，大约十步之后曲线就平了。")


@register("2.1-2", topic="SimBA in the L2 norm (eps 2, 500 queries) against white-box PGD")
def _simba_l2(answer, *, model, x, y, mask, epsilon: float = 2.0,
              max_queries: int = 500) -> Message:
    require(isinstance(answer, AttackResult), "pass the AttackResult that simba(...) returned",
            zh="请传入 simba(...) 返回的 AttackResult")
    require(answer.attack == "simba", f"this is a {answer.attack!r} result; run simba",
            zh=f"这是 {answer.attack!r} 的结果；请运行 simba")
    require(answer.norm == "2", "run SimBA in the L2 norm (norm=\"2\")",
            zh="请在 L2 范数下运行 SimBA（norm=\"2\"）")
    require(abs(answer.epsilon - epsilon) < 1e-9, f"use epsilon = {epsilon} (L2, whole sequence)",
            zh=f"请使用 epsilon = {epsilon}（L2，整个序列）")
    x, mask = np.asarray(x, dtype=np.float32), np.asarray(mask)
    require(answer.x_adv.shape == x.shape, "attack the same utterances you passed as x=",
            zh="请攻击你作为 x= 传入的同一批发音")
    require(np.all(answer.y == np.asarray(y)), "attack with the true labels y (untargeted)",
            zh="请用真实标签 y 进行攻击（非定向）")
    delta = answer.x_adv - x
    require(np.all(np.sqrt((delta ** 2).sum(axis=(1, 2))) <= epsilon * (1 + 1e-4) + 1e-5),
            "some perturbation is outside the L2 ball of radius epsilon",
            zh="有的扰动落在半径为 epsilon 的 L2 球之外")
    require(np.all(delta[mask == 0] == 0), "pass mask= so the padding stays untouched",
            zh="请传入 mask=，使填充部分保持不变")
    require(answer.queries is not None and answer.queries.max() <= max_queries,
            f"give SimBA a budget of max_queries={max_queries}",
            zh=f"请给 SimBA 设定 max_queries={max_queries} 的查询预算")
    pred = np.asarray(model(answer.x_adv)).argmax(axis=1)
    require(np.mean(pred == answer.pred_adv) >= 0.99,
            "the result's predictions do not match model= on its adversarial inputs: attack "
            "the model you pass as model=",
            zh="结果中的预测与 model= 在这些对抗输入上的预测不符：请攻击你作为 model= 传入的模型")
    white = 1 - pgd(model, x, y, epsilon, norm="2", steps=10, mask=mask, seed=0,
                    progress=False).robust_accuracy
    return say(f"SimBA (L2) succeeds on {answer.success_rate:.1%}, white-box PGD (L2, 10 steps) "
               f"on {white:.1%}: the black-box attack stays below the white-box one, as in L-inf.",
               f"SimBA（L2）的成功率为 {answer.success_rate:.1%}，白盒 PGD（L2，10 步）为 "
               f"{white:.1%}：与 L-inf 中一样，黑盒攻击仍低于白盒攻击。")


def _flip(result: AttackResult) -> float:
    """Share of correctly classified snippets whose label the attack flips."""
    right = result.pred_clean == result.y
    return float(np.mean(result.success[right]))


@register("2.1-3", topic="word substitution with the victim's vs co-occurrence neighbours")
def _words(answer, *, model, x, y, candidates, num_candidates: int = 8) -> Message:
    require(isinstance(answer, dict) and set(answer) == {"victim", "cooccurrence"},
            "give a dict with the keys 'victim' and 'cooccurrence', each a dict from max_words "
            "(1 and 3) to the flip rate",
            zh="请给出一个含有键 'victim' 和 'cooccurrence' 的 dict，每个值都是一个从 "
               "max_words（1 和 3）映射到翻转率的 dict")
    for name in ("victim", "cooccurrence"):
        require(isinstance(answer[name], dict) and set(answer[name]) == {1, 3},
                f"answer[{name!r}] should map max_words 1 and 3 to a flip rate",
                zh=f"answer[{name!r}] 应当把 max_words 1 和 3 映射到翻转率")
        for k in (1, 3):
            as_fraction(answer[name][k], f"answer[{name!r}][{k}]",
                        zh=f"answer[{name!r}][{k}] 的值")
    for k in (1, 3):
        own = word_substitution(model, x, y, max_words=k, num_candidates=num_candidates,
                                progress=False)
        cooc = word_substitution(model, x, y, max_words=k, candidates=candidates,
                                 progress=False)
        tol = 1.0 / len(y)
        got_own, got_cooc = answer["victim"][k], answer["cooccurrence"][k]
        require(not (abs(got_own - _flip(cooc)) <= tol and abs(got_cooc - _flip(own)) <= tol),
                f"for max_words={k} the two candidate sets are swapped",
                zh=f"在 max_words={k} 时，两组候选词放反了")
        require(abs(got_own - own.success_rate) > tol or abs(own.success_rate - _flip(own)) <= tol,
                "count flips only among the snippets the model classified correctly (the flip "
                "rate), not the attack's success rate over all snippets",
                zh="只在模型分类正确的短评中统计翻转（翻转率），而不是攻击在全部短评上的成功率")
        require(abs(got_own - _flip(own)) <= tol,
                f"answer['victim'][{k}] does not match the victim's own {num_candidates} "
                f"embedding neighbours (candidates=None, num_candidates={num_candidates})",
                zh=f"answer['victim'][{k}] 与受害模型自己的 {num_candidates} 个嵌入近邻"
                   f"（candidates=None, num_candidates={num_candidates}）的结果不符")
        require(abs(got_cooc - _flip(cooc)) <= tol,
                f"answer['cooccurrence'][{k}] does not match the attacker's co-occurrence "
                "neighbours (candidates=candidates)",
                zh=f"answer['cooccurrence'][{k}] 与攻击者的共现近邻（candidates=candidates）"
                   "的结果不符")
    return say("The victim's embedding groups words of the same sentiment, so swapping within "
               "its neighbourhoods rarely flips the label; co-occurrence neighbours mix "
               "sentiments.",
               "受害模型的嵌入把情感相同的词聚在一起，因此在其近邻中替换很少能翻转标签；"
               "共现近邻则混杂了各种情感。")
