"""rnnsec.privacy.clipping: per-example gradients and norms, both engines, against a naive loop."""

import warnings

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsec import models
from rnnsec.compat import keras, per_example_loss
from rnnsec.privacy import clipping

LOSS = per_example_loss(from_logits=True)
CELLS = ("lstm", "gru", "simple_rnn")


def _naive(model, x, y, unit=1):
    """Gradients of each unit's mean loss, one unit at a time (the definition)."""
    out = []
    for start in range(0, len(x), unit):
        with tf.GradientTape() as tape:
            pred = model(x[start:start + unit], training=True)
            loss = tf.reduce_mean(LOSS(y[start:start + unit], pred))
        grads = tape.gradient(loss, model.trainable_variables)
        out.append([tf.convert_to_tensor(g).numpy() for g in grads])
    return [np.stack(parts) for parts in zip(*out, strict=True)]


def _data(kind, seed=0):
    """A batch of 4 for each model kind, with padding / masks where the model has them."""
    rng = np.random.default_rng(seed)
    if kind == "seq":
        x = rng.random((4, 6, 3)).astype("float32")
        x[0, 4:] = 0.0
        x[1, 2] = 0.0
        return x, rng.integers(0, 4, 4)
    ids = rng.integers(1, 9, (4, 7))
    ids[0, 5:] = 0
    ids[2, 3:] = 0
    ids[3] = [2, 2, 2, 3, 3, 4, 0]  # repeated tokens: their embedding gradients add up
    y = rng.integers(0, 10, (4, 7)) if kind == "lm" else rng.integers(0, 4, 4)
    return ids, y


def _model(kind, cell, seed=0):
    keras.utils.set_random_seed(seed)
    if kind == "seq":
        return models.sequence_classifier((6, 3), 4, cell=cell, units=5, masking=True,
                                          implementation="rnnsec")
    if kind == "text":
        return models.text_classifier(10, 4, embedding_dim=3, units=5, cell=cell, max_len=7,
                                      implementation="rnnsec")
    return models.char_language_model(10, embedding_dim=3, units=5, cell=cell,
                                      implementation="rnnsec")


def _assert_grads_close(got, expected, atol=1e-5):
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.asarray(g), e, atol=atol)


FAST_CASES = [("fast", kind, cell) for kind in ("seq", "text", "lm") for cell in CELLS]
# the general engine runs the model per example, so one cell per model kind covers every layer
GENERAL_CASES = [("general", "seq", "lstm"), ("general", "text", "gru"),
                 ("general", "lm", "simple_rnn")]


@pytest.mark.parametrize("engine, kind, cell", FAST_CASES + GENERAL_CASES)
def test_per_example_gradients_equal_a_loop(engine, kind, cell):
    """Embedding, Dense and every recurrent cell, with masks/padding, on both engines."""
    model = _model(kind, cell)
    x, y = _data(kind)
    expected = _naive(model, x, y)
    _assert_grads_close(clipping.per_example_gradients(model, LOSS, x, y, engine=engine),
                        expected)
    norms = clipping.per_example_norms(model, LOSS, x, y, engine=engine).numpy()
    flat = np.concatenate([e.reshape(4, -1) for e in expected], axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(flat, axis=1), rtol=1e-5, atol=1e-6)


def test_general_engine_runs_keras_own_recurrent_layers():
    """Keras's LSTM through tf.map_fn (pfor of its while loop fails on TF 2.15, and takes
    seconds to trace or fails at run time on newer TensorFlow)."""
    model = models.sequence_classifier((6, 3), 4, units=5, masking=True)  # keras.layers.LSTM
    x, y = _data("seq")
    got = clipping.per_example_gradients(model, LOSS, x, y, engine="general",
                                         general_method="map_fn")
    _assert_grads_close(got, _naive(model, x, y))
    assert clipping._general_method(model, "auto") == "map_fn"
    expected = "map_fn" if tf.__version__.startswith(clipping.PFOR_UNSAFE_FOR_RNN) else \
        "vectorized_map"
    assert clipping._general_method(_model("seq", "lstm"), "auto") == expected


def test_general_engine_map_fn_matches_the_loop():
    model = _model("text", "simple_rnn")
    x, y = _data("text")
    got = clipping.per_example_gradients(model, LOSS, x, y, engine="general",
                                         general_method="map_fn")
    _assert_grads_close(got, _naive(model, x, y))


@pytest.mark.parametrize("method", ["gram", "materialize"])
@pytest.mark.parametrize("cell", CELLS)
def test_both_norm_methods_agree_with_the_loop(monkeypatch, method, cell):
    monkeypatch.setattr(clipping, "_linear_method", lambda piece: method)
    model = _model("lm", cell)
    x, y = _data("lm")
    flat = np.concatenate([e.reshape(4, -1) for e in _naive(model, x, y)], axis=1)
    norms = clipping.per_example_norms(model, LOSS, x, y, engine="fast").numpy()
    np.testing.assert_allclose(norms, np.linalg.norm(flat, axis=1), rtol=1e-5)


def test_embedding_segment_path_agrees_with_the_gram_path(monkeypatch):
    model = _model("text", "lstm")
    x, y = _data("text")
    gram = clipping.per_example_norms(model, LOSS, x, y, engine="fast").numpy()
    monkeypatch.setattr(clipping, "EMBEDDING_GRAM_MAX_STEPS", 1)
    segments = clipping.per_example_norms(model, LOSS, x, y, engine="fast").numpy()
    np.testing.assert_allclose(segments, gram, rtol=1e-6)


