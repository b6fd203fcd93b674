"""rnnsec.mpc.rnn_forward reproduces real Keras models from their get_weights() (Chapter 3.3).

The MPC package itself never imports TensorFlow; only this test does, to check that the weight
layout and the cell equations are Keras's (Keras 2 on the pinned stack, Keras 3 on the current).
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from tensorflow import keras  # noqa: E402

from rnnsec import mpc  # noqa: E402

B, T, D, H, C = 6, 5, 3, 4, 3
LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU,
          "lstm": keras.layers.LSTM}


def _model(cell: str, masking: bool) -> keras.Model:
    layers = [keras.Input(shape=(T, D))]
    if masking:
        layers.append(keras.layers.Masking(mask_value=0.0))
    layers += [LAYERS[cell](H), keras.layers.Dense(C)]
    return keras.Sequential(layers)


@pytest.mark.parametrize("cell", mpc.CELLS)
def test_rnn_forward_matches_keras(cell):
    keras.utils.set_random_seed(0)
    model = _model(cell, masking=False)
    weights = model.get_weights()
    weights[2] = np.random.default_rng(1).normal(0, 0.3, size=weights[2].shape)  # non-zero bias
    model.set_weights(weights)
    x = np.random.default_rng(0).normal(size=(B, T, D)).astype(np.float32)
    expected = model(x, training=False).numpy()
    np.testing.assert_allclose(mpc.rnn_forward(model.get_weights(), x, cell), expected,
                               atol=2e-5)


@pytest.mark.parametrize("cell", mpc.CELLS)
def test_lengths_match_keras_masking(cell):
    keras.utils.set_random_seed(1)
    model = _model(cell, masking=True)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    lengths = np.array([1, 2, 3, 4, 5, 5])
    x[np.arange(T)[None, :] >= lengths[:, None]] = 0.0  # right padding that Masking skips
    expected = model(x, training=False).numpy()
    got = mpc.rnn_forward(model.get_weights(), x, cell, lengths=lengths)
    np.testing.assert_allclose(got, expected, atol=2e-5)
