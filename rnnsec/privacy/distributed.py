"""DP-SGD across devices with ``tf.distribute``: clip on every replica, add the noise once.

A data-parallel DP-SGD step on R replicas (GPUs, or logical CPU devices) must compute exactly
what one device would (Abadi et al. 2016, Algorithm 1):

1. **Sampling** is done once, over the whole training set (Poisson with rate q, what the
   accountant analyses); the sampled batch is then split among the replicas. Poisson sampling
   of each replica's shard with the same q is the same mechanism; fixed-size batches per
   replica are not what the accountant describes.
2. **Clipping** is per example, on the replica that holds the example, *before* anything is
   summed: each replica returns sum_j clip_C(g_j) over its own examples.
3. The clipped sums are **all-reduced** (summed over replicas): sensitivity C, as on one device.
4. **Noise** N(0, sigma^2 C^2 I) is added **once** to the total, then divided by the expected
   global batch size B. The standard deviation of the update's noise is sigma C / B whatever R.

:func:`distributed_noisy_gradients` does that for one batch; :func:`train_distributed` trains
with it on Poisson batches (:func:`rnnsec.privacy.dp.poisson_batches`) and reports the
accountant's epsilon for what it ran. ``noise="per_replica"`` reproduces the classic
mistake for the book: every replica adds its own N(0, sigma^2 C^2 I) before the sum, so the
update carries sqrt(R) times the intended noise (R draws summed) while the accountant still
reports the epsilon of sigma; Chapter 3.2 computes what that costs. (Clipping *after* the
all-reduce, the other classic mistake, would clip a sum of gradients, not each example's, and
bound nothing per example.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from rnnsec._validate import check_choice, check_number, check_same_length
from rnnsec.privacy import clipping
from rnnsec.privacy.accounting import compute_epsilon
from rnnsec.privacy.dp import Batches, noisy_gradients

NOISE_PLACEMENTS = ("once", "per_replica")


def split_batch(x, y, replicas: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split one (globally sampled) batch into ``replicas`` consecutive, near-equal parts.

    Every part must hold at least one example (a replica with nothing to clip would trace a
    different step). Chapter 3.2 (DP across devices).
    """
    n = check_same_length(x=x, y=y)
    check_number("replicas", replicas, low=1, integer=True)
    if n < replicas:
        raise ValueError(f"the batch must hold at least one example per replica, got {n} "
                         f"examples for {replicas} replicas")
    cuts = np.array_split(np.arange(n), replicas)
    return [(np.asarray(x)[c], np.asarray(y)[c]) for c in cuts]


def _per_replica_sums(strategy, model, loss_fn, x, y, l2_norm_clip: float, engine: str):
    """Each replica's sum of clipped per-example gradients over its own part of the batch."""
    parts = split_batch(x, y, strategy.num_replicas_in_sync)

    def value_fn(context):
        px, py = parts[context.replica_id_in_sync_group]
        return tf.constant(px), tf.constant(py)

    inputs = strategy.experimental_distribute_values_from_function(value_fn)

    def replica_fn(batch):
        bx, by = batch
        return clipping.clipped_gradient_sum(model, loss_fn, bx, by, l2_norm_clip,
                                             engine).grads

    return strategy.run(replica_fn, args=(inputs,))


def distributed_noisy_gradients(strategy: tf.distribute.Strategy, model, loss_fn, x, y, *,
                                l2_norm_clip: float, noise_multiplier: float,
                                expected_batch_size: float, generator: tf.random.Generator,
                                noise: str = "once", engine: str = "auto") -> list[tf.Tensor]:
    """The DP-SGD gradient of one globally sampled batch, computed on ``strategy``'s replicas.

    Args:
        strategy: a ``tf.distribute`` strategy (e.g. ``MirroredStrategy`` over two logical
            CPU devices); the batch is split among its replicas (:func:`split_batch`).
        model: the Keras model (its ``trainable_variables`` get the gradients).
        loss_fn: a per-example loss, as in :func:`rnnsec.privacy.clipping.clipped_gradient_sum`.
        x, y: the batch, sampled once over the whole data set (e.g. a Poisson batch).
        l2_norm_clip: C > 0, applied per example on each replica.
        noise_multiplier: sigma >= 0.
        expected_batch_size: B, the divisor (q N for Poisson sampling).
        generator: the ``tf.random.Generator`` of the noise.
        noise: ``"once"`` (right: one draw added to the all-reduced sum) or ``"per_replica"``
            (the mistake: one draw per replica, summed with the clipped sums).
        engine: the clipping engine (``"auto"``, ``"fast"`` or ``"general"``).

    Returns:
        ``(sum_j clip_C(g_j) + noise) / B`` per trainable variable; with ``noise="once"`` the
        same as one device computes with the same generator state, up to float rounding.

    Abadi et al. 2016 (DP-SGD), run data-parallel; Chapter 3.2 (DP across devices).
    """
    check_choice("noise", noise, NOISE_PLACEMENTS)
    check_number("l2_norm_clip", l2_norm_clip, low=0, low_open=True)
    check_number("noise_multiplier", noise_multiplier, low=0)
    check_number("expected_batch_size", expected_batch_size, low=0, low_open=True)
    per_replica = _per_replica_sums(strategy, model, loss_fn, x, y, l2_norm_clip, engine)
    if noise == "once":
        summed = [strategy.reduce(tf.distribute.ReduceOp.SUM, g, axis=None)
                  for g in per_replica]
        return noisy_gradients(summed, l2_norm_clip, noise_multiplier, expected_batch_size,
                               generator)
    # the mistake: each replica's clipped sum gets its own full-size draw before the sum
    local = [strategy.experimental_local_results(g) for g in per_replica]
    noisy = [[noisy_gradients([part], l2_norm_clip, noise_multiplier, 1.0, generator)[0]
              for part in parts] for parts in local]
    return [tf.add_n(parts) / expected_batch_size for parts in noisy]


