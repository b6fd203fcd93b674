"""rnnsec.privacy.fast_layers: Keras's own layers on the fast engine, and the layer registry.

Every supported layer, with and without masks, against the definition (one example at a time).
"""

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import layers as rnnsec_layers
from rnnsec.compat import keras, per_example_loss
from rnnsec.privacy import clipping, fast_layers
from rnnsec.privacy.dp import make_private

LOSS = per_example_loss(from_logits=True)
L = keras.layers
CELLS = {"lstm": lambda **k: L.LSTM(5, **k), "gru": lambda **k: L.GRU(5, **k),
         "gru_reset_before": lambda **k: L.GRU(5, reset_after=False, **k),
         "simple_rnn": lambda **k: L.SimpleRNN(5, **k)}


def _naive(model, x, y):
    """Each example's gradient, one example at a time (the definition)."""
    out = []
    for i in range(len(x)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(LOSS(y[i:i + 1], model(x[i:i + 1], training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        out.append([tf.convert_to_tensor(g).numpy() for g in grads])
    return [np.stack(parts) for parts in zip(*out, strict=True)]


def _data(text: bool, seed=0):
    """A batch of 4: padded sequences (features zero at the end) or padded token ids."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, 4)
    if text:
        ids = rng.integers(1, 9, (4, 7))
        ids[0, 5:] = 0
        ids[2, 3:] = 0
        ids[3] = [2, 2, 2, 3, 3, 4, 0]  # repeated tokens
        return ids, y
    x = rng.random((4, 6, 3)).astype("float32")
    x[0, 4:] = 0.0
    x[1, 2] = 0.0
    return x, y


def _model(cell: str, text: bool, masked: bool, shape: str = "plain", seed=0):
    keras.utils.set_random_seed(seed)
    make = CELLS[cell]
    if text:
        inp = keras.Input((7,), dtype="int32")
        h = L.Embedding(10, 3, mask_zero=masked)(inp)
    else:
        inp = keras.Input((6, 3))
        h = L.Masking()(inp) if masked else inp
    if shape == "bidirectional":
        h = L.Bidirectional(make(return_sequences=True), merge_mode="concat")(h)
        h = L.Bidirectional(make(), merge_mode="sum")(h)
    elif shape == "stacked":  # return_sequences, a Dense on every step, go_backwards
        h = make(return_sequences=True)(h)
        h = L.Dense(4, activation="tanh")(h)
        h = make(go_backwards=True)(h)
    else:
        h = make()(h)
    return keras.Model(inp, L.Dense(4)(h))


def _relative_error(got, expected) -> float:
    return max(float(np.max(np.abs(np.asarray(g) - e)) / (np.max(np.abs(e)) + 1e-12))
               for g, e in zip(got, expected, strict=True))


CASES = [(cell, text, masked, "plain") for cell in CELLS for text in (False, True)
         for masked in (False, True)]
CASES += [(cell, text, True, shape) for cell in ("lstm", "gru_reset_before")
          for text in (False, True) for shape in ("bidirectional", "stacked")]


@pytest.mark.parametrize("cell, text, masked, shape", CASES)
def test_keras_layers_per_example_gradients_equal_a_loop(cell, text, masked, shape):
    model = _model(cell, text, masked, shape)
    x, y = _data(text)
    expected = _naive(model, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: the fast engine runs it
        assert clipping.resolve_engine(model, "auto") == "fast"
        got = clipping.per_example_gradients(model, LOSS, x, y, engine="fast")
    assert _relative_error(got, expected) < 1e-5
    norms = clipping.per_example_norms(model, LOSS, x, y, engine="fast").numpy()
    flat = np.concatenate([e.reshape(4, -1) for e in expected], axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(flat, axis=1), rtol=1e-5)


@pytest.mark.parametrize("method", ["gram", "materialize"])
def test_both_norm_methods_on_keras_layers(monkeypatch, method):
    monkeypatch.setattr(clipping, "_linear_method", lambda piece: method)
    model = _model("gru_reset_before", True, True, "bidirectional")
    x, y = _data(True)
    flat = np.concatenate([e.reshape(4, -1) for e in _naive(model, x, y)], axis=1)
    norms = clipping.per_example_norms(model, LOSS, x, y, engine="fast").numpy()
    np.testing.assert_allclose(norms, np.linalg.norm(flat, axis=1), rtol=1e-5)


def test_twin_computes_the_models_function_from_the_same_variables():
    model = _model("lstm", False, True, "bidirectional")
    x, _ = _data(False)
    twin = fast_layers.twin_model(model)
    np.testing.assert_allclose(twin(x).numpy(), model(x).numpy(), atol=1e-6)
    model_ids = {id(v) for v in model.trainable_variables}
    assert {id(v) for v in twin.trainable_variables} <= model_ids
    model.trainable_variables[0].assign_add(tf.ones_like(model.trainable_variables[0]))
    np.testing.assert_allclose(twin(x).numpy(), model(x).numpy(), atol=1e-6)  # still shared


def test_microbatches_and_tracing_with_keras_layers():
    model = _model("gru", True, True)
    x, y = _data(True)
    halves = [_naive_mean(model, x[i:i + 2], y[i:i + 2]) for i in (0, 2)]
    expected = [np.stack(parts) for parts in zip(*halves, strict=True)]
    traced = tf.function(lambda a, b: clipping.per_example_gradients(
        model, LOSS, a, b, "fast", num_microbatches=2))
    assert _relative_error(traced(x, y), expected) < 1e-5


def _naive_mean(model, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(LOSS(y, model(x, training=True)))
    return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.trainable_variables)]


def test_make_private_trains_the_users_keras_model_in_place_and_it_saves(tmp_path):
    """The article's model as written: Keras LSTM(64) + Dense(10), trained by DP-Adam."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8)), L.LSTM(16), L.Dense(10)])
    x = np.random.default_rng(0).random((64, 8, 8)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, 64)
    before = [v.numpy().copy() for v in model.trainable_variables]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dp = make_private(model, l2_norm_clip=1.0, noise_multiplier=0.5, seed=3)
    assert dp.engine == "fast"
    dp.compile(optimizer=keras.optimizers.Adam(0.01), loss=LOSS)
    dp.fit(x, y, batch_size=16, epochs=1, verbose=0)
    changed = [not np.allclose(b, v.numpy()) for b, v in zip(before, model.trainable_variables,
                                                           strict=True)]
    assert all(changed)
    assert len(model.layers[0].inbound_nodes if hasattr(model.layers[0], "inbound_nodes")
               else model.layers[0]._inbound_nodes) == 1  # the user's graph is untouched
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded(x[:4]).numpy(), model(x[:4]).numpy(), atol=1e-6)


class _Doubled(L.Layer):
    """A user's layer the engine does not know: ``2 (x W)``."""

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 4))

    def call(self, x):
        return 2.0 * tf.tensordot(x, self.kernel, axes=1)


class _TappedDoubled(L.Layer):
    def __init__(self, source):
        super().__init__(name=f"{source.name}_tapped")
        self.source = fast_layers.SourceLayer(source)

    def call(self, x):
        return 2.0 * rnnsec_layers.tapped_dense(x, self.source.layer.kernel)


def test_registering_a_layer_puts_it_on_the_fast_engine():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 3))
    model = keras.Model(inp, _Doubled(name="doubled")(L.LSTM(5)(inp)))
    x, y = _data(False)
    assert not clipping.fast_engine_supports(model)
    fast_layers.register_fast_layer(_Doubled, _TappedDoubled)
    try:
        got = clipping.per_example_gradients(model, LOSS, x, y, engine="fast")
        assert _relative_error(got, _naive(model, x, y)) < 1e-5
        assert [row.kind for row in clipping.fast_engine_plan(model)] == ["lstm", "_doubled"]
        with pytest.raises(ValueError, match="already registered"):
            fast_layers.register_fast_layer(_Doubled, _TappedDoubled)
    finally:
        fast_layers._REGISTRY.pop(_Doubled)


