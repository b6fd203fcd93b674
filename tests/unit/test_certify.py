"""Soundness of rnnsec.certify: no sampled or PGD-found input leaves the certified bounds."""

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import layers as rnn_layers
from rnnsec.adversarial import pgd
from rnnsec.certify import (
    activation_bounds,
    certify,
    input_box,
    logit_bounds,
    margin_bounds,
    product_bounds,
    read_network,
)
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier

STEPS, FEATURES, CLASSES = 5, 3, 4
TOL = 1e-5  # float32 model outputs against float64 bounds


def _model(cell, implementation="rnnsec", seed=1, **layer_kwargs):
    if not layer_kwargs:
        return sequence_classifier((STEPS, FEATURES), CLASSES, cell=cell, units=6,
                                   implementation=implementation, seed=seed)
    inputs = keras.Input((STEPS, FEATURES))
    h = rnn_layers.RECURRENT_LAYERS[cell](6, **layer_kwargs)(inputs)
    return keras.Model(inputs, keras.layers.Dense(CLASSES)(h))


def _x(n=12, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, STEPS, FEATURES)).astype(np.float32)


def _samples(x, eps_steps, count, seed=0, corners=True):
    """``count`` points per example in the box ``x +- eps_steps`` ``[N, T]`` (half corners)."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1, 1, (count,) + x.shape)
    if corners:
        u[: count // 2] = np.sign(u[: count // 2])
    return (x[None] + u * eps_steps[None, :, :, None]).astype(np.float32)


def _outputs(model, xs):
    count, n = xs.shape[:2]
    return model(xs.reshape((-1,) + xs.shape[2:])).numpy().reshape(count, n, -1)


def _assert_inside(model, xs, lo, hi):
    out = _outputs(model, xs)
    assert (lo[None] - out).max() <= TOL, (lo[None] - out).max()
    assert (out - hi[None]).max() <= TOL, (out - hi[None]).max()


CASES = [("simple_rnn", "ibp"), ("simple_rnn", "linear"), ("lstm", "ibp"), ("lstm", "linear"),
         ("gru", "ibp")]


@pytest.mark.parametrize("implementation", ["rnnsec", "keras"])
@pytest.mark.parametrize("cell,method", CASES)
def test_sampled_logits_stay_inside_bounds(cell, method, implementation):
    model, x, eps = _model(cell, implementation), _x(), 0.1
    lo, hi = logit_bounds(model, x, eps, method=method)
    _assert_inside(model, _samples(x, np.full(x.shape[:2], eps), 300), lo, hi)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm"])
def test_linear_bounds_never_looser_than_intervals(cell):
    model, x = _model(cell, seed=3), _x(6, seed=3)
    for eps in (0.01, 0.5):
        ibp = logit_bounds(model, x, eps, method="ibp")
        lin = logit_bounds(model, x, eps, method="linear")
        assert np.all(lin[0] >= ibp[0] - 1e-12) and np.all(lin[1] <= ibp[1] + 1e-12)
        y = np.zeros(len(x), int)
        assert np.all(margin_bounds(model, x, y, eps, method="linear")
                      >= margin_bounds(model, x, y, eps, method="ibp") - 1e-12)
    assert np.mean(lin[1] - lin[0]) < np.mean(ibp[1] - ibp[0])  # and strictly tighter here


@pytest.mark.parametrize("cell,method", CASES)
def test_pgd_cannot_break_a_certified_margin(cell, method):
    model, x, eps = _model(cell, seed=2), _x(40, seed=2), 0.02
    y = model(x).numpy().argmax(1)
    margins = margin_bounds(model, x, y, eps, method=method)
    result = pgd(model, x, y, eps, steps=20, loss="margin", seed=0, progress=False)
    out = model(result.x_adv.astype(np.float32)).numpy()
    diff = out[np.arange(len(y)), y][:, None] - out  # [N, C]
    others = np.isfinite(margins)  # +inf marks j = y
    assert np.all(diff[others] >= margins[others] - TOL)
    cert = certify(model, x, y, eps, method=method)
    assert not np.any(cert.certified & (result.pred_adv != y))
    assert cert.certified_accuracy > 0


@pytest.mark.parametrize("cell,method", CASES)
def test_masked_padding_is_respected(cell, method):
    inputs = keras.Input((STEPS, FEATURES))
    h = keras.layers.Masking(0.0)(inputs)
    h = rnn_layers.RECURRENT_LAYERS[cell](6)(h)
    model = keras.Model(inputs, keras.layers.Dense(CLASSES)(h))
    x = _x() + 0.1
    x[:4, 3:] = 0.0  # padded tails
    x[4:8, :2] = 0.0  # padded heads
    box = input_box(x, 0.1, mask_value=0.0)
    assert not box.mask[:4, 3:].any() and np.all(box.radius[:4, 3:] == 0)
    lo, hi = logit_bounds(model, x, 0.1, method=method)
    _assert_inside(model, _samples(x, 0.1 * box.mask, 300), lo, hi)


@pytest.mark.parametrize("cell,method", [("gru", "ibp"), ("simple_rnn", "linear"),
                                         ("lstm", "linear")])
def test_other_layer_settings(cell, method):
    kwargs = {"go_backwards": True}
    if cell == "gru":
        kwargs["reset_after"] = False
    model, x = _model(cell, **kwargs), _x()
    lo, hi = logit_bounds(model, x, 0.1, method=method)
    _assert_inside(model, _samples(x, np.full(x.shape[:2], 0.1), 300), lo, hi)


@pytest.mark.parametrize("cell,method", CASES)
def test_per_step_budgets(cell, method):
    model, x = _model(cell), _x()
    budget = np.array([0.0, 0.0, 0.0, 0.2, 0.2])  # only the last two steps move
    lo, hi = logit_bounds(model, x, budget, method=method)
    _assert_inside(model, _samples(x, np.tile(budget, (len(x), 1)), 300), lo, hi)
    lo0, hi0 = logit_bounds(model, x, 0.0, method=method)
    clean = model(x).numpy()
    assert np.allclose(lo0, clean, atol=TOL) and np.allclose(hi0, clean, atol=TOL)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm"])
def test_any_k_steps(cell):
    model, x, eps = _model(cell), _x(), 0.2
    lo, hi = logit_bounds(model, x, eps, method="linear", k=1)
    full = logit_bounds(model, x, eps, method="linear")
    assert np.all(lo >= full[0] - 1e-12) and np.all(hi <= full[1] + 1e-12)
    rng = np.random.default_rng(1)
    steps = rng.integers(0, STEPS, (400, len(x)))  # one step per sample, anywhere
    budget = eps * (np.arange(STEPS)[None, None] == steps[..., None])  # [400, N, T]
    u = np.sign(rng.uniform(-1, 1, (400,) + x.shape))
    xs = (x[None] + u * budget[..., None]).astype(np.float32)
    _assert_inside(model, xs, lo, hi)


def test_activation_and_product_relaxations_are_sound():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 3, 500), rng.normal(0, 3, 500) * rng.choice([1e-7, 0.1, 1, 10], 500)
    lo, hi = tf.constant(np.minimum(a, a + b)), tf.constant(np.maximum(a, a + b))
    grid = lo.numpy()[:, None] + (hi - lo).numpy()[:, None] * np.linspace(0, 1, 101)
    funcs = {"tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}
    lines = {}
    for kind, f in funcs.items():
        a_lo, b_lo, a_hi, b_hi = (t.numpy()[:, None] for t in activation_bounds(kind, lo, hi))
        assert np.all(a_lo * grid + b_lo <= f(grid)) and np.all(f(grid) <= a_hi * grid + b_hi)
        lines[kind] = activation_bounds(kind, lo, hi)
    # sigmoid(x) * tanh(y) and sigmoid(x) * y on the box [lo, hi] x [lo2, hi2]
    lo2, hi2 = tf.reverse(lo, [0]), tf.reverse(hi, [0])
    sig, tanh = funcs["sigmoid"], funcs["tanh"]
    xs = lo.numpy()[:, None] + (hi - lo).numpy()[:, None] * rng.uniform(0, 1, (500, 400))
    ys = lo2.numpy()[:, None] + (hi2 - lo2).numpy()[:, None] * rng.uniform(0, 1, (500, 400))
    p_range = (tf.sigmoid(lo), tf.sigmoid(hi))
    q_line = activation_bounds("tanh", lo2, hi2)
    for q_line_, q_range, q in ((q_line, (tf.tanh(lo2), tf.tanh(hi2)), tanh(ys)),
                                (None, (lo2, hi2), ys)):
        planes = [t.numpy()[:, None] for t in product_bounds(lines["sigmoid"], p_range,
                                                             q_line_, q_range)]
        ax_lo, ay_lo, c_lo, ax_hi, ay_hi, c_hi = planes
        value = sig(xs) * q
        assert np.all(ax_lo * xs + ay_lo * ys + c_lo <= value + 1e-12)
        assert np.all(value <= ax_hi * xs + ay_hi * ys + c_hi + 1e-12)


def test_certify_result_fields():
    model, x = _model("lstm"), _x()
    y = model(x).numpy().argmax(1)
    result = certify(model, x, y, 0.0, method="linear")
    assert result.certified_accuracy == 1.0 and result.k is None
    assert result.as_dict()["n"] == len(x) and "certified_accuracy" in repr(result)
    assert result.interval().low < 1.0


def test_bad_input_gets_clear_errors():
    model, x = _model("gru"), _x()
    y = np.zeros(len(x), int)
    with pytest.raises(ValueError, match="method"):
        certify(model, x, y, 0.1, method="crown")
    with pytest.raises(ValueError, match="use method='ibp'"):
        certify(model, x, y, 0.1, method="linear")
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        certify(model, x, y, -0.1, method="ibp")
    with pytest.raises(ValueError, match="per-step budgets"):
        certify(model, x, y, np.ones(STEPS + 1), method="ibp")
    with pytest.raises(ValueError, match="y values must be < 4"):
        certify(model, x, y + 4, 0.1, method="ibp")
    with pytest.raises(ValueError, match="mismatched lengths"):
        certify(model, x, y[:3], 0.1, method="ibp")
    with pytest.raises(ValueError, match="k must be <= 5"):
        certify(model, x, y, 0.1, method="ibp", k=6)
    with pytest.raises(ValueError, match="above clip_max"):
        certify(model, x, y, 0.1, method="ibp", clip_max=0.5)
    with pytest.raises(ValueError, match="x must have 3"):
        certify(model, x[0], y, 0.1, method="ibp")
    with pytest.raises(TypeError, match="keras.Model"):
        read_network(lambda v: v)
    inputs = keras.Input((STEPS, FEATURES))
    h = keras.layers.LSTM(4, return_sequences=True)(inputs)
    with pytest.raises(ValueError, match="return_sequences"):
        read_network(keras.Model(inputs, keras.layers.Dense(2)(h)))
    with pytest.raises(ValueError, match="sequence_classifier"):
        read_network(keras.Model(inputs, keras.layers.Dense(2)(keras.layers.LSTM(3)(h))))
    relu = keras.Model(inputs, keras.layers.Dense(2, activation="relu")(
        keras.layers.SimpleRNN(3)(inputs)))
    with pytest.raises(ValueError, match="no activation"):
        read_network(relu)
