"""Utility-matched controls: stop a non-private run where a private one got to.

A DP model that reaches 40% test accuracy leaks less than a non-private model at 80%; part of
that is the privacy, part is that it learned less, and what a model has not learned it cannot
memorise. To credit a drop in attack success to DP, compare the DP model with the *same* model
trained without DP and stopped at the DP model's utility (its held-out accuracy or loss): a
utility-matched control. :class:`StopAtTarget` is the Keras callback that stops it: it checks
a held-out metric every few training steps and stops as soon as the target is reached.

The held-out set must not be the test split on which the models are compared afterwards:
stopping on it would select the control by its test score. Chapter 6.1 uses it.
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import as_int_array, check_choice, check_number
from rnnsec.compat import keras

__all__ = ["StopAtTarget", "held_out_metric"]


def held_out_metric(model, x, y, metric: str, *, batch_size: int = 256) -> float:
    """Mean accuracy or cross-entropy (nats) of a logits model on ``(x, y)``.

    Args:
        model: a Keras model whose outputs are logits ``[N, C]`` (a classifier) or
            ``[N, T, C]`` (a language model; every position counts).
        x, y: inputs and int labels of shape ``[N]`` or ``[N, T]``.
        metric: ``"accuracy"`` or ``"loss"``.
        batch_size: prediction batch size (>= 1).

    Returns:
        The metric as a float.
    """
    check_choice("metric", metric, ("accuracy", "loss"))
    check_number("batch_size", batch_size, low=1, integer=True)
    x = np.asarray(x)
    # a direct call per batch: predict() builds a function per call, too slow for a check
    # every few steps
    logits = np.concatenate([np.asarray(model(x[i:i + batch_size], training=False))
                             for i in range(0, len(x), batch_size)]).astype(np.float64)
    labels = as_int_array("y", y, low=0)
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"y must have the shape of the model's outputs without the class axis "
                         f"{logits.shape[:-1]}, got {labels.shape}")
    if metric == "accuracy":
        return float(np.mean(logits.argmax(axis=-1) == labels))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1))
    picked = np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
    return float(np.mean(log_norm - picked))


class StopAtTarget(keras.callbacks.Callback):
    """Stop training as soon as a held-out metric reaches a target value.

    Every ``every`` training steps (and at the end of each epoch) it computes
    :func:`held_out_metric` on ``(x, y)``; training stops at the first check where the accuracy
    is ``>= target`` (``metric="accuracy"``) or the loss is ``<= target`` (``metric="loss"``).
    Used to train utility-matched non-private controls of DP models.

    Args:
        x, y: the held-out set (not the test split the models are compared on).
        metric: ``"accuracy"`` or ``"loss"``.
        target: the value to reach (a finite number; an accuracy in [0, 1], a loss >= 0).
        every: check every this many training steps (>= 1).
        batch_size: prediction batch size of the checks.

    Attributes:
        reached: whether the target was reached (training stopped early).
        steps: training steps taken when it stopped (or when training ended).
        value: the metric at the last check.
        history: ``(step, value)`` of every check.

    Chapter 6.1.
    """

    def __init__(self, x, y, *, metric: str, target: float, every: int = 1,
                 batch_size: int = 256):
        super().__init__()
        check_choice("metric", metric, ("accuracy", "loss"))
        if metric == "accuracy":
            check_number("target", target, low=0.0, high=1.0)
        else:
            check_number("target", target, low=0.0)
        check_number("every", every, low=1, integer=True)
        check_number("batch_size", batch_size, low=1, integer=True)
        if len(x) != len(y):
            raise ValueError(f"mismatched lengths: x={len(x)}, y={len(y)}; they must be equal")
        self.x, self.y = x, np.asarray(y)
        self.metric, self.target = metric, float(target)
        self.every, self.batch_size = int(every), int(batch_size)
        self._reset()

    def _reset(self) -> None:
        self.reached, self.steps, self.value = False, 0, float("nan")
        self.history: list[tuple[int, float]] = []

    def _check(self) -> None:
        if self.reached or (self.history and self.history[-1][0] == self.steps):
            return
        self.value = held_out_metric(self.model, self.x, self.y, self.metric,
                                     batch_size=self.batch_size)
        self.history.append((self.steps, self.value))
        self.reached = (self.value >= self.target if self.metric == "accuracy"
                        else self.value <= self.target)
        if self.reached:
            self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self._reset()

    def on_train_batch_end(self, batch, logs=None):
        if self.reached:
            return
        self.steps += 1
        if self.steps % self.every == 0:
            self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()

    def __repr__(self) -> str:
        state = "reached" if self.reached else "not reached"
        return (f"StopAtTarget({self.metric} {'>=' if self.metric == 'accuracy' else '<='} "
                f"{self.target:.4g}: {state} after {self.steps} steps, value {self.value:.4g})")
