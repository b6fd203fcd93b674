"""``python -m rnnsec.privacy._replica_report R``: DP-SGD on R logical CPUs, as JSON on stdout.

Logical devices must be configured before TensorFlow initialises its devices, so this runs in a
fresh process (:func:`rnnsec.privacy.distributed.replica_report` starts it). It compares the
distributed update with the single-device one for the same batch and noise draw, and measures
the noise standard deviation of the update on 10,250 coordinates with the noise added once on
one replica, once on R replicas, and per replica (the mistake); and trains three epochs on
Poisson batches with :func:`~rnnsec.privacy.distributed.train_distributed` on R replicas and on
one, comparing the weights. Chapter 3.2.
"""

import json
import sys

import numpy as np

C, SIGMA, B = 0.5, 1.3, 12.0  # clipping norm, noise multiplier, expected batch size


def _configure(replicas: int):
    """Split the CPU into ``replicas`` logical devices; must run before TF starts its devices."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    tf.get_logger().setLevel("ERROR")  # eager MirroredStrategy warns about its overhead
    return tf


def _flat(grads) -> np.ndarray:
    return np.concatenate([g.numpy().ravel() for g in grads])


def _training(tf, keras, distributed, loss, many, one, rng) -> dict:
    """Three epochs of DP-SGD on Poisson batches on R replicas and on one, from the same
    initial weights: the same final weights."""
    from rnnsec.privacy.dp import poisson_batches

    x = rng.normal(size=(60, 5, 3)).astype("float32")
    y = rng.integers(0, 3, size=60)
    tf.random.set_seed(2)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(3)])
    initial = model.get_weights()
    weights, runs = [], []
    for strategy in (many, one):
        model.set_weights(initial)
        runs.append(distributed.train_distributed(
            strategy, model, keras.optimizers.SGD(0.5), loss,
            poisson_batches(x, y, 0.2, seed=4), epochs=3, l2_norm_clip=C,
            noise_multiplier=SIGMA, delta=1e-3, seed=9))
        weights.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    start = np.concatenate([w.ravel() for w in initial])
    return {"train_gap": float(np.abs(weights[0] - weights[1]).max()),
            "train_moved": float(np.abs(weights[1] - start).max()),
            "train_steps": runs[0]["steps"], "train_epsilon": runs[0]["epsilon"],
            "train_epsilon_one": runs[1]["epsilon"]}


def _report(replicas: int) -> dict:
    tf = _configure(replicas)
    from rnnsec.compat import keras
    from rnnsec.privacy import clipping, distributed
    from rnnsec.privacy.dp import noisy_gradients

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

    def grads(strategy, model, x, y, sigma, seed, noise="once"):
        return _flat(distributed.distributed_noisy_gradients(
            strategy, model, loss, x, y, l2_norm_clip=C, noise_multiplier=sigma,
            expected_batch_size=B, generator=tf.random.Generator.from_seed(seed), noise=noise))

    report = {"replicas": len(tf.config.list_logical_devices("CPU"))}
    many = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(replicas)])
    one = tf.distribute.MirroredStrategy(["/cpu:0"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 5, 3)).astype("float32")  # [B, T, D]: a small LSTM's batch
    y = rng.integers(0, 3, size=10)
    tf.random.set_seed(0)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(3)])
    single = clipping.clipped_gradient_sum(model, loss, x, y, C).grads
    single = _flat(noisy_gradients(single, C, SIGMA, B, tf.random.Generator.from_seed(7)))
    report["update_gap"] = float(np.abs(grads(many, model, x, y, SIGMA, 7) - single).max())
    report["update_scale"] = float(np.abs(single).max())
    tf.random.set_seed(1)
    wide = keras.Sequential([keras.Input((40,)), keras.layers.Dense(250)])  # 10,250 weights
    xw = rng.normal(size=(8, 40)).astype("float32")
    yw = rng.integers(0, 250, size=8)
    for name, strategy, noise in (("one", one, "once"), ("many", many, "once"),
                                  ("many_per_replica", many, "per_replica")):
        clean = grads(strategy, wide, xw, yw, 0.0, 3)
        report[f"std_{name}"] = float(np.std(grads(strategy, wide, xw, yw, SIGMA, 3, noise)
                                             - clean))
    report.update(_training(tf, keras, distributed, loss, many, one, rng))
    report.update(expected_std=SIGMA * C / B, coordinates=int(clean.size), sigma=SIGMA, clip=C,
                  expected_batch_size=B)
    return report


if __name__ == "__main__":
    json.dump(_report(int(sys.argv[1]) if len(sys.argv) > 1 else 2), sys.stdout)
