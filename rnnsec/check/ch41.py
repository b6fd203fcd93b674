"""Self-checks for the exercises of Chapter 4.1 (The min-max problem).

The checkers recompute the exact quantities of the chapter: the worst-case loss of a linear
(affine) classifier from its input gradient, the first tie of the finite-set maximum along a
direction (Danskin's theorem) and interval bounds of a linear RNN from its weights.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec.check._core import Message, register, require, say


def _margins_and_grads(model, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Margins z_y - z_other [B] of a two-class model and their input gradients [B, T, D]."""
    xt = tf.constant(np.asarray(x, dtype=np.float32))
    y = np.asarray(y)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        z = model(xt)  # [B, 2]
        sign = tf.constant(np.where(y == 1, 1.0, -1.0).astype(np.float32))
        margin = sign * (z[:, 1] - z[:, 0])  # [B]
    return margin.numpy().astype(np.float64), tape.gradient(margin, xt).numpy()


def _numbers(values, n: int, what: str) -> np.ndarray:
    """``values`` as a float array of ``n`` entries, or a hint (``what``: its name in the code)."""
    arr = np.asarray(values)
    require(arr.dtype.kind in "fiu", f"{what} should hold numbers, got dtype {arr.dtype}",
            zh=f"{what} 应当包含数值，而它的 dtype 是 {arr.dtype}")
    require(arr.shape == (n,), f"{what} should hold one value per example, shape ({n},), got "
                               f"{arr.shape}",
            zh=f"{what} 应当为每个样本包含一个值，形状为 ({n},)，而你给的是 {arr.shape}")
    require(np.all(np.isfinite(arr)), f"{what} holds non-finite values",
            zh=f"{what} 中含有非有限的值")
    return arr.astype(np.float64)


@register("4.1-1", topic="closed-form worst-case loss of the linear RNN in the L2 ball")
def _linear_l2(answer, *, model, x, y, epsilon: float = 0.5) -> Message:
    loss = _numbers(answer, len(y), "closed_l2")
    margin, grad = _margins_and_grads(model, x, y)
    l2 = np.sqrt((grad.astype(np.float64) ** 2).sum(axis=(1, 2)))  # ||w||_2 per example
    l1 = np.abs(grad.astype(np.float64)).sum(axis=(1, 2))

    def close(ref):
        return np.allclose(loss, ref, rtol=1e-3, atol=1e-6)

    right = np.logaddexp(0.0, -(margin - epsilon * l2))
    require(not close(np.logaddexp(0.0, -margin)), "these are the clean losses: the worst case "
                                                   "lowers the margin by epsilon times a norm",
            zh="这些是干净损失：最坏情况会使间隔降低 epsilon 乘以某个范数")
    require(not close(np.logaddexp(0.0, -(margin - epsilon * l1))),
            "||w||_1 is the dual norm of L-inf; the L2 ball needs the dual norm of L2",
            zh="||w||_1 是 L-inf 的对偶范数；L2 球需要 L2 的对偶范数")
    require(not close(np.logaddexp(0.0, -(margin + epsilon * l2))),
            "the sign is wrong: the adversary lowers the margin",
            zh="符号错了：攻击者会降低间隔")
    require(close(right), "not the worst-case loss log(1 + exp(-(m - epsilon * ||w||))) per "
                          "digit with the dual norm of L2 and epsilon = 0.5",
            zh="这不是每个数字的最坏情况损失 log(1 + exp(-(m - epsilon * ||w||)))"
               "（使用 L2 的对偶范数，epsilon = 0.5）")
    return say("In the L2 ball the margin drops by epsilon * ||w||_2: ||.||_2 is its own dual "
               "norm.",
               "在 L2 球中，间隔降低 epsilon * ||w||_2：||.||_2 是它自己的对偶范数。")


