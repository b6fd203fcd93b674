"""Finding poisoned training examples in an RNN's final hidden state.

A backdoored model learns the trigger as a feature of its own: in the representation the
classifier reads (for the book's models, the recurrent layer's final hidden state, the input
of the last ``Dense``), the poisoned examples of a class sit apart from its clean ones. Two
defences look for that separation, class by class, in the training set:

- :func:`spectral_signatures` (Tran, Li & Madry 2018): centre the class's features, take their
  top right singular vector, score each example by its squared projection on it, and flag the
  ``1.5 x`` (expected poison count) highest scores.
- :func:`activation_clustering` (Chen et al. 2018): reduce the class's features to a few
  principal components, split them into two clusters with k-means, and flag the smaller
  cluster when it holds less than ``size_threshold`` of the class.

:func:`detection_report` states how well a defence did against known poison: detection TPR
(poison flagged) and FPR (clean examples flagged), each with a Wilson interval. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_float_array, as_int_array, check_number, check_same_length
from rnnsec.stats import Interval, proportion_interval

__all__ = ["penultimate_features", "spectral_signatures", "activation_clustering",
           "Detection", "DetectionReport", "detection_report"]


def penultimate_features(model, x, *, batch_size: int = 256) -> np.ndarray:
    """The input of ``model``'s last layer (for the book's classifiers: the RNN's final hidden
    state ``[N, H]``), computed by a Keras sub-model that ends before the classifier.

    Args:
        model: a functional Keras model (e.g. from ``rnnsec.models``) whose last layer is the
            classifier.
        x: its inputs.
        batch_size: prediction batch size (>= 1).

    Returns:
        float64 features ``[N, H]``.
    """
    from rnnsec.compat import keras
    from rnnsec.privacy.attacks import model_logits

    if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
        raise TypeError("model must be a functional Keras model (built with keras.Input), got "
                        f"{type(model).__name__}")
    features = keras.Model(model.input, model.layers[-1].input)
    out = model_logits(features, x, batch_size)  # any [N, H] output; finite checked
    return out


@dataclass(frozen=True)
class Detection:
    """The examples a defence flags as poison.

    Attributes:
        flagged: boolean ``[N]``, True for the examples the defence would remove.
        scores: the outlier score of each example ``[N]`` (higher = more suspicious).
        method: the defence's name.
    """

    flagged: np.ndarray
    scores: np.ndarray
    method: str


def _features_and_labels(features, labels) -> tuple[np.ndarray, np.ndarray]:
    z = as_float_array("features", features, ndim=2).astype(np.float64)
    y = as_int_array("labels", labels, ndim=1, low=0)
    check_same_length(features=z, labels=y)
    if len(z) == 0:
        raise ValueError("features must hold at least one example")
    return z, y


def spectral_signatures(features, labels, *, expected_rate: float,
                        removal_factor: float = 1.5) -> Detection:
    """Tran, Li & Madry 2018's spectral signature defence, class by class.

    For the ``n_c`` examples labelled ``c`` (rows ``R`` of ``features``), the score of example
    ``i`` is ``((R_i - mean(R)) . v)^2`` with ``v`` the top right singular vector of the centred
    ``R``; the ``round(removal_factor * expected_rate * n_c)`` highest scores are flagged.

    Args:
        features: ``[N, H]`` representations of the training examples
            (:func:`penultimate_features`).
        labels: their training labels ``[N]`` (poisoned labels included: the poison hides in
            its target class).
        expected_rate: the defender's upper guess of the poisoned fraction *of the target
            class* (the paper's epsilon), in (0, 1). The defender does not know which class
            is the target, so the same fraction is flagged in every class.
        removal_factor: how many times more examples than expected to flag (1.5 in the paper).
    """
    z, y = _features_and_labels(features, labels)
    check_number("expected_rate", expected_rate, low=0, high=1, low_open=True, high_open=True)
    check_number("removal_factor", removal_factor, low=0, low_open=True)
    scores = np.zeros(len(z))
    flagged = np.zeros(len(z), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        centred = z[idx] - z[idx].mean(axis=0)  # [n_c, H]
        v = np.linalg.svd(centred, full_matrices=False)[2][0]  # top right singular vector [H]
        scores[idx] = (centred @ v) ** 2
        count = min(len(idx), int(round(removal_factor * expected_rate * len(idx))))
        flagged[idx[np.argsort(-scores[idx], kind="stable")[:count]]] = True
    return Detection(flagged, scores, "spectral signatures")


def activation_clustering(features, labels, *, components: int = 10,
                          size_threshold: float = 0.35, seed: int = 0) -> Detection:
    """Chen et al. 2018's activation clustering, class by class.

    The class's features are reduced to ``components`` principal components and split by
    2-means; when the smaller cluster holds less than ``size_threshold`` of the class, its
    members are flagged (poison is a minority of its target class; a clean class splits into
    two clusters of similar size or not at all).

    Args:
        features: ``[N, H]`` representations (:func:`penultimate_features`).
        labels: training labels ``[N]``.
        components: principal components kept (>= 1; at most ``H``).
        size_threshold: relative size below which the smaller cluster is flagged, in (0, 0.5].
        seed: seed of k-means.

    Returns:
        :class:`Detection`; ``scores`` is 1 for members of a class's smaller cluster and 0
        otherwise, times the class's flag (so a class that looks clean scores 0).
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    z, y = _features_and_labels(features, labels)
    check_number("components", components, low=1, high=z.shape[1], integer=True)
    check_number("size_threshold", size_threshold, low=0, high=0.5, low_open=True)
    check_number("seed", seed, low=0, integer=True)
    flagged = np.zeros(len(z), dtype=bool)
    scores = np.zeros(len(z))
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) < 2:
            continue
        k = min(components, len(idx))
        reduced = PCA(n_components=k, random_state=seed).fit_transform(z[idx])  # [n_c, k]
        cluster = KMeans(2, n_init=10, random_state=seed).fit_predict(reduced)
        small = int(np.argmin(np.bincount(cluster, minlength=2)))
        share = np.mean(cluster == small)
        scores[idx] = (cluster == small) * (1 - share)
        if share < size_threshold:
            flagged[idx[cluster == small]] = True
    return Detection(flagged, scores, "activation clustering")


