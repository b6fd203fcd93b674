"""Adversarial training that works with ``model.fit`` on Keras 2 and Keras 3.

``AdversarialTrainer`` wraps a model; its ``train_step`` builds adversarial inputs for each
minibatch (the inner maximisation) and takes the optimiser step on them (the outer
minimisation), so the usual ``compile``/``fit``/``evaluate`` work unchanged::

    at = AdversarialTrainer(model, method="pgd", epsilon=0.1, steps=7, clip_min=0, clip_max=1)
    at.compile(keras.optimizers.Adam(1e-3),
               keras.losses.SparseCategoricalCrossentropy(from_logits=True),
               metrics=["accuracy"])
    at.fit(x, y, epochs=10)        # trains `model` in place; at.evaluate(...) is clean accuracy

Methods: ``"pgd"`` (Madry et al. 2018), ``"fgsm_rs"`` (FGSM with a random start, Wong, Rice,
Kolter 2020; pair it with ``CatastrophicOverfittingMonitor``), ``"free"`` (Shafahi et al.
2019: each minibatch replayed ``replays`` times, the input gradient of every replay reused as
the next perturbation step; divide the epochs by ``replays``), ``"trades"`` (Zhang et al.
2019), and for text models ``"embedding_at"`` and ``"embedding_vat"`` (adversarial and
virtual adversarial training on L2-normalised word embeddings, Miyato, Dai, Goodfellow 2017).

Taught in Chapter 3.1 (Adversarial training of RNNs).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec._validate import as_float_array, as_int_array, check_choice, check_number
from rnnsec.adversarial._core import check_clip, check_norm
from rnnsec.adversarial.text import split_text_model
from rnnsec.adversarial.whitebox import pgd
from rnnsec.compat import compute_loss, compute_metrics, keras, track_loss

__all__ = ["METHODS", "AdversarialTrainer", "CatastrophicOverfittingMonitor"]

METHODS = ("pgd", "fgsm_rs", "free", "trades", "embedding_at", "embedding_vat")
CONTINUOUS = ("pgd", "fgsm_rs", "free", "trades")


class _FreeState:
    """Free AT's running perturbation ``[capacity, T, D]``, kept out of Keras's weights.

    Its shape is fixed: graph optimisers mishandle variables whose shape changes between
    steps. A minibatch of B examples uses the first ``min(B, capacity)`` rows.
    """

    def __init__(self, capacity: int, feature_shape: tuple):
        self.capacity = capacity
        self.delta = tf.Variable(tf.zeros((capacity, *feature_shape)), trainable=False)


class AdversarialTrainer(keras.Model):
    """A ``keras.Model`` wrapper whose ``fit`` trains the wrapped model adversarially.

    The wrapped model is trained in place (the trainer shares its weights); ``evaluate`` and
    ``predict`` use clean inputs. In the training logs, ``loss`` and the compiled metrics are
    measured on the inputs the step trains on: adversarial inputs for ``"pgd"``,
    ``"fgsm_rs"`` and ``"free"``, clean inputs for ``"trades"`` and the embedding methods,
    whose regulariser is logged separately (``trades_kl``, ``adv_loss``, ``vat_kl``).

    Args:
        model: classifier returning logits: ``[B, T, D] -> [B, C]`` for the continuous
            methods, ``tokens [B, L] -> [B, C]`` (Embedding first) for the embedding methods.
        method: one of ``METHODS``.
        epsilon: perturbation budget (>= 0): in input units and ``norm`` for continuous
            methods; L2 over the whole sequence in normalised embedding units for text.
        norm: ``"inf"`` or ``"2"`` (continuous methods).
        steps: inner PGD steps for ``"pgd"`` and ``"trades"`` (>= 1).
        step_size: inner step size; default ``2.5 * epsilon / steps`` (PGD, TRADES),
            ``1.25 * epsilon`` (FGSM-RS, Wong et al.), ``epsilon`` (free).
        replays: minibatch replays m for ``"free"`` (>= 1).
        random_start: start ``"pgd"`` and ``"fgsm_rs"`` from a uniform random point of the
            ball (True, the default) or from the clean input (False: plain FGSM training for
            ``"fgsm_rs"``, the setting in which Wong et al. 2020 saw catastrophic overfitting).
        beta: TRADES trade-off (>= 0); loss = CE(clean) + beta * KL(clean || adversarial).
        adv_weight: weight of the adversarial / virtual adversarial term for text (>= 0).
        xi: size of the random probe of VAT's power iteration (> 0).
        clip_min, clip_max: valid input range of continuous inputs.
        mask_value: for padded continuous sequences, the value whose all-equal steps are
            padding (as in ``keras.layers.Masking``); such steps are never perturbed.
            None: every step is real.

    Chapter 3.1 (PGD, FGSM-RS, free and TRADES; embedding AT and VAT for text models).
    """

    def __init__(self, model: keras.Model, method: str = "pgd", epsilon: float = 0.1, *,
                 norm: str = "inf", steps: int = 7, step_size: float | None = None,
                 replays: int = 4, random_start: bool = True, beta: float = 6.0,
                 adv_weight: float = 1.0, xi: float = 1e-6, clip_min: float | None = None,
                 clip_max: float | None = None, mask_value: float | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
        check_choice("method", method, METHODS)
        check_number("epsilon", epsilon, low=0)
        check_norm(norm)
        check_number("steps", steps, low=1, integer=True)
        check_number("replays", replays, low=1, integer=True)
        if not isinstance(random_start, bool):
            raise TypeError(f"random_start must be True or False, got {random_start!r}")
        check_number("beta", beta, low=0)
        check_number("adv_weight", adv_weight, low=0)
        check_number("xi", xi, low=0, low_open=True)
        check_clip(clip_min, clip_max)
        if mask_value is not None:
            check_number("mask_value", mask_value)
        if step_size is not None:
            check_number("step_size", step_size, low=0, low_open=True)
        self.base_model = model
        self.method, self.epsilon, self.norm, self.steps = method, float(epsilon), norm, steps
        self.step_size = float(step_size) if step_size is not None else _default_step(
            method, float(epsilon), steps)
        self.replays, self.beta, self.adv_weight, self.xi = replays, beta, adv_weight, xi
        self.random_start = random_start
        self.clip_min, self.clip_max, self.mask_value = clip_min, clip_max, mask_value
        self._parts = None
        if method in ("embedding_at", "embedding_vat"):
            self._parts = split_text_model(model)
        self._extra = None
        extra_name = {"trades": "trades_kl", "embedding_at": "adv_loss",
                      "embedding_vat": "vat_kl"}.get(method)
        if extra_name:
            self._extra = keras.metrics.Mean(name=extra_name)
        self._free = None  # created by fit, which knows the batch size
        if method == "free":
            self._feature_shape = tuple(model.input_shape[1:])
            if None in self._feature_shape:
                raise ValueError("method='free' needs a model with a fixed input shape (steps, "
                                 f"features), got {self._feature_shape}")

    def call(self, inputs, training=None):
        return self.base_model(inputs, training=training)

    def compile(self, *args, jit_compile: bool = False, **kwargs):
        """``keras.Model.compile``, with XLA off by default (the step has dynamic shapes)."""
        return super().compile(*args, jit_compile=jit_compile, **kwargs)

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        """``keras.Model.fit``; free AT first allocates its perturbation for ``batch_size``."""
        if self.method == "free" and self._free is None:
            self._free = _FreeState(batch_size or 32, self._feature_shape)
        return super().fit(x, y, batch_size, *args, **kwargs)

    def epochs_for(self, epochs: int) -> int:
        """Epochs to pass to ``fit`` for the cost of ``epochs`` passes of forward/backward.

        Free AT replays each minibatch ``replays`` times, so it is run for ``epochs / replays``
        epochs (Shafahi et al. 2019); the other methods return ``epochs``.
        """
        check_number("epochs", epochs, low=1, integer=True)
        return max(1, round(epochs / self.replays)) if self.method == "free" else epochs

    # ---- the training step -------------------------------------------------------------
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if self.method == "free":
            return self._free_step(x, y, sample_weight)
        if self.method in ("pgd", "fgsm_rs"):
            x_adv = self._pgd_inputs(x, y) if self.method == "pgd" else self._fgsm_rs_inputs(x, y)
            return self._fit_on(x_adv, y, sample_weight)
        if self.method == "trades":
            return self._trades_step(x, y, sample_weight)
        return self._embedding_step(x, y, sample_weight)

    def _apply(self, tape, loss):
        variables = self.base_model.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))

    def _logs(self, x, y, y_pred, sample_weight, loss, extra=None):
        track_loss(self, loss, tf.shape(y_pred)[0])
        if extra is not None:
            self._extra.update_state(extra)
        logs = compute_metrics(self, x, y, y_pred, sample_weight)
        if self._extra is not None:
            logs[self._extra.name] = self._extra.result()
        return logs

    def _fit_on(self, x_train, y, sample_weight):
        with tf.GradientTape() as tape:
            y_pred = self.base_model(x_train, training=True)  # [B, C]
            loss = compute_loss(self, x_train, y, y_pred, sample_weight)
        self._apply(tape, loss)
        return self._logs(x_train, y, y_pred, sample_weight, loss)

    # ---- continuous inputs -------------------------------------------------------------
    def _step_mask(self, x):
        """``[B, T, 1]``: 1 for real steps, 0 for padding (from ``mask_value``)."""
        if self.mask_value is None:
            return tf.ones_like(x[:, :, :1])
        real = tf.reduce_any(tf.not_equal(x, self.mask_value), axis=-1, keepdims=True)
        return tf.cast(real, x.dtype)

    def _finish(self, x, delta, mask):
        """``x + delta`` with delta masked, projected into the ball and clipped to the range."""
        delta = _project(delta * mask, self.epsilon, self.norm)
        x_adv = x + delta
        if self.clip_min is not None or self.clip_max is not None:
            low = -np.inf if self.clip_min is None else self.clip_min
            high = np.inf if self.clip_max is None else self.clip_max
            x_adv = tf.clip_by_value(x_adv, low, high)
        return tf.stop_gradient(x_adv)

    def _input_gradient(self, x_adv, y):
        with tf.GradientTape() as tape:
            tape.watch(x_adv)
            logits = self.base_model(x_adv, training=False)
            loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        return tape.gradient(loss, x_adv)

    def _start(self, x, mask):
        """The first point: uniform in the ball (``random_start``) or the clean input."""
        if not self.random_start:
            return tf.stop_gradient(x)
        return self._finish(x, _random_start(x, self.epsilon, self.norm, mask), mask)

    def _pgd_inputs(self, x, y):
        """PGD-k, by default from a random start (Madry et al. 2018)."""
        mask = self._step_mask(x)
        x_adv = self._start(x, mask)
        for _ in range(self.steps):
            step = self.step_size * _direction(self._input_gradient(x_adv, y), self.norm)
            x_adv = self._finish(x, x_adv - x + step, mask)
        return x_adv

    def _fgsm_rs_inputs(self, x, y):
        """One FGSM step of ``1.25 epsilon`` from a uniform random start (Wong et al. 2020).

        With ``random_start=False`` it is plain FGSM training (Goodfellow et al. 2015).
        """
        mask = self._step_mask(x)
        x_adv = self._start(x, mask)
        step = self.step_size * _direction(self._input_gradient(x_adv, y), self.norm)
        return self._finish(x, x_adv - x + step, mask)

    def _free_step(self, x, y, sample_weight):
        """``replays`` optimiser steps on one minibatch, each also advancing the perturbation."""
        mask = self._step_mask(x)
        stored = self._free.delta.read_value()  # [capacity, T, D], the previous minibatch's
        take = tf.minimum(self._free.capacity, tf.shape(x)[0])
        delta = tf.concat([stored[:take], tf.zeros_like(x[take:])], axis=0)  # [B, T, D]
        variables = self.base_model.trainable_variables
        for _ in range(self.replays):
            x_adv = self._finish(x, delta, mask)
            with tf.GradientTape() as tape:
                tape.watch(x_adv)
                y_pred = self.base_model(x_adv, training=True)
                loss = compute_loss(self, x_adv, y, y_pred, sample_weight)
            # One backward pass gives both the weight and the input gradient ("free").
            grads = tape.gradient(loss, [*variables, x_adv])
            self.optimizer.apply_gradients(zip(grads[:-1], variables, strict=True))
            delta = x_adv - x + self.step_size * _direction(grads[-1], self.norm)
            logs = self._logs(x_adv, y, y_pred, sample_weight, loss)
        delta = _project(delta * mask, self.epsilon, self.norm)
        self._free.delta.assign(tf.concat([delta[:take], stored[take:]], axis=0))
        return logs

    def _trades_step(self, x, y, sample_weight):
        """TRADES: CE on clean inputs + beta * KL(p(x) || p(x')), x' maximising the KL."""
        mask = self._step_mask(x)
        p_clean = tf.stop_gradient(tf.nn.softmax(self.base_model(x, training=False)))
        x_adv = self._finish(x, 0.001 * tf.random.normal(tf.shape(x)) * mask, mask)
        for _ in range(self.steps):
            with tf.GradientTape() as tape:
                tape.watch(x_adv)
                kl = _kl(p_clean, self.base_model(x_adv, training=False))
            step = self.step_size * _direction(tape.gradient(kl, x_adv), self.norm)
            x_adv = self._finish(x, x_adv - x + step, mask)
        with tf.GradientTape() as tape:
            y_pred = self.base_model(x, training=True)
            loss = compute_loss(self, x, y, y_pred, sample_weight)
            kl = tf.reduce_mean(_kl(tf.nn.softmax(y_pred), self.base_model(x_adv,
                                                                           training=True)))
            total = loss + self.beta * kl
        self._apply(tape, total)
        return self._logs(x, y, y_pred, sample_weight, loss, extra=kl)

    # ---- text: embedding space -----------------------------------------------------------
    def _embedding_step(self, x, y, sample_weight):
        """Embedding AT or VAT on L2-normalised embeddings (Miyato et al. 2017)."""
        parts = self._parts
        with tf.GradientTape() as tape:
            emb, mask = parts.embed(x)  # [B, L, E], [B, L]
            real = tf.ones_like(emb[:, :, :1]) if mask is None else tf.cast(mask, emb.dtype)[
                :, :, None]  # [B, L, 1]
            scale = tf.stop_gradient(tf.norm(emb, axis=-1, keepdims=True) * real)  # [B, L, 1]
            zero = tf.zeros_like(emb)
            with tf.GradientTape() as inner:
                inner.watch(zero)
                y_pred = parts.logits_from_embeddings(emb + scale * zero, mask, training=True)
                loss = compute_loss(self, x, y, y_pred, sample_weight)
            if self.method == "embedding_at":
                grad = tf.stop_gradient(inner.gradient(loss, zero))
                r_adv = self.epsilon * _direction(grad * real, "2")
                adv_logits = parts.logits_from_embeddings(emb + scale * r_adv, mask,
                                                          training=True)
                extra = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                    y, adv_logits, from_logits=True))
            else:
                extra = self._vat_kl(parts, emb, scale, real, mask, y_pred)
            total = loss + self.adv_weight * extra
        self._apply(tape, total)
        return self._logs(x, y, y_pred, sample_weight, loss, extra=extra)

    def _vat_kl(self, parts, emb, scale, real, mask, logits):
        """Virtual adversarial loss: one power iteration from a random direction."""
        p = tf.stop_gradient(tf.nn.softmax(logits))
        d = self.xi * _direction(tf.random.normal(tf.shape(emb)) * real, "2")
        with tf.GradientTape() as probe:
            probe.watch(d)
            kl = _kl(p, parts.logits_from_embeddings(tf.stop_gradient(emb) + scale * d, mask,
                                                     training=True))
        grad = tf.stop_gradient(probe.gradient(kl, d))
        r_vadv = self.epsilon * _direction(grad * real, "2")
        return tf.reduce_mean(_kl(p, parts.logits_from_embeddings(emb + scale * r_vadv, mask,
                                                                  training=True)))


def _default_step(method: str, epsilon: float, steps: int) -> float:
    if method == "fgsm_rs":
        return 1.25 * epsilon
    if method == "free":
        return epsilon
    return 2.5 * epsilon / steps


def _reduce_axes(t):
    return tf.range(1, tf.rank(t))


def _direction(g, norm: str):
    """Steepest-ascent unit direction per example: sign (L-inf) or g / ||g||_2 (L2)."""
    if norm == "inf":
        return tf.sign(g)
    size = tf.sqrt(tf.reduce_sum(tf.square(g), axis=_reduce_axes(g), keepdims=True))
    return tf.math.divide_no_nan(g, size)


def _project(delta, epsilon: float, norm: str):
    """Project each example's perturbation onto the epsilon ball."""
    if norm == "inf":
        return tf.clip_by_value(delta, -epsilon, epsilon)
    size = tf.sqrt(tf.reduce_sum(tf.square(delta), axis=_reduce_axes(delta), keepdims=True))
    return delta * tf.minimum(1.0, epsilon / tf.maximum(size, 1e-12))


def _random_start(x, epsilon: float, norm: str, mask):
    """Uniform in the L-inf ball, or a random direction at a random radius in the L2 ball."""
    if norm == "inf":
        return tf.random.uniform(tf.shape(x), -epsilon, epsilon) * mask
    direction = _direction(tf.random.normal(tf.shape(x)) * mask, "2")
    radius = epsilon * tf.random.uniform(tf.concat([tf.shape(x)[:1], tf.ones_like(
        tf.shape(x)[1:])], axis=0))
    return direction * radius


def _kl(p, logits_q):
    """Per-example KL(p || softmax(logits_q)) ``[B]``."""
    log_p = tf.math.log(tf.maximum(p, 1e-12))
    return tf.reduce_sum(p * (log_p - tf.nn.log_softmax(logits_q)), axis=-1)


class CatastrophicOverfittingMonitor(keras.callbacks.Callback):
    """Stop training when PGD accuracy collapses, and restore the best weights.

    At the end of each epoch it runs PGD on a held-out slice of the training data and logs the
    robust accuracy as ``pgd_accuracy``. If it falls more than ``max_drop`` below the best seen
    so far, FGSM training has overfitted catastrophically (Wong, Rice, Kolter 2020): training
    stops and the weights of the best epoch come back.

    Args:
        x, y: the held-out slice ``[N, T, D]`` and its labels.
        epsilon, norm, steps, clip_min, clip_max: the PGD attack that measures robustness.
        max_drop: allowed fall of PGD accuracy below its best (in (0, 1]).
        restore_best_weights: put back the best weights when it stops.
        seed: seed of PGD's random start (the same each epoch).
        mask_value: for padded sequences, the value whose all-equal steps are padding (as in
            ``AdversarialTrainer``); PGD leaves them untouched. None: every step is real.

    Attributes:
        history: PGD accuracy after each epoch.
        best_epoch: epoch with the highest PGD accuracy.
        stopped_epoch: epoch at which the collapse was detected, or None.

    Chapter 3.1.
    """

    def __init__(self, x, y, epsilon: float, *, norm: str = "inf", steps: int = 10,
                 clip_min: float | None = None, clip_max: float | None = None,
                 max_drop: float = 0.2, restore_best_weights: bool = True, seed: int = 0,
                 mask_value: float | None = None):
        super().__init__()
        self.x = as_float_array("x", x, ndim=3).astype(np.float32)
        self.y = as_int_array("y", y, ndim=1, low=0)
        if len(self.x) != len(self.y):
            raise ValueError(f"mismatched lengths: x={len(self.x)}, y={len(self.y)}; they must "
                             "be equal")
        check_number("epsilon", epsilon, low=0)
        check_norm(norm)
        check_number("steps", steps, low=1, integer=True)
        check_number("max_drop", max_drop, low=0, low_open=True, high=1)
        mask = None
        if mask_value is not None:
            check_number("mask_value", mask_value)
            mask = np.any(self.x != mask_value, axis=-1).astype(np.float32)  # [N, T]
        self.attack_kwargs = dict(epsilon=epsilon, norm=norm, steps=steps, clip_min=clip_min,
                                  clip_max=clip_max, mask=mask, seed=seed, progress=False)
        self.max_drop, self.restore_best_weights = max_drop, restore_best_weights
        self.history: list[float] = []
        self.best_epoch, self.stopped_epoch = -1, None
        self._best, self._best_weights = -np.inf, None

    def on_train_begin(self, logs=None):
        self.history, self.best_epoch, self.stopped_epoch = [], -1, None
        self._best, self._best_weights = -np.inf, None

    def on_epoch_end(self, epoch, logs=None):
        target = getattr(self.model, "base_model", self.model)
        acc = pgd(target, self.x, self.y, **self.attack_kwargs).robust_accuracy
        self.history.append(acc)
        if logs is not None:
            logs["pgd_accuracy"] = acc
        if acc > self._best:
            self._best, self.best_epoch = acc, epoch
            self._best_weights = target.get_weights()
        elif acc < self._best - self.max_drop:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self._best_weights is not None:
                target.set_weights(self._best_weights)

    @property
    def collapsed(self) -> bool:
        """Whether a catastrophic drop was detected."""
        return self.stopped_epoch is not None