@register("4.1-2", topic="a tie of two perturbations: one-sided derivatives of the max")
def _kink(answer, *, theta, losses) -> Message:
    keys = {"direction", "s_tie", "left", "right"}
    require(isinstance(answer, dict) and keys <= set(answer),
            f"give a dict with the keys {sorted(keys)}",
            zh=f"请给出一个含有键 {sorted(keys)} 的 dict")
    u = answer["direction"]
    require(isinstance(u, (list, tuple)) and len(u) == len(theta)
            and all(np.shape(a) == np.shape(p) for a, p in zip(u, theta, strict=True)),
            "answer['direction'] should be a list of arrays shaped like theta",
            zh="answer['direction'] 应当是一个数组列表，各数组的形状与 theta 相同")
    u = [np.asarray(a, dtype=np.float64) for a in u]

    def at(s):
        moved = [p + s * d for p, d in zip(theta, u, strict=True)]
        return np.asarray(losses(moved), dtype=np.float64)

    order = np.argsort(at(0.0))
    k1, k2 = int(order[-1]), int(order[-2])
    h = 1e-6
    slope = ((at(h)[k2] - at(h)[k1]) - (at(-h)[k2] - at(-h)[k1])) / (2 * h)
    size = sum(float((d ** 2).sum()) for d in u)
    require(size > 0, "answer['direction'] is zero", zh="answer['direction'] 为零")
    require(abs(slope + size) > 1e-3 * size,
            "the direction has the wrong sign: runner-up minus maximiser, so the runner-up "
            "gains on the maximiser",
            zh="方向的符号反了：应为次优者减去最大化者，这样次优者才会追上最大化者")
    require(abs(slope - size) <= 1e-3 * size,
            "answer['direction'] is not the gradient of the runner-up's loss minus the "
            "maximiser's loss at theta",
            zh="answer['direction'] 不是在 theta 处次优者的损失减去最大化者的损失的梯度")
    s_tie = float(answer["s_tie"])
    require(s_tie > 0, "the tie lies at a positive step along the direction",
            zh="并列点位于沿该方向的一个正步长处")
    top = at(s_tie)
    others = np.delete(top, k1)
    require(abs(top[k1] - others.max()) <= 1e-7 * max(1.0, abs(top[k1])),
            "at answer['s_tie'] the maximiser and the perturbation that overtakes it do not tie "
            "exactly: locate the root of their loss gap (e.g. scipy.optimize.brentq)",
            zh="在 answer['s_tie'] 处，最大化者与超过它的扰动并没有精确并列："
               "请找出它们损失之差的根（例如用 scipy.optimize.brentq）")
    grid = np.linspace(0.0, s_tie, 201)[:-1]
    require(all(int(np.argmax(at(s))) == k1 for s in grid),
            "another perturbation overtakes the maximiser before answer['s_tie']: find the "
            "first tie",
            zh="在 answer['s_tie'] 之前已有另一个扰动超过了最大化者：请找出第一个并列点")
    step = 1e-6
    right = (at(s_tie + step).max() - top.max()) / step
    left = (top.max() - at(s_tie - step).max()) / step
    got_left, got_right = float(answer["left"]), float(answer["right"])
    tol = 1e-3 * max(1.0, abs(left), abs(right))
    require(not (abs(got_left - right) <= tol and abs(got_right - left) <= tol),
            "left and right derivatives are swapped",
            zh="左导数和右导数放反了")
    require(abs(got_left - left) <= tol, "answer['left'] is not the left derivative of phi "
                                         "along the direction at the tie",
            zh="answer['left'] 不是 phi 在并列点处沿该方向的左导数")
    require(abs(got_right - right) <= tol, "answer['right'] is not the right derivative of phi "
                                           "along the direction at the tie",
            zh="answer['right'] 不是 phi 在并列点处沿该方向的右导数")
    return say("The one-sided derivatives differ, so phi has a kink at the tie; the right "
               "one is the larger slope of the tied losses, as Danskin's theorem says.",
               "两个单侧导数不同，因此 phi 在并列点处有一个折点；正如 Danskin 定理所说，"
               "右导数是两个并列损失中较大的那个斜率。")


