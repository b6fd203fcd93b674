"""Fixtures shared by the unit tests of rnnsec.adversarial."""

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier


@pytest.fixture(scope="session")
def trained_toy_lstm():
    """A small LSTM trained to tell which of 3 features has the largest mean over 6 steps.

    Returns ``(model, x, y)`` with 300 sequences; the model was trained on the first 200.
    """
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 6, 3)).astype("float32")
    y = x.mean(axis=1).argmax(axis=1)
    model = sequence_classifier((6, 3), 3, units=16)
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:200], y[:200], epochs=30, batch_size=32, verbose=0)
    return model, x, y
