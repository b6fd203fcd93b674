"""Tests of the Chapter 4.1 self-checks: right answers pass, typical wrong ones get a hint."""

import numpy as np
import pytest
from scipy.optimize import brentq

from rnnsec import check, set_seed
from rnnsec.compat import keras


def _fails(result):
    return result.passed is False and len(result.message) > len("Hint: ")


@pytest.fixture(scope="module")
def linear():
    """An untrained linear RNN (SimpleRNN without activation) with two classes, its weights,
    inputs, labels, margins and score weights w [T, D]."""
    set_seed(0)
    model = keras.Sequential([keras.Input((5, 3)),
                              keras.layers.SimpleRNN(4, activation=None, name="rnn"),
                              keras.layers.Dense(2, name="logits")])
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (20, 5, 3)).astype("float32")
    y = rng.integers(0, 2, 20)
    W, U, b = [a.astype(np.float64) for a in model.get_layer("rnn").get_weights()]
    V, c = [a.astype(np.float64) for a in model.get_layer("logits").get_weights()]
    v = V[:, 1] - V[:, 0]
    w = np.stack([W @ np.linalg.matrix_power(U, 4 - t) @ v for t in range(5)])
    beta = b @ sum(np.linalg.matrix_power(U, k) for k in range(5)) @ v + c[1] - c[0]
    score = np.einsum("btd,td->b", x.astype(np.float64), w) + beta
    margin = np.where(y == 1, score, -score)
    return model, [W, U, b, V, c], x, y, margin, w


def test_4_1_1_closed_form_l2(linear):
    model, _, x, y, margin, w = linear
    ctx = dict(model=model, x=x, y=y)
    l2, l1 = np.sqrt((w ** 2).sum()), np.abs(w).sum()
    assert check.exercise("4.1-1", np.logaddexp(0, -(margin - 0.5 * l2)), **ctx).passed
    assert _fails(check.exercise("4.1-1", np.logaddexp(0, -(margin - 0.5 * l1)), **ctx))
    assert _fails(check.exercise("4.1-1", np.logaddexp(0, -(margin + 0.5 * l2)), **ctx))
    assert _fails(check.exercise("4.1-1", np.logaddexp(0, -margin), **ctx))
    assert _fails(check.exercise("4.1-1", np.logaddexp(0, -(margin - 0.5 * l2)).mean(), **ctx))


def _ibp_mean(weights, x, y, eps, activation=lambda v: v):
    W, U, b, V, c = weights
    mu, r = np.zeros((len(x), W.shape[1])), np.zeros((len(x), W.shape[1]))
    for t in range(x.shape[1]):
        pre, r_pre = x[:, t] @ W + mu @ U + b, eps * np.abs(W).sum(axis=0) + r @ np.abs(U)
        lo, hi = activation(pre - r_pre), activation(pre + r_pre)
        mu, r = (hi + lo) / 2, (hi - lo) / 2
    vd = V[None, :, :] - V[:, y].T[:, :, None]
    m_bar = (np.einsum("bh,bhc->bc", mu, vd) + np.einsum("bh,bhc->bc", r, np.abs(vd))
             + c[None, :] - c[y][:, None])
    return float(np.logaddexp.reduce(m_bar, axis=1).mean())


def test_4_1_3_ibp(linear):
    _, weights, x, y, margin, w = linear
    x = x.astype(np.float64)
    ctx = dict(weights=weights, x=x, y=y)

    def row(eps, norm=None, activation=lambda v: v):
        norm = np.abs(w).sum() if norm is None else norm
        return {"exact": float(np.logaddexp(0, -(margin - eps * norm)).mean()),
                "ibp": _ibp_mean(weights, x, y, eps, activation)}

    good = {1e-3: row(1e-3), 0.05: row(0.05)}
    assert check.exercise("4.1-3", good, **ctx).passed
    tanh = {1e-3: row(1e-3, activation=np.tanh), 0.05: row(0.05, activation=np.tanh)}
    assert _fails(check.exercise("4.1-3", tanh, **ctx))
    l2 = np.sqrt((w ** 2).sum())
    assert _fails(check.exercise("4.1-3", {1e-3: row(1e-3, l2), 0.05: row(0.05, l2)}, **ctx))
    assert _fails(check.exercise("4.1-3", {0.05: good[0.05]}, **ctx))


@pytest.fixture(scope="module")
def tiny():
    """The chapter's tiny NumPy RNN and a finite set of perturbations (Danskin's theorem)."""
    rng = np.random.default_rng(1)
    theta = [rng.normal(0, 0.7, s) for s in [(3, 5), (5, 5), (5,), (5, 3), (3,)]]
    x0, y0 = rng.normal(size=(4, 3)), 1
    perturbations = rng.uniform(-0.3, 0.3, size=(8, 4, 3))

    def losses(th):
        W, U, b, V, c = th
        h = np.zeros((8, 5))
        for t in range(4):
            h = np.tanh((x0 + perturbations)[:, t] @ W + h @ U + b)
        z = h @ V + c
        return np.logaddexp.reduce(z, axis=1) - z[:, y0]

    return theta, losses


def _numeric_grad(losses, theta, k):
    grads = []
    for i, p in enumerate(theta):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            up, down = [q.copy() for q in theta], [q.copy() for q in theta]
            up[i][idx] += 1e-6
            down[i][idx] -= 1e-6
            g[idx] = (losses(up)[k] - losses(down)[k]) / 2e-6
        grads.append(g)
    return grads


def test_4_1_2_kink(tiny):
    theta, losses = tiny
    order = np.argsort(losses(theta))
    k1, k2 = order[-1], order[-2]
    u = [a - b for a, b in zip(_numeric_grad(losses, theta, k2),
                                      _numeric_grad(losses, theta, k1), strict=True)]

    def at(s):
        return losses([p + s * d for p, d in zip(theta, u, strict=True)])

    grid = np.linspace(0.0, 2.0, 401)
    i = next(j for j in range(1, len(grid)) if np.argmax(at(grid[j])) != k1)
    k_new = int(np.argmax(at(grid[i])))
    s_tie = brentq(lambda s: at(s)[k_new] - at(s)[k1], grid[i - 1], grid[i], xtol=1e-14)
    right = (at(s_tie + 1e-6).max() - at(s_tie).max()) / 1e-6
    left = (at(s_tie).max() - at(s_tie - 1e-6).max()) / 1e-6
    good = {"direction": u, "s_tie": s_tie, "left": left, "right": right}
    ctx = dict(theta=theta, losses=losses)
    assert check.exercise("4.1-2", good, **ctx).passed
    assert _fails(check.exercise("4.1-2", {**good, "left": right, "right": left}, **ctx))
    assert _fails(check.exercise("4.1-2", {**good, "s_tie": grid[i]}, **ctx))
    assert _fails(check.exercise("4.1-2", {**good, "direction": [-d for d in u]}, **ctx))
    assert _fails(check.exercise("4.1-2", {**good, "right": left}, **ctx))


def test_strict_mode_raises(linear, monkeypatch):
    model, _, x, y, margin, _ = linear
    monkeypatch.setenv("RNNSEC_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="4.1-1"):
        check.exercise("4.1-1", np.logaddexp(0, -margin), model=model, x=x, y=y)


def test_hint_in_chinese(chinese_hint):
    """Under Chinese the hint is the checker's Chinese twin (a list, not a dict)."""
    chinese_hint("4.1-3", [0.1], weights=None, x=None, y=None)
