"""rnnsec.controls: stopping a non-private control at a private model's held-out utility."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec.compat import keras
from rnnsec.controls import StopAtTarget, held_out_metric


def _model(seq: bool = False):
    keras.utils.set_random_seed(0)
    if seq:
        model = keras.Sequential([keras.Input((6,)), keras.layers.Embedding(5, 4),
                                  keras.layers.LSTM(4, return_sequences=True),
                                  keras.layers.Dense(5)])
    else:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)


def test_held_out_metric_matches_keras_loss_and_accuracy():
    model = _model(seq=True)
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, (7, 6)), rng.integers(0, 5, (7, 6))
    logits = model.predict(x, verbose=0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    assert held_out_metric(model, x, y, "loss") == pytest.approx(float(loss), rel=1e-5)
    assert held_out_metric(model, x, y, "accuracy") == pytest.approx(
        float(np.mean(logits.argmax(-1) == y)))


def test_stops_at_the_first_check_that_reaches_the_target():
    x, y = _data()
    model = _model()
    stop = StopAtTarget(x, y, metric="accuracy", target=0.0, every=3)
    model.fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[stop])
    assert stop.reached and stop.steps == 3 and stop.history == [(3, stop.value)]
    model = _model()
    stop = StopAtTarget(x, y, metric="loss", target=0.0)  # unreachable
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=[stop])
    assert not stop.reached and stop.steps == 12 and len(stop.history) == 12
    assert "not reached after 12 steps" in repr(stop)


def test_a_reached_target_means_the_metric_is_on_the_right_side():
    x, y = _data()
    model = _model()
    stop = StopAtTarget(x, y, metric="accuracy", target=0.7)
    model.fit(x, y, batch_size=10, epochs=20, verbose=0, callbacks=[stop])
    assert stop.reached and stop.value >= 0.7 > max(v for _, v in stop.history[:-1])
    assert held_out_metric(model, x, y, "accuracy") == pytest.approx(stop.value)


@pytest.mark.parametrize("kwargs, match", [
    (dict(metric="auc", target=0.5), "metric must be one of"),
    (dict(metric="accuracy", target=1.5), "target"),
    (dict(metric="loss", target=-1.0), "target"),
    (dict(metric="loss", target=1.0, every=0), "every"),
])
def test_bad_arguments_are_named(kwargs, match):
    x, y = _data()
    with pytest.raises(ValueError, match=match):
        StopAtTarget(x, y, **kwargs)
    with pytest.raises(ValueError, match="mismatched lengths"):
        StopAtTarget(x, y[:-1], metric="loss", target=1.0)