def _batch_gradients(strategy, model, loss_fn, x, y, noise: str, **dp) -> list[tf.Tensor]:
    """One batch's DP gradient. A Poisson batch with fewer examples than replicas (even an
    empty one) is clipped on one device and gets the noise once."""
    if len(y) >= strategy.num_replicas_in_sync:
        return distributed_noisy_gradients(strategy, model, loss_fn, x, y, noise=noise, **dp)
    summed = (clipping.clipped_gradient_sum(model, loss_fn, x, y, dp["l2_norm_clip"],
                                            dp["engine"]).grads if len(y) else
              [tf.zeros_like(v) for v in model.trainable_variables])
    return noisy_gradients(summed, dp["l2_norm_clip"], dp["noise_multiplier"],
                           dp["expected_batch_size"], dp["generator"])


def train_distributed(strategy: tf.distribute.Strategy, model, optimizer, loss_fn,
                      batches: Batches, *, epochs: int, l2_norm_clip: float,
                      noise_multiplier: float, delta: float, seed: int = 0,
                      noise: str = "once", engine: str = "auto") -> dict:
    """Train ``model`` with DP-SGD on ``strategy``'s replicas, one Poisson batch per step.

    Each step samples a batch over the whole training set (``batches`` must come from
    :func:`rnnsec.privacy.dp.poisson_batches`, the sampling the accountant analyses), computes
    :func:`distributed_noisy_gradients` and applies them with ``optimizer``. The noise comes
    from one ``tf.random.Generator`` seeded with ``seed``, so a run on R replicas and a run on
    one device take the same steps up to float rounding.

    Args:
        strategy: a ``tf.distribute`` strategy.
        model: a built Keras model (its variables are updated in place).
        optimizer: a Keras optimizer.
        loss_fn: a per-example loss (``reduction="none"``).
        batches: Poisson batches of the training set.
        epochs: passes over ``batches`` (>= 1).
        l2_norm_clip, noise_multiplier: C > 0 and sigma >= 0.
        delta: the target delta of the reported epsilon, in (0, 1).
        seed: the noise generator's seed.
        noise: ``"once"`` or ``"per_replica"`` (the mistake; the epsilon reported is then the
            one the accountant would wrongly claim, for sigma).
        engine: the clipping engine.

    Returns:
        ``{"steps": ..., "epsilon": ..., "delta": ..., "replicas": ...}``; epsilon is None
        when sigma is 0 (no privacy).

    Abadi et al. 2016 (DP-SGD), data-parallel; Chapter 3.2 (DP across devices).
    """
    if not isinstance(batches, Batches) or batches.sampling != "poisson":
        raise TypeError("batches must be Batches from rnnsec.privacy.dp.poisson_batches "
                        f"(Poisson sampling), got {batches!r}")
    check_number("epochs", epochs, low=1, integer=True)
    check_number("delta", delta, low=0, high=1, low_open=True, high_open=True)
    check_choice("noise", noise, NOISE_PLACEMENTS)
    dp = dict(l2_norm_clip=l2_norm_clip, noise_multiplier=noise_multiplier,
              expected_batch_size=batches.expected_batch_size,
              generator=tf.random.Generator.from_seed(seed), engine=engine)
    steps = 0
    for _ in range(epochs):
        for x, y in batches.dataset:
            grads = _batch_gradients(strategy, model, loss_fn, x.numpy(), y.numpy(),
                                     noise=noise, **dp)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            steps += 1
    epsilon = None if noise_multiplier == 0 else compute_epsilon(
        noise_multiplier, sampling_rate=batches.sampling_rate, steps=steps,
        delta=delta).epsilon
    return {"steps": steps, "epsilon": epsilon, "delta": delta,
            "replicas": strategy.num_replicas_in_sync}


def noise_std(noise_multiplier: float, l2_norm_clip: float, expected_batch_size: float, *,
              replicas: int = 1, noise: str = "once") -> float:
    """The standard deviation of the noise in each coordinate of the update.

    ``sigma C / B`` when the noise is added once (any number of replicas);
    ``sqrt(R) sigma C / B`` when every one of R replicas adds its own. Chapter 3.2.
    """
    check_choice("noise", noise, NOISE_PLACEMENTS)
    check_number("replicas", replicas, low=1, integer=True)
    check_number("expected_batch_size", expected_batch_size, low=0, low_open=True)
    base = float(noise_multiplier) * float(l2_norm_clip) / float(expected_batch_size)
    return base if noise == "once" else base * float(np.sqrt(replicas))


def replica_report(replicas: int = 2, *, timeout: float = 300.0) -> dict:
    """Measure a DP-SGD step on ``replicas`` logical CPU devices, in a fresh Python process.

    TensorFlow fixes its devices when it starts, so the logical CPUs are configured in a new
    process (``python -m rnnsec.privacy._replica_report``), which returns:
    ``replicas``; ``update_gap``, the largest difference between the distributed update and
    the single-device one for the same batch and noise draw (``update_scale``: the largest
    update coordinate); ``std_one``, ``std_many``, ``std_many_per_replica``, the measured noise
    standard deviation per coordinate with the noise added once on one replica, once on all of
    them, and per replica; ``expected_std`` = sigma C / B; ``coordinates``; ``sigma``, ``clip``,
    ``expected_batch_size``.

    Raises:
        RuntimeError: with the process's error output when it fails.

    Chapter 3.2 (DP across devices).
    """
    check_number("replicas", replicas, low=2, high=16, integer=True)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
           "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-m", "rnnsec.privacy._replica_report",
                           str(replicas)], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the replica measurement failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
