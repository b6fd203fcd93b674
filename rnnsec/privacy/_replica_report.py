"""``python -m rnnsec.privacy._replica_report R``: DP-SGD on R logical CPUs, as JSON on stdout.

Logical devices must be configured before TensorFlow initialises its devices, so this runs in a
fresh process (:func:`rnnsec.privacy.distributed.replica_report` starts it). It compares the
distributed update with the single-device one for the same batch and noise draw, and measures
the noise standard deviation of the update on 10,250 coordinates with the noise added once on
one replica, once on R replicas, and per replica (the mistake). Chapter 3.2.
"""

import json
import sys

import numpy as np
import tensorflow as tf

REPLICAS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu,
                                           [tf.config.LogicalDeviceConfiguration()] * REPLICAS)

from rnnsec.compat import keras  # noqa: E402
from rnnsec.privacy import clipping, distributed  # noqa: E402
from rnnsec.privacy.dp import noisy_gradients  # noqa: E402

C, SIGMA, B = 0.5, 1.3, 12.0  # clipping norm, noise multiplier, expected batch size
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def _lstm_model():
    tf.random.set_seed(0)
    return keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(3)])


def _wide_model():
    tf.random.set_seed(1)
    return keras.Sequential([keras.Input((40,)), keras.layers.Dense(250)])


def _grads(strategy, model, x, y, sigma, seed, noise="once"):
    out = distributed.distributed_noisy_gradients(
        strategy, model, LOSS, x, y, l2_norm_clip=C, noise_multiplier=sigma,
        expected_batch_size=B, generator=tf.random.Generator.from_seed(seed), noise=noise)
    return np.concatenate([g.numpy().ravel() for g in out])


def _main():
    report = {"replicas": len(tf.config.list_logical_devices("CPU"))}
    tf.get_logger().setLevel("ERROR")  # eager MirroredStrategy warns about its overhead
    many = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(REPLICAS)])
    one = tf.distribute.MirroredStrategy(["/cpu:0"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 5, 3)).astype("float32")
    y = rng.integers(0, 3, size=10)
    model = _lstm_model()
    single = clipping.clipped_gradient_sum(model, LOSS, x, y, C).grads
    single = noisy_gradients(single, C, SIGMA, B, tf.random.Generator.from_seed(7))
    single = np.concatenate([g.numpy().ravel() for g in single])
    report["update_gap"] = float(np.abs(_grads(many, model, x, y, SIGMA, 7) - single).max())
    report["update_scale"] = float(np.abs(single).max())
    wide = _wide_model()
    xw = rng.normal(size=(8, 40)).astype("float32")
    yw = rng.integers(0, 250, size=8)
    for name, strategy, noise in (("one", one, "once"), ("many", many, "once"),
                                  ("many_per_replica", many, "per_replica")):
        clean = _grads(strategy, wide, xw, yw, 0.0, 3)
        noisy = _grads(strategy, wide, xw, yw, SIGMA, 3, noise)
        report[f"std_{name}"] = float(np.std(noisy - clean))
    report["expected_std"] = SIGMA * C / B
    report["coordinates"] = int(clean.size)
    report.update(sigma=SIGMA, clip=C, expected_batch_size=B)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    _main()