@dataclass(frozen=True)
class DetectionReport:
    """How well a defence found the poison.

    Attributes:
        tpr: fraction of the poisoned examples flagged (Wilson interval).
        fpr: fraction of the clean examples flagged (Wilson interval).
        method: the defence's name.
        n_flagged: number of flagged examples.
    """

    tpr: Interval
    fpr: Interval
    method: str
    n_flagged: int

    def as_dict(self) -> dict:
        """Estimates and interval ends as plain floats, for tables."""
        return {"method": self.method, "tpr": self.tpr.estimate, "tpr_low": self.tpr.low,
                "tpr_high": self.tpr.high, "fpr": self.fpr.estimate, "fpr_low": self.fpr.low,
                "fpr_high": self.fpr.high, "n_flagged": self.n_flagged}

    def __repr__(self) -> str:
        return (f"DetectionReport({self.method}: TPR {self.tpr.text()}, FPR "
                f"{self.fpr.text()}, {self.n_flagged} flagged)")


def detection_report(detection: Detection, is_poison) -> DetectionReport:
    """Detection TPR and FPR of ``detection`` against the known poison ``is_poison`` ``[N]``.

    Needs at least one poisoned and one clean example.
    """
    if not isinstance(detection, Detection):
        raise TypeError(f"detection must be a Detection, got {type(detection).__name__}")
    poison = np.asarray(is_poison)
    if poison.dtype != bool or poison.ndim != 1:
        raise TypeError("is_poison must be a 1-D boolean array (e.g. PoisonedData.is_poison)")
    check_same_length(flagged=detection.flagged, is_poison=poison)
    if poison.all() or not poison.any():
        raise ValueError("is_poison must mark at least one poisoned and one clean example")
    flagged = detection.flagged
    tpr = proportion_interval(float(flagged[poison].mean()), n=int(poison.sum()))
    fpr = proportion_interval(float(flagged[~poison].mean()), n=int((~poison).sum()))
    return DetectionReport(tpr, fpr, detection.method, int(flagged.sum()))