def _linear_rnn_margins(weights, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Margins [B] and the score weights w [T, D] of a two-class linear RNN (x W + h U + b)."""
    W, U, b, V, c = [np.asarray(a, dtype=np.float64) for a in weights]
    v = V[:, 1] - V[:, 0]  # [H]
    steps = x.shape[1]
    w = np.stack([W @ np.linalg.matrix_power(U, steps - 1 - t) @ v for t in range(steps)])
    beta = b @ sum(np.linalg.matrix_power(U, k) for k in range(steps)) @ v + c[1] - c[0]
    score = np.einsum("btd,td->b", x, w) + beta  # [B]
    return np.where(y == 1, score, -score), w


def _ibp_linear(weights, x, y, eps: float) -> np.ndarray:
    """IBP loss bound [B] of a linear RNN over the L-inf box of radius eps (no clipping)."""
    W, U, b, V, c = [np.asarray(a, dtype=np.float64) for a in weights]
    mu_h, r_h = np.zeros((len(x), W.shape[1])), np.zeros((len(x), W.shape[1]))  # [B, H]
    for t in range(x.shape[1]):
        mu_h = x[:, t] @ W + mu_h @ U + b
        r_h = eps * np.abs(W).sum(axis=0) + r_h @ np.abs(U)
    v_diff = V[None, :, :] - V[:, y].T[:, :, None]  # [B, H, C]
    m_bar = (np.einsum("bh,bhc->bc", mu_h, v_diff) + np.einsum("bh,bhc->bc", r_h, np.abs(v_diff))
             + c[None, :] - c[y][:, None])
    return np.logaddexp.reduce(m_bar, axis=1)


@register("4.1-3", topic="IBP against the exact worst case on the linear RNN")
def _ibp(answer, *, weights, x, y) -> Message:
    require(isinstance(answer, dict) and len(answer) >= 2,
            "give a dict from each epsilon (1e-3 and the chapter's eps) to "
            "{'exact': mean loss, 'ibp': mean IBP bound}",
            zh="请给出一个从每个 epsilon（1e-3 和本章的 eps）映射到 "
               "{'exact': 平均损失, 'ibp': 平均 IBP 界} 的 dict")
    require(any(np.isclose(float(e), 1e-3) for e in answer), "include epsilon = 1e-3",
            zh="请包含 epsilon = 1e-3")
    require(len(weights) == 5, "pass weights=[W, U, b, V, c]",
            zh="请传入 weights=[W, U, b, V, c]")
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    margin, w = _linear_rnn_margins(weights, x, y)
    for eps, row in answer.items():
        require(float(eps) > 0, f"epsilon {eps} should be positive",
                zh=f"epsilon {eps} 应当为正数")
        require(isinstance(row, dict) and {"exact", "ibp"} <= set(row),
                f"answer[{eps}] should be a dict with the keys 'exact' and 'ibp'",
                zh=f"answer[{eps}] 应当是一个含有键 'exact' 和 'ibp' 的 dict")
        exact = np.logaddexp(0.0, -(margin - float(eps) * np.abs(w).sum())).mean()
        ibp = _ibp_linear(weights, x, y, float(eps)).mean()
        got_exact, got_ibp = float(row["exact"]), float(row["ibp"])
        require(np.isclose(got_exact, exact, rtol=1e-4),
                f"answer[{eps}]['exact'] is not the mean closed-form worst-case loss (L-inf: "
                "the margin drops by epsilon * ||w||_1)",
                zh=f"answer[{eps}]['exact'] 不是闭式最坏情况损失的平均值"
                   "（L-inf：间隔降低 epsilon * ||w||_1）")
        require(np.isclose(got_ibp, ibp, rtol=1e-4),
                f"answer[{eps}]['ibp'] is not the mean IBP loss bound of the linear RNN: use "
                "activation=lambda v: v and clip=None",
                zh=f"answer[{eps}]['ibp'] 不是线性 RNN 的 IBP 损失界的平均值："
                   "请使用 activation=lambda v: v 和 clip=None")
        require(got_ibp >= got_exact, "an IBP bound can never lie below the exact worst case",
                zh="IBP 界永远不可能低于精确的最坏情况")
    return say("IBP is valid but loose, and looser as epsilon grows; its boxes are built "
               "from |W| and powers of |U|, which forget that signs cancel.",
               "IBP 是有效的，但是宽松，而且 epsilon 越大越宽松；它的盒子由 |W| 和 |U| 的幂"
               "构成，忘记了符号会相互抵消。")
