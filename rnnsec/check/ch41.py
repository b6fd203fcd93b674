"""Self-checks for the exercises of Chapter 4.1 (The min-max problem).

The checkers recompute the exact quantities of the chapter: the worst-case loss of a linear
(affine) classifier from its input gradient, the first tie of the finite-set maximum along a
direction (Danskin's theorem) and interval bounds of a linear RNN from its weights.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec.check._core import register, require


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
    """``values`` as a float array of ``n`` entries, or a hint."""
    arr = np.asarray(values)
    require(arr.dtype.kind in "fiu", f"{what} should hold numbers, got dtype {arr.dtype}")
    require(arr.shape == (n,), f"{what} should hold one value per example, shape ({n},), got "
                               f"{arr.shape}")
    require(np.all(np.isfinite(arr)), f"{what} holds non-finite values")
    return arr.astype(np.float64)


@register("4.1-1", topic="closed-form worst-case loss of the linear RNN in the L2 ball")
def _linear_l2(answer, *, model, x, y, epsilon: float = 0.5) -> str:
    loss = _numbers(answer, len(y), "closed_l2")
    margin, grad = _margins_and_grads(model, x, y)
    l2 = np.sqrt((grad.astype(np.float64) ** 2).sum(axis=(1, 2)))  # ||w||_2 per example
    l1 = np.abs(grad.astype(np.float64)).sum(axis=(1, 2))

    def close(ref):
        return np.allclose(loss, ref, rtol=1e-3, atol=1e-6)

    right = np.logaddexp(0.0, -(margin - epsilon * l2))
    require(not close(np.logaddexp(0.0, -margin)), "these are the clean losses: the worst case "
                                                   "lowers the margin by epsilon times a norm")
    require(not close(np.logaddexp(0.0, -(margin - epsilon * l1))),
            "||w||_1 is the dual norm of L-inf; the L2 ball needs the dual norm of L2")
    require(not close(np.logaddexp(0.0, -(margin + epsilon * l2))),
            "the sign is wrong: the adversary lowers the margin")
    require(close(right), "not the worst-case loss log(1 + exp(-(m - epsilon * ||w||))) per "
                          "digit with the dual norm of L2 and epsilon = 0.5")
    return ("In the L2 ball the margin drops by epsilon * ||w||_2: ||.||_2 is its own dual "
            "norm.")


@register("4.1-2", topic="a tie of two perturbations: one-sided derivatives of the max")
def _kink(answer, *, theta, losses) -> str:
    keys = {"direction", "s_tie", "left", "right"}
    require(isinstance(answer, dict) and keys <= set(answer),
            f"give a dict with the keys {sorted(keys)}")
    u = answer["direction"]
    require(isinstance(u, (list, tuple)) and len(u) == len(theta)
            and all(np.shape(a) == np.shape(p) for a, p in zip(u, theta, strict=True)),
            "answer['direction'] should be a list of arrays shaped like theta")
    u = [np.asarray(a, dtype=np.float64) for a in u]

    def at(s):
        moved = [p + s * d for p, d in zip(theta, u, strict=True)]
        return np.asarray(losses(moved), dtype=np.float64)

    order = np.argsort(at(0.0))
    k1, k2 = int(order[-1]), int(order[-2])
    h = 1e-6
    slope = ((at(h)[k2] - at(h)[k1]) - (at(-h)[k2] - at(-h)[k1])) / (2 * h)
    size = sum(float((d ** 2).sum()) for d in u)
    require(size > 0, "answer['direction'] is zero")
    require(abs(slope + size) > 1e-3 * size,
            "the direction has the wrong sign: runner-up minus maximiser, so the runner-up "
            "gains on the maximiser")
    require(abs(slope - size) <= 1e-3 * size,
            "answer['direction'] is not the gradient of the runner-up's loss minus the "
            "maximiser's loss at theta")
    s_tie = float(answer["s_tie"])
    require(s_tie > 0, "the tie lies at a positive step along the direction")
    top = at(s_tie)
    others = np.delete(top, k1)
    require(abs(top[k1] - others.max()) <= 1e-7 * max(1.0, abs(top[k1])),
            "at answer['s_tie'] the maximiser and the perturbation that overtakes it do not tie "
            "exactly: locate the root of their loss gap (e.g. scipy.optimize.brentq)")
    grid = np.linspace(0.0, s_tie, 201)[:-1]
    require(all(int(np.argmax(at(s))) == k1 for s in grid),
            "another perturbation overtakes the maximiser before answer['s_tie']: find the "
            "first tie")
    step = 1e-6
    right = (at(s_tie + step).max() - top.max()) / step
    left = (top.max() - at(s_tie - step).max()) / step
    got_left, got_right = float(answer["left"]), float(answer["right"])
    tol = 1e-3 * max(1.0, abs(left), abs(right))
    require(not (abs(got_left - right) <= tol and abs(got_right - left) <= tol),
            "left and right derivatives are swapped")
    require(abs(got_left - left) <= tol, "answer['left'] is not the left derivative of phi "
                                         "along the direction at the tie")
    require(abs(got_right - right) <= tol, "answer['right'] is not the right derivative of phi "
                                           "along the direction at the tie")
    return ("The one-sided derivatives differ, so phi has a kink at the tie; the right "
            "one is the larger slope of the tied losses, as Danskin's theorem says.")


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
def _ibp(answer, *, weights, x, y) -> str:
    require(isinstance(answer, dict) and len(answer) >= 2,
            "give a dict from each epsilon (1e-3 and the chapter's eps) to "
            "{'exact': mean loss, 'ibp': mean IBP bound}")
    require(any(np.isclose(float(e), 1e-3) for e in answer), "include epsilon = 1e-3")
    require(len(weights) == 5, "pass weights=[W, U, b, V, c]")
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    margin, w = _linear_rnn_margins(weights, x, y)
    for eps, row in answer.items():
        require(float(eps) > 0, f"epsilon {eps} should be positive")
        require(isinstance(row, dict) and {"exact", "ibp"} <= set(row),
                f"answer[{eps}] should be a dict with the keys 'exact' and 'ibp'")
        exact = np.logaddexp(0.0, -(margin - float(eps) * np.abs(w).sum())).mean()
        ibp = _ibp_linear(weights, x, y, float(eps)).mean()
        got_exact, got_ibp = float(row["exact"]), float(row["ibp"])
        require(np.isclose(got_exact, exact, rtol=1e-4),
                f"answer[{eps}]['exact'] is not the mean closed-form worst-case loss (L-inf: "
                "the margin drops by epsilon * ||w||_1)")
        require(np.isclose(got_ibp, ibp, rtol=1e-4),
                f"answer[{eps}]['ibp'] is not the mean IBP loss bound of the linear RNN: use "
                "activation=lambda v: v and clip=None")
        require(got_ibp >= got_exact, "an IBP bound can never lie below the exact worst case")
    return ("IBP is valid but loose, and looser as epsilon grows; its boxes are built "
            "from |W| and powers of |U|, which forget that signs cancel.")
