"""Fine-pruning: cut the hidden units that clean data leaves idle, then fine-tune on clean data.

Liu, Dolan-Gavitt & Garg 2018 observed that a backdoor often lives in units that clean inputs
hardly use: the trigger switches them on, nothing else does. Their defence, for a defender who
holds the trained model and a small set of clean labelled data but not the training set:

1. **prune**: remove units of the last hidden layer in increasing order of their mean
   activation on the clean data, for as long as clean accuracy stays within
   ``max_accuracy_drop`` of the unpruned model's;
2. **fine-tune**: train the pruned model for a few epochs on the same clean data, with the
   pruned units held at zero.

For the book's recurrent classifiers the last hidden layer is the recurrent layer's final
hidden state, whose units are signed (``tanh``), so activity is the mean *absolute* value;
pruning a unit removes it from the classifier (its row of the last ``Dense`` kernel is
multiplied by zero), not from the recurrence. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number, check_same_length
from rnnsec.poisoning.defences import penultimate_features

__all__ = ["unit_activity", "PruningCurve", "pruning_curve", "prune_classifier",
           "FinePruned", "fine_prune"]


def unit_activity(model, x, *, batch_size: int = 256) -> np.ndarray:
    """Mean absolute activation of each unit of ``model``'s final hidden state on ``x`` ``[H]``.

    Args:
        model: a functional Keras classifier (see :func:`penultimate_features`).
        x: clean inputs.
        batch_size: prediction batch size (>= 1).
    """
    return np.abs(penultimate_features(model, x, batch_size=batch_size)).mean(axis=0)


@dataclass(frozen=True)
class PruningCurve:
    """Clean accuracy after pruning the ``k`` least active units, for ``k = 0 .. H - 1``.

    Attributes:
        order: the units from least to most active on the clean data ``[H]``.
        accuracy: ``accuracy[k]`` is the clean accuracy with ``order[:k]`` pruned ``[H]``.
    """

    order: np.ndarray
    accuracy: np.ndarray

    def units_within(self, max_accuracy_drop: float) -> int:
        """The largest ``k`` such that pruning ``order[:j]`` keeps clean accuracy at least
        ``accuracy[0] - max_accuracy_drop`` for every ``j <= k`` (pruning stops at the first
        ``k`` that falls further, as in Liu et al.)."""
        check_number("max_accuracy_drop", max_accuracy_drop, low=0, high=1)
        below = np.flatnonzero(self.accuracy < self.accuracy[0] - max_accuracy_drop)
        return int(below[0] - 1) if len(below) else len(self.accuracy) - 1


def _classifier_weights(model) -> tuple[np.ndarray, np.ndarray]:
    kernel, bias = model.layers[-1].get_weights()  # [H, C], [C]
    return np.asarray(kernel, dtype=np.float64), np.asarray(bias, dtype=np.float64)


def pruning_curve(model, x, y, *, batch_size: int = 256) -> PruningCurve:
    """Prune ``model``'s final hidden units one by one, least active on ``(x, y)`` first, and
    record clean accuracy on ``(x, y)`` after each.

    Exact and cheap: the features are computed once and the classifier (``Dense``) is applied
    to them with the pruned rows of its kernel set to zero.
    """
    y = as_int_array("y", y, ndim=1, low=0)
    features = penultimate_features(model, x, batch_size=batch_size)  # [N, H]
    check_same_length(x=features, y=y)
    kernel, bias = _classifier_weights(model)
    order = np.argsort(np.abs(features).mean(axis=0), kind="stable")
    keep = np.ones(len(order))
    accuracy = np.empty(len(order))
    for k in range(len(order)):
        if k:
            keep[order[k - 1]] = 0.0
        logits = features @ (kernel * keep[:, None]) + bias
        accuracy[k] = np.mean(logits.argmax(axis=1) == y)
    return PruningCurve(order, accuracy)


def prune_classifier(model, units):
    """A copy of ``model`` whose classifier ignores the final hidden ``units``.

    The copy has the same weights; a fixed ``0/1`` mask is multiplied into the hidden state
    before the last ``Dense``, so the pruned units stay at zero when the copy is trained.
    ``model`` itself is not changed.

    Args:
        model: a functional Keras classifier whose last layer is a ``Dense``.
        units: indices of the hidden units to prune (distinct, in ``[0, H)``).
    """
    from rnnsec.compat import keras

    width = model.layers[-1].input.shape[-1]
    units = as_int_array("units", units, ndim=1, low=0)
    if np.any(units >= width) or len(np.unique(units)) != len(units):
        raise ValueError(f"units must be distinct hidden-unit indices in [0, {width}), got "
                         f"{units.tolist()}")
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    mask = np.ones(width, dtype="float32")
    mask[units] = 0.0
    hidden = copy.layers[-1].input
    masked = keras.layers.Rescaling(mask, name="pruning_mask")(hidden)  # [B, H] * mask
    return keras.Model(copy.input, copy.layers[-1](masked), name=f"{model.name}_pruned")


@dataclass(frozen=True)
class FinePruned:
    """The result of :func:`fine_prune`.

    Attributes:
        model: the pruned and fine-tuned model (a new model; the input model is unchanged).
        pruned: the pruned hidden units.
        curve: the pruning curve on the defender's clean data.
    """

    model: object
    pruned: np.ndarray
    curve: PruningCurve


def fine_prune(model, x_clean, y_clean, *, max_accuracy_drop: float | None = 0.04,
               epochs: int = 5,
               batch_size: int = 32, learning_rate: float = 1e-3, seed: int = 0) -> FinePruned:
    """Liu, Dolan-Gavitt & Garg 2018's fine-pruning of a recurrent classifier.

    Args:
        model: the (possibly backdoored) functional Keras classifier with logits output.
        x_clean, y_clean: the defender's clean labelled data (not the training set).
        max_accuracy_drop: how much clean accuracy (on ``x_clean``) pruning may cost, in
            [0, 1] (the paper stops at 4 points); None prunes nothing, which leaves
            fine-tuning alone (the paper's baseline).
        epochs: fine-tuning epochs on the clean data (>= 0; 0 prunes only).
        batch_size: fine-tuning batch size (>= 1).
        learning_rate: Adam's learning rate for fine-tuning (> 0).
        seed: seed of the fine-tuning batch order.
    """
    from rnnsec.compat import keras
    from rnnsec.seeding import fit_seeded

    check_number("epochs", epochs, low=0, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("learning_rate", learning_rate, low=0, low_open=True)
    check_number("seed", seed, low=0, integer=True)
    curve = pruning_curve(model, x_clean, y_clean)
    count = 0 if max_accuracy_drop is None else curve.units_within(max_accuracy_drop)
    pruned = curve.order[:count]
    tuned = prune_classifier(model, pruned)
    if epochs:
        tuned.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        fit_seeded(tuned, np.asarray(x_clean), np.asarray(y_clean), epochs=epochs,
                   batch_size=batch_size, rng=np.random.default_rng(seed))
    return FinePruned(tuned, np.sort(pruned), curve)
