"""Self-checks for the exercises of Chapter 5.1 (Adversarial training in practice).

The checkers recompute clean accuracies and robust accuracies (the book's protocol,
``rnnsec.adversarial.evaluate_robustness``) of the models the notebook passes as context, and
the gap between the weight gradients with and without ``stop_gradient`` through one L2 step
of the attack on the notebook's model and batch.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec.adversarial import evaluate_robustness
from rnnsec.check._core import Message, as_fraction, as_number, register, require, say


def _robust(model, x, y, epsilon: float) -> float:
    """The book's robust accuracy on pixels in [0, 1], seed 0 (the chapter's evaluation)."""
    return evaluate_robustness(model, x, y, epsilon, clip_min=0.0, clip_max=1.0,
                               seed=0).robust_accuracy


@register("5.1-1", topic="clean and robust accuracy of the mixture-loss (alpha 0.5) model")
def _mixed(answer, *, model, x, y, x_eval, y_eval, epsilon: float) -> Message:
    require(isinstance(answer, dict) and {"clean", "robust"} <= set(answer),
            "give a dict with the keys 'clean' and 'robust'",
            zh="请给出一个含有键 'clean' 和 'robust' 的 dict")
    clean_got = as_fraction(answer["clean"], "answer['clean']", zh="answer['clean'] 的值")
    robust_got = as_fraction(answer["robust"], "answer['robust']", zh="answer['robust'] 的值")
    clean = float(np.mean(np.asarray(model(np.asarray(x))).argmax(axis=1) == np.asarray(y)))
    robust = _robust(model, x_eval, y_eval, epsilon)
    require(clean >= 0.5, "the model passed as model= is not trained (clean accuracy below 50%)",
            zh="作为 model= 传入的模型没有训练过（干净准确率低于 50%）")
    require(not (abs(clean_got - robust) <= 0.02 and abs(robust_got - clean) <= 0.02),
            "clean and robust accuracy are swapped",
            zh="干净准确率和鲁棒准确率放反了")
    require(abs(clean_got - clean) <= 1.5 / len(y),
            "answer['clean'] is not the model's accuracy on the clean test digits",
            zh="answer['clean'] 不是模型在干净测试数字上的准确率")
    require(abs(robust_got - robust) <= max(0.03, 3.0 / len(y_eval)),
            f"answer['robust'] is not the robust accuracy of evaluate_robustness at epsilon = "
            f"{epsilon} (pixels clipped to [0, 1], seed=0) on x_eval",
            zh=f"answer['robust'] 不是 evaluate_robustness 在 epsilon = {epsilon}"
               "（像素截断到 [0, 1]，seed=0）下、在 x_eval 上的鲁棒准确率")
    return say("The clean term keeps clean accuracy up; whether the robust accuracy holds "
               "depends on the one-step examples. Optimise the loss you report.",
               "干净项使干净准确率保持在高位；鲁棒准确率能否保住取决于单步样本。"
               "你报告什么，就优化什么损失。")


def _l2_step_gap(model, x, y, epsilon: float) -> float:
    """Largest weight-gradient difference with and without stop_gradient through an L2 step.

    One L2 fast-gradient step of size ``epsilon`` (norm over the whole sequence, clipped to
    [0, 1], the attack in inference mode); the loss at the attacked batch is cross-entropy on
    logits in training mode. Danskin 1967; Chapter 5.1.
    """
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.constant(np.asarray(x, dtype=np.float32))
    y = tf.constant(np.asarray(y))
    grads = []
    for stop in (True, False):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                first = loss_fn(y, model(x, training=False))
            g = inner.gradient(first, x)
            g = tf.stop_gradient(g) if stop else g
            norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2], keepdims=True))
            x_adv = tf.clip_by_value(x + epsilon * g / tf.maximum(norm, 1e-12), 0.0, 1.0)
            loss = loss_fn(y, model(x_adv, training=True))
        grads.append(outer.gradient(loss, model.trainable_variables))
    return max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(*grads, strict=True))


@register("5.1-2", topic="weight gradient with and without stop_gradient through the attack")
def _stop_gradient(answer, *, model, x, y, epsilon: float) -> Message:
    require(isinstance(answer, dict) and {"gap", "l2_gap"} <= set(answer),
            "give a dict with the keys 'gap' (largest absolute difference between the two "
            "weight gradients through PGD's sign steps) and 'l2_gap' (the same through one L2 "
            "step)",
            zh="请给出一个含有键 'gap'（经过 PGD 符号步的两个权重梯度之间的最大绝对差）和 "
               "'l2_gap'（经过一个 L2 步的同样的量）的 dict")
    gap = as_number(answer["gap"], "answer['gap']", zh="answer['gap'] 的值")
    l2_gap = as_number(answer["l2_gap"], "answer['l2_gap']", zh="answer['l2_gap'] 的值")
    require(gap >= 0 and l2_gap >= 0, "a largest absolute difference is non-negative",
            zh="最大绝对差是非负的")
    require(gap <= 1e-5, "the two gradients through PGD's sign steps should agree up to float "
                         "rounding: start both attacks from the same point (no random start) "
                         "and compare the same weights in the same order",
            zh="经过 PGD 符号步的两个梯度应当在浮点舍入误差范围内一致：让两次攻击从同一点出发"
               "（不用随机起点），并按同样的顺序比较同样的权重")
    ref = _l2_step_gap(model, x, y, epsilon)
    require(l2_gap > 1e-3 * ref,
            "through an L2 step the two gradients differ: g / ||g||_2 has a non-zero "
            "derivative, unlike sign(); did you stop the gradient in both runs?",
            zh="经过 L2 步时两个梯度是不同的：与 sign() 不同，g / ||g||_2 的导数不为零；"
               "你是否在两次运行中都截断了梯度？")
    require(abs(l2_gap - ref) <= 0.05 * ref,
            "answer['l2_gap'] is not the difference for one L2 step of size epsilon from x "
            "(g / ||g||_2 with the norm over each whole sequence, clipped to [0, 1], the "
            "attack in inference mode and the loss at the attacked batch in training mode)",
            zh="answer['l2_gap'] 不是从 x 出发、大小为 epsilon 的一个 L2 步所对应的差"
               "（g / ||g||_2，范数在每个完整序列上计算，结果截断到 [0, 1]，攻击用推理模式，"
               "受攻击批次上的损失用训练模式）")
    return say("Through sign() the extra path contributes nothing; through an L2 step it "
               "does, though it vanishes at an exact maximiser. Danskin's gradient holds the "
               "maximiser fixed, which stop_gradient computes exactly and cheaply.",
               "经过 sign() 时，额外路径毫无贡献；经过 L2 步时则有贡献，尽管它在精确的最大化点处"
               "会消失。Danskin 梯度把最大化点保持固定，而 stop_gradient 精确且廉价地计算了它。")


@register("5.1-3", topic="robust accuracy from half a grey level to three grey levels")
def _grey(answer, *, models, grey_levels, x, y) -> Message:
    require(isinstance(models, dict) and models, "pass models= as a dict from name to model",
            zh="请把 models= 作为一个从名称映射到模型的 dict 传入")
    require(isinstance(answer, dict) and set(answer) == set(models),
            f"give a dict with the keys {list(models)}, each a list of robust accuracies",
            zh=f"请给出一个含有键 {list(models)} 的 dict，每个值都是一个鲁棒准确率列表")
    levels = [float(g) for g in grey_levels]
    for name, curve in answer.items():
        require(len(curve) == len(levels),
                f"answer[{name!r}] should have one accuracy per grey level ({len(levels)})",
                zh=f"answer[{name!r}] 应当为每个灰度级给出一个准确率（共 {len(levels)} 个）")
        accs = [as_fraction(a, f"answer[{name!r}][{i}]", zh=f"answer[{name!r}][{i}] 的值")
                for i, a in enumerate(curve)]
        require(all(b <= a + 0.03 for a, b in zip(accs, accs[1:], strict=False)),
                f"answer[{name!r}] rises with the budget: give robust accuracies at growing "
                "budgets (epsilon = grey levels / 16)",
                zh=f"answer[{name!r}] 随预算增大而上升：请给出预算逐渐增大时的鲁棒准确率"
                   "（epsilon = 灰度级 / 16）")
    for name, model in models.items():
        for i in (0, len(levels) - 1):
            ref = _robust(model, x, y, levels[i] / 16)
            require(abs(float(answer[name][i]) - ref) <= max(0.03, 3.0 / len(y)),
                    f"answer[{name!r}] at {levels[i]} grey levels does not match "
                    f"evaluate_robustness at epsilon = {levels[i]} / 16 (pixels clipped to "
                    "[0, 1], seed=0) on x=",
                    zh=f"answer[{name!r}] 在 {levels[i]} 个灰度级处与 evaluate_robustness 在 "
                       f"epsilon = {levels[i]} / 16（像素截断到 [0, 1]，seed=0）下、在 x= 上的"
                       "结果不符")
    return say("Adversarial training protects up to about its training budget and "
               "degrades beyond it.",
               "对抗训练大约在其训练预算以内提供保护，超出之后性能下降。")
