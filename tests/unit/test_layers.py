"""rnnsec.layers: drop-in equality with Keras's recurrent layers, masking, taps."""

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import layers, models
from rnnsec.compat import keras

KERAS_LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
                "simple_rnn": keras.layers.SimpleRNN}


def _padded_batch(steps=6, features=3, seed=0):
    """Sequences with trailing padding, a gap in the middle and a masked first step."""
    x = np.random.default_rng(seed).random((4, steps, features)).astype("float32")
    x[0, 4:] = 0.0
    x[1, 2] = 0.0
    x[2, 0] = 0.0
    return x


def _pair(cell, return_sequences, steps=6, features=3, units=5, seed=0, **options):
    """A Keras model and an rnnsec model with the same (perturbed) weights, both masked."""
    inp = keras.Input((steps, features))
    masked = keras.layers.Masking()(inp)
    ref = keras.Model(inp, KERAS_LAYERS[cell](units, return_sequences=return_sequences,
                                              **options)(masked))
    ours = keras.Model(inp, layers.RECURRENT_LAYERS[cell](
        units, return_sequences=return_sequences, **options)(masked))
    rng = np.random.default_rng(seed)
    weights = [w + 0.3 * rng.standard_normal(w.shape).astype("float32")
               for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    return ref, ours


@pytest.mark.parametrize("cell", sorted(KERAS_LAYERS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_same_outputs_as_keras_with_masks(cell, return_sequences):
    ref, ours = _pair(cell, return_sequences)
    x = _padded_batch()
    expected = ref(x).numpy()
    np.testing.assert_allclose(ours(x).numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(tf.function(ours)(x).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("cell, options", [
    ("gru", {"reset_after": False}), ("lstm", {"go_backwards": True}),
    ("gru", {"go_backwards": True, "reset_after": False}),
    ("simple_rnn", {"zero_output_for_mask": True}), ("lstm", {"zero_output_for_mask": True})])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_keras_options_give_keras_outputs(cell, options, return_sequences):
    """GRU reset_after=False, go_backwards and zero_output_for_mask behave as Keras's."""
    ref, ours = _pair(cell, return_sequences, **options)
    x = _padded_batch()
    x[3, 5] = 0.0  # a masked last step, where zero_output_for_mask shows
    np.testing.assert_allclose(ours(x).numpy(), ref(x).numpy(), atol=1e-5)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]


@pytest.mark.parametrize("cell", sorted(KERAS_LAYERS))
def test_weight_layout_and_order_match_keras(cell):
    ref, ours = _pair(cell, False)
    ref_layer, our_layer = ref.layers[-1], ours.layers[-1]
    assert [w.shape for w in ref_layer.get_weights()] == [w.shape for w in
                                                         our_layer.get_weights()]
    names = [w.name.split("/")[-1].split(":")[0] for w in our_layer.weights]
    assert names == ["kernel", "recurrent_kernel", "bias"]


@pytest.mark.parametrize("cell", sorted(KERAS_LAYERS))
def test_unknown_length_uses_scan_and_agrees(cell):
    ref, ours = _pair(cell, True, steps=None)
    x = _padded_batch()
    traced = tf.function(ours, input_signature=[tf.TensorSpec([None, None, 3])])
    np.testing.assert_allclose(traced(x).numpy(), ref(x).numpy(), atol=1e-5)


def test_gru_bias_has_two_rows_and_lstm_forget_bias_starts_at_one():
    gru = layers.GRU(4)
    gru.build((None, 5, 3))
    assert tuple(gru.bias.shape) == (2, 12)
    lstm = layers.LSTM(4)
    lstm.build((None, 5, 3))
    bias = np.asarray(lstm.bias)
    np.testing.assert_array_equal(bias[4:8], 1.0)
    np.testing.assert_array_equal(np.r_[bias[:4], bias[8:]], 0.0)


def test_no_bias_option_and_config_round_trip():
    layer = layers.LSTM(3, use_bias=False, return_sequences=True, name="l")
    layer.build((None, 4, 2))
    assert layer.bias is None and len(layer.trainable_weights) == 2
    clone = layers.LSTM.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_models_build_rnnsec_layers_and_propagate_masks():
    model = models.text_classifier(20, 3, embedding_dim=4, units=5, cell="gru", max_len=6,
                                   implementation="rnnsec")
    assert isinstance(model.get_layer("gru"), layers.GRU)
    ids = np.array([[3, 4, 5, 0, 0, 0]])
    shorter = models.text_classifier(20, 3, embedding_dim=4, units=5, cell="gru", max_len=3,
                                     implementation="rnnsec")
    shorter.set_weights(model.get_weights())
    np.testing.assert_allclose(model(ids).numpy(), shorter(ids[:, :3]).numpy(), atol=1e-6)


@pytest.mark.parametrize("cell", sorted(KERAS_LAYERS))
def test_taps_give_the_weight_gradient(cell):
    """Recording changes nothing, and sum_t a_t g_t^T from the taps is the kernel gradient."""
    _, model = _pair(cell, False)
    layer = model.layers[-1]
    x = _padded_batch()
    with tf.GradientTape(persistent=True) as tape:
        with layers.record_taps(tape) as recorder:
            out = model(x)
        loss = tf.reduce_sum(tf.sin(out))
    np.testing.assert_allclose(out.numpy(), model(x).numpy(), atol=1e-6)
    (trace,) = recorder.traces
    assert trace.layer is layer
    g_x = tape.gradient(loss, trace.input_tap)  # [B, T, G*H]
    kernel = tf.einsum("btd,btk->dk", trace.inputs, g_x)
    np.testing.assert_allclose(kernel.numpy(), tape.gradient(loss, layer.kernel).numpy(),
                               atol=1e-5)
    g_h = g_x if trace.recurrent_tap is None else tape.gradient(loss, trace.recurrent_tap)
    recurrent = tf.einsum("bth,btk->hk", trace.prev_states, g_h)
    np.testing.assert_allclose(recurrent.numpy(),
                               tape.gradient(loss, layer.recurrent_kernel).numpy(), atol=1e-5)
    assert (trace.recurrent_tap is not None) == (cell == "gru")


def test_no_recording_outside_the_context():
    layer = layers.SimpleRNN(2)
    with tf.GradientTape() as tape:
        with layers.record_taps(tape) as recorder:
            pass
        layer(np.ones((1, 3, 2), "float32"))
    assert recorder.traces == []


@pytest.mark.parametrize("make, match", [
    (lambda: layers.LSTM(0), "units"),
    (lambda: layers.GRU(3, use_bias=1), "use_bias"),
    (lambda: layers.SimpleRNN(3, return_sequences="yes"), "return_sequences"),
    (lambda: layers.LSTM(3, unit_forget_bias=None), "unit_forget_bias"),
    (lambda: layers.TapRecorder("tape"), "tape"),
    (lambda: layers.LSTM(3)(np.ones((2, 3), "float32")), "features"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
