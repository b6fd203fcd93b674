"""DP-SGD across two logical CPU devices with tf.distribute (Chapter 3.2, DP across devices).

Logical devices must be configured before TensorFlow initialises its devices, so the
measurements run in a fresh process (``distributed.replica_report``).
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec.privacy import distributed


@pytest.fixture(scope="module")
def report() -> dict:
    return distributed.replica_report(2)


def test_two_logical_devices_exist(report):
    assert report["replicas"] == 2


def test_distributed_update_equals_the_single_device_one(report):
    # same batch, same noise draw (same generator seed): the same update up to float rounding
    assert report["update_gap"] <= 1e-5 * max(1.0, report["update_scale"])


def test_noise_std_is_sigma_c_over_b_whatever_the_replicas(report):
    tol = 0.05 * report["expected_std"]  # ~1% standard error on 10,000 coordinates
    assert report["coordinates"] >= 10_000
    assert abs(report["std_one"] - report["expected_std"]) <= tol
    assert abs(report["std_many"] - report["expected_std"]) <= tol
    # the mistake: one draw per replica gives sqrt(2) times the noise the accountant assumed
    wrong = report["std_many_per_replica"]
    assert abs(wrong - np.sqrt(2) * report["expected_std"]) <= np.sqrt(2) * tol


def test_training_on_replicas_equals_training_on_one_device(report):
    # 3 epochs of Poisson batches: the weights moved, and both runs took the same steps
    assert report["train_steps"] == 15
    assert report["train_moved"] > 1e-3
    assert report["train_gap"] <= 1e-4 * max(1.0, report["train_moved"])
    assert report["train_epsilon"] == report["train_epsilon_one"] > 0


def test_train_distributed_wants_poisson_batches():
    import tensorflow as tf

    from rnnsec.compat import keras
    from rnnsec.privacy.dp import shuffled_batches

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    strategy = tf.distribute.get_strategy()
    batches = shuffled_batches(np.zeros((4, 2)), np.zeros(4), 2)
    with pytest.raises(TypeError, match="poisson_batches"):
        distributed.train_distributed(strategy, model, keras.optimizers.SGD(0.1), loss, batches,
                                      epochs=1, l2_norm_clip=1.0, noise_multiplier=1.0,
                                      delta=1e-5)


def test_noise_std_formula_and_validation():
    assert distributed.noise_std(1.0, 2.0, 4.0) == pytest.approx(0.5)
    wrong = distributed.noise_std(1.0, 2.0, 4.0, replicas=4, noise="per_replica")
    assert wrong == pytest.approx(1.0)
    with pytest.raises(ValueError, match="noise"):
        distributed.noise_std(1.0, 1.0, 1.0, noise="twice")
    with pytest.raises(ValueError, match="at least one example per replica"):
        distributed.split_batch(np.zeros((1, 2)), np.zeros(1), 2)
    parts = distributed.split_batch(np.arange(10)[:, None], np.arange(10), 3)
    assert [len(p[1]) for p in parts] == [4, 3, 3]
