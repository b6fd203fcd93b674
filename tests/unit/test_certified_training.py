"""IBP certified training through AdversarialTrainer.fit (Gowal et al. 2018)."""

import numpy as np
import pytest
import tensorflow as tf

from rnnsec.adversarial import AdversarialTrainer
from rnnsec.certify.training import IBPTraining
from rnnsec.compat import keras, per_example_loss
from rnnsec.models import sequence_classifier


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 4, 3)).astype(np.float32)
    return x, (x[:, :, 0].mean(1) > 0.5).astype(np.int64)


def _trainer(model, method):
    trainer = AdversarialTrainer(model, method)
    trainer.compile(keras.optimizers.Adam(1e-2),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=["accuracy"])
    return trainer


def test_schedule_ramps_epsilon_and_kappa():
    method = IBPTraining(0.2, warmup_steps=10, ramp_steps=20, kappa_end=0.5)
    values = [tuple(float(v) for v in method.schedule(s)) for s in (0, 10, 20, 30, 99)]
    assert values[0] == values[1] == (0.0, 1.0)
    assert values[2] == pytest.approx((0.1, 0.75))
    assert values[3] == pytest.approx((0.2, 0.5)) and values[4] == values[3]


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_fit_trains_with_the_ibp_loss(cell):
    x, y = _data()
    model = sequence_classifier((4, 3), 2, cell=cell, units=5, implementation="rnnsec", seed=0)
    before = [w.copy() for w in model.get_weights()]
    trainer = _trainer(model, IBPTraining(0.1, ramp_steps=2, clip_min=0, clip_max=1))
    history = trainer.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["ibp_loss"]).all()
    assert history.history["ibp_loss"][-1] >= history.history["loss"][-1] - 1e-6
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_robust_loss_at_zero_radius_is_the_clean_loss():
    x, y = _data(16)
    model = sequence_classifier((4, 3), 2, cell="lstm", units=5, masking=True, seed=1)
    x[:4, 2:] = 0.0  # padding
    method = IBPTraining(0.1)
    method.bind(model)
    clean = tf.reduce_mean(per_example_loss()(y, model(x)))
    assert float(method.robust_loss(x, tf.constant(y, tf.int32), 0.0)) == pytest.approx(
        float(clean), abs=1e-5)
    assert float(method.robust_loss(x, tf.constant(y, tf.int32), 0.1)) > float(clean)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        IBPTraining(-1.0)
    with pytest.raises(ValueError, match="ramp_steps must be >= 1"):
        IBPTraining(0.1, ramp_steps=0)
    with pytest.raises(ValueError, match="kappa_end must be <= 1"):
        IBPTraining(0.1, kappa_end=2.0)
    inputs = keras.Input((4, 3))
    dense = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="sequence_classifier"):
        AdversarialTrainer(dense, IBPTraining(0.1))