class _Forgetful(L.Layer):
    def __init__(self, source):
        super().__init__()
        self.source = fast_layers.SourceLayer(source)

    def call(self, x):  # uses the weight without a tap: the engine must notice
        return 2.0 * tf.tensordot(x, self.source.layer.kernel, axes=1)


def test_a_twin_that_skips_a_weight_is_refused():
    inp = keras.Input((6, 3))
    model = keras.Model(inp, _Doubled()(L.LSTM(5)(inp)))
    x, y = _data(False)
    fast_layers.register_fast_layer(_Doubled, _Forgetful)
    try:
        with pytest.raises(clipping.UnsupportedLayerError, match="not recorded"):
            clipping.per_example_norms(model, LOSS, x, y, engine="fast")
    finally:
        fast_layers._REGISTRY.pop(_Doubled)


def test_a_layer_called_twice_is_refused():
    inp = keras.Input((6, 3))
    dense = L.Dense(3)
    model = keras.Model(inp, L.Dense(4)(L.LSTM(5)(dense(dense(inp)))))
    x, y = _data(False)
    with pytest.raises(clipping.UnsupportedLayerError, match="more than once"):
        clipping.per_example_norms(model, LOSS, x, y, engine="fast")


def test_slow_path_warning_measures_its_cost():
    inp = keras.Input((6, 3))
    model = keras.Model(inp, L.Dense(4)(L.LSTM(5)(L.Conv1D(3, 2, name="conv")(inp))))
    ratio = clipping.probe_general_cost(model, batch_size=4, repeats=1)
    assert ratio is not None and ratio > 0
    message = clipping.slow_path_message(["layer 'conv' (Conv1D)"], ratio)
    assert f"{ratio:.1f}x" in message and "register_fast_layer" in message


@pytest.mark.parametrize("make, match", [
    (lambda: fast_layers.register_fast_layer(int, _TappedDoubled), "layer_type"),
    (lambda: fast_layers.register_fast_layer(_Doubled, "twin"), "twin"),
    (lambda: fast_layers.register_fast_layer(_Doubled, _TappedDoubled, check=3), "check"),
    (lambda: clipping.probe_general_cost(_model("lstm", False, False), batch_size=0),
     "batch_size"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()
