"""Row-wise handwritten digits: the source article's 10-class sequence task (Chapter 1, 5.1).

Each 8x8 scikit-learn digit is read row by row: 8 time steps of 8 features, scaled to [0, 1].
The data ship inside scikit-learn (Alpaydin & Kaynak 1998, UCI Optical Recognition of
Handwritten Digits), so nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from rnnsec.data._common import SequenceDataset, split_indices, subsample


def load_digits_sequences(test_fraction: float = 0.2, seed: int = 0,
                          fraction: float = 1.0) -> SequenceDataset:
    """Load sklearn's digits as sequences ``[N, 8, 8]`` (rows are time steps).

    Args:
        test_fraction: fraction of each class held out for testing, in (0, 1).
        seed: seed of the stratified split.
        fraction: fraction of the training split to keep, in (0, 1] (the test split is kept
            whole so accuracies stay comparable).

    Returns:
        A ``SequenceDataset``: float32 inputs in [0, 1] (pixel / 16), int64 labels 0-9; with
        the defaults, 1,438 training and 359 test sequences.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)  # [1797, 8, 8]
    y = digits.target.astype(np.int64)
    train_idx, test_idx = split_indices(y, test_fraction, seed)
    train_idx = train_idx[subsample(len(train_idx), fraction, seed)]
    full = np.full(len(y), 8, dtype=np.int64)
    return SequenceDataset(
        x_train=x[train_idx], y_train=y[train_idx], x_test=x[test_idx], y_test=y[test_idx],
        class_names=tuple(str(d) for d in range(10)),
        lengths_train=full[train_idx], lengths_test=full[test_idx], name="digits-rows",
        info={"source": "sklearn.datasets.load_digits", "scale": "pixel / 16 in [0, 1]",
              "clip_min": 0.0, "clip_max": 1.0},
    )