def test_dense_layers_with_activations_and_unknown_lengths():
    """A hidden Dense with tanh (pre-activation gradient by VJP), traced with T unknown."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((None, 3))
    h = models.recurrent_layer("gru", 4, return_sequences=True, implementation="rnnsec")(inp)
    h = keras.layers.Dense(5, activation="tanh")(h)
    model = keras.Model(inp, keras.layers.Dense(3)(h))
    x = np.random.default_rng(1).random((4, 5, 3)).astype("float32")
    y = np.random.default_rng(2).integers(0, 3, (4, 5))
    expected = _naive(model, x, y)
    traced = tf.function(lambda a, b: clipping.per_example_gradients(model, LOSS, a, b, "fast"),
                         input_signature=[tf.TensorSpec([None, None, 3]),
                                          tf.TensorSpec([None, None], tf.int64)])
    _assert_grads_close(traced(x, y), expected)


@pytest.mark.parametrize("engine", ["fast", "general"])
def test_microbatches_clip_the_mean_gradient_of_each_group(engine):
    model = _model("text", "gru")
    x, y = _data("text")
    expected = _naive(model, x, y, unit=2)
    got = clipping.per_example_gradients(model, LOSS, x, y, engine=engine, num_microbatches=2)
    _assert_grads_close(got, expected)
    whole = clipping.per_example_gradients(model, LOSS, x, y, engine=engine,
                                           num_microbatches=1)
    _assert_grads_close(whole, _naive(model, x, y, unit=4))


@pytest.mark.parametrize("engine", ["fast", "general"])
def test_clipped_sum_is_the_sum_of_clipped_per_example_gradients(engine):
    model = _model("seq", "lstm")
    x, y = _data("seq")
    per_example = _naive(model, x, y)
    norms = np.linalg.norm(np.concatenate([g.reshape(4, -1) for g in per_example], 1), axis=1)
    clip = float(np.median(norms))  # some examples are clipped, some are not
    result = clipping.clipped_gradient_sum(model, LOSS, x, y, clip, engine=engine)
    factors = np.minimum(1.0, clip / norms)
    clipped_norms = np.asarray(result.factors) * np.asarray(result.norms)
    assert np.all(clipped_norms <= clip * (1 + 1e-6))
    assert 0 < np.sum(np.asarray(result.factors) < 1) < 4
    _assert_grads_close(result.grads,
                        [np.tensordot(factors, g, axes=1) for g in per_example])
    assert result.engine == engine and "clipped=" in repr(result)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=20), st.floats(1e-3, 1e3))
def test_clipped_norms_never_exceed_the_clip_norm(norms, clip):
    factors = clipping.clip_factors(tf.constant(norms, tf.float64), clip).numpy()
    assert np.all(factors <= 1.0)
    assert np.all(factors * np.asarray(norms) <= clip * (1 + 1e-12))
    small = np.asarray(norms) <= clip
    np.testing.assert_array_equal(factors[small], 1.0)


def test_fast_engine_names_an_unsupported_layer_and_how_to_register_it():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 3))
    h = keras.layers.Conv1D(4, 3, name="conv")(inp)
    model = keras.Model(inp, keras.layers.Dense(4)(keras.layers.LSTM(5)(h)))
    x, y = _data("seq")
    with pytest.raises(clipping.UnsupportedLayerError, match="'conv'.*Conv1D.*register_fast_layer"):
        clipping.per_example_norms(model, LOSS, x, y, engine="fast")
    assert not clipping.fast_engine_supports(model)
    with pytest.warns(UserWarning, match="general.*'conv'.*register_fast_layer"):
        assert clipping.resolve_engine(model, "auto") == "general"


def test_keras_layer_options_the_fast_engine_cannot_reproduce_are_named():
    inp = keras.Input((6, 3))
    model = keras.Model(inp, keras.layers.Dense(4)(keras.layers.LSTM(5, dropout=0.2,
                                                                      name="drop")(inp)))
    with pytest.raises(clipping.UnsupportedLayerError, match="'drop'.*dropout=0.2"):
        clipping.fast_engine_plan(model)


def test_auto_uses_the_fast_engine_silently_when_it_can():
    model = _model("seq", "gru")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clipping.resolve_engine(model, "auto") == "fast"
    plan = clipping.fast_engine_plan(model)
    assert [row.kind for row in plan] == ["gru", "dense"]
    assert all(row.norm_method for row in plan) and plan[0].as_dict()["layer"] == "gru"


@pytest.mark.parametrize("call, match", [
    (lambda m, x, y: clipping.clipped_gradient_sum(m, LOSS, x, y, 0.0), "l2_norm_clip"),
    (lambda m, x, y: clipping.clipped_gradient_sum(m, LOSS, x, y, -1.0), "l2_norm_clip"),
    (lambda m, x, y: clipping.per_example_norms(m, LOSS, x, y, engine="ghost"), "engine"),
    (lambda m, x, y: clipping.per_example_norms(m, LOSS, x, y, num_microbatches=3),
     "num_microbatches"),
    (lambda m, x, y: clipping.per_example_norms(m, LOSS, x, y, general_method="loop"),
     "general_method"),
    (lambda m, x, y: clipping.per_example_norms(
        m, keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum").__call__,
        x, y), "one loss per example"),
    (lambda m, x, y: clipping.per_example_norms(m, "mse", x, y), "loss_fn"),
    (lambda m, x, y: clipping.per_example_norms("model", LOSS, x, y), "model"),
])
def test_bad_arguments_are_named(call, match):
    model = _model("seq", "simple_rnn")
    x, y = _data("seq")
    with pytest.raises((ValueError, TypeError), match=match):
        call(model, x, y)
