"""Adversarial training that works with ``model.fit`` on Keras 2 and Keras 3.

``AdversarialTrainer`` wraps a model and a training method object; its ``train_step``
delegates to the method, so the usual ``compile``/``fit``/``evaluate`` work unchanged::

    at = AdversarialTrainer(model, PGD(0.1, steps=7, clip_min=0, clip_max=1))
    at.compile(keras.optimizers.Adam(1e-3),
               keras.losses.SparseCategoricalCrossentropy(from_logits=True),
               metrics=["accuracy"])
    at.fit(x, y, epochs=10)        # trains `model` in place; at.evaluate(...) is clean accuracy

Methods (``rnnsec.adversarial.transforms`` and ``rnnsec.adversarial.methods``): ``PGD``
(Madry et al. 2018), ``FGSMRS`` (FGSM with a random start, Wong, Rice, Kolter 2020; pair it
with ``CatastrophicOverfittingMonitor``), ``Free`` (Shafahi et al. 2019; divide the epochs by
``replays`` with ``epochs_for``), ``TRADES`` (Zhang et al. 2019), and for text models
``EmbeddingAT`` and ``EmbeddingVAT`` (Miyato, Dai, Goodfellow 2017). ``PGD`` and ``FGSMRS``
are per-example input transforms, so they also compose with DP training:
``make_private(model, l2_norm_clip=C, noise_multiplier=sigma, adversary=PGD(...))``.

Taught in Chapter 3.1 (Adversarial training of RNNs).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from rnnsec._validate import as_float_array, as_int_array, check_number
from rnnsec.adversarial._core import check_norm
from rnnsec.adversarial.methods import TrainingMethod
from rnnsec.adversarial.whitebox import pgd
from rnnsec.compat import compute_metrics, keras, track_loss

__all__ = ["AdversarialTrainer", "CatastrophicOverfittingMonitor"]

_KNOWN = "PGD, FGSMRS, Free, TRADES, EmbeddingAT or EmbeddingVAT"


class AdversarialTrainer(keras.Model):
    """A ``keras.Model`` wrapper whose ``fit`` trains the wrapped model with ``method``.

    The wrapped model is trained in place (the trainer shares its weights); ``evaluate`` and
    ``predict`` use clean inputs. In the training logs, ``loss`` and the compiled metrics are
    measured on the inputs the step trains on: adversarial inputs for ``PGD``, ``FGSMRS`` and
    ``Free``, clean inputs for ``TRADES`` and the embedding methods, whose regulariser is
    logged separately (``trades_kl``, ``adv_loss``, ``vat_kl``).

    Args:
        model: classifier returning logits: ``[B, T, D] -> [B, C]`` for the continuous
            methods, ``tokens [B, L] -> [B, C]`` (Embedding first) for the embedding methods.
        method: a training method object: ``PGD``, ``FGSMRS``, ``Free``, ``TRADES``,
            ``EmbeddingAT``, ``EmbeddingVAT`` (or any ``TrainingMethod`` subclass).

    Chapter 3.1 (PGD, FGSM-RS, free, TRADES, embedding AT and VAT).
    """

    def __init__(self, model: keras.Model, method: TrainingMethod, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
        if not isinstance(method, TrainingMethod):
            hint = (f" (method names became objects: e.g. PGD(epsilon) instead of {method!r})"
                    if isinstance(method, str) else "")
            raise TypeError(f"method must be a training method object ({_KNOWN} from "
                            f"rnnsec.adversarial), got {type(method).__name__}{hint}")
        method.bind(model)
        self.base_model = model
        self.method = method
        self._extra = (keras.metrics.Mean(name=method.extra_metric)
                       if method.extra_metric else None)

    def call(self, inputs, training=None):
        return self.base_model(inputs, training=training)

    def compile(self, *args, jit_compile: bool = False, **kwargs):
        """``keras.Model.compile``, with XLA off by default (the step has dynamic shapes)."""
        return super().compile(*args, jit_compile=jit_compile, **kwargs)

    def fit(self, x=None, y=None, batch_size=None, *args, **kwargs):
        """``keras.Model.fit``; the method first allocates what it needs for ``batch_size``."""
        self.method.prepare(batch_size)
        return super().fit(x, y, batch_size, *args, **kwargs)

    def epochs_for(self, epochs: int) -> int:
        """Epochs to pass to ``fit`` for the cost of ``epochs`` passes of forward/backward.

        Free AT replays each minibatch ``replays`` times, so it is run for ``epochs / replays``
        epochs (Shafahi et al. 2019); the other methods return ``epochs``.
        """
        return self.method.epochs_for(epochs)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        return self.method.train_step(self, x, y, sample_weight)

    def apply_loss(self, tape, loss) -> None:
        """One optimiser step of the wrapped model on ``loss`` recorded by ``tape``."""
        variables = self.base_model.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))

    def logs(self, x, y, y_pred, sample_weight, loss, extra=None) -> dict:
        """Count ``loss`` (and the method's regulariser ``extra``); return the step's logs."""
        track_loss(self, loss, tf.shape(y_pred)[0])
        if extra is not None:
            self._extra.update_state(extra)
        logs = compute_metrics(self, x, y, y_pred, sample_weight)
        if self._extra is not None:
            logs[self._extra.name] = self._extra.result()
        return logs


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
            ``PGD``); the attack leaves them untouched. None: every step is real.

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
