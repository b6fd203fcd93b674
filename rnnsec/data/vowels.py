"""JapaneseVowels: speaker identification from variable-length speech frames (Chapter 2.1).

Nine male speakers utter the Japanese vowels /ae/; each utterance is 7-29 frames of 12 LPC
cepstrum coefficients (Kudo, Toyama, Shimbo 1999), distributed in the UEA multivariate time
series archive (Bagnall et al. 2018) and shipped inside the ``sktime`` wheel, which rnnsec reads
by path without importing sktime.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnsec.data._common import SequenceDataset, package_file, pad_sequences, standardize, subsample

SKTIME_VERSION = "1.2.0"
MAX_FRAMES = 29


def read_ts(path: str | Path) -> tuple[list[np.ndarray], list[str]]:
    """Read a multivariate ``.ts`` file of the UCR/UEA archive.

    Args:
        path: path of the ``.ts`` file (header lines start with ``@``; each data line holds one
            comma-separated series per dimension, separated by ``:``, then the class label).

    Returns:
        ``(series, labels)``: one float32 array ``[T_i, D]`` per example, and the raw labels.
    """
    series, labels, in_data = [], [], False
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dims, label = line.split(":")
        values = [np.array(d.split(","), dtype=np.float32) for d in dims]
        if len({len(v) for v in values}) != 1:
            raise ValueError(f"{path}:{line_no}: dimensions have different lengths")
        series.append(np.stack(values, axis=1))  # [T_i, D]
        labels.append(label)
    if not series:
        raise ValueError(f"{path} holds no @data section")
    return series, labels


def load_japanese_vowels(fraction: float = 1.0, seed: int = 0) -> SequenceDataset:
    """Load JapaneseVowels, standardised and zero-padded to 29 frames.

    Args:
        fraction: fraction of the 270 training utterances to keep, in (0, 1].
        seed: seed of that subsample.

    Returns:
        A ``SequenceDataset``: float32 inputs ``[N, 29, 12]`` standardised per coefficient with
        the training frames' mean and std, padding exactly 0 after each utterance (use
        ``sequence_classifier(..., masking=True)``); ``lengths_*`` the real frame counts;
        labels 0-8 for speakers 1-9. The official split: 270 training, 370 test utterances.
        The label *is* the speaker, and both files are ordered by speaker (the first 31 test
        utterances are all speaker 1): evaluate on
        ``rnnsec.data.stratified_subset(y_test, n, seed=...)``, which covers every speaker
        in proportion, never on a prefix ``x_test[:n]``.
    """
    folder = "datasets/data/JapaneseVowels"
    parts = {}
    for split in ("TRAIN", "TEST"):
        path = package_file("sktime", f"{folder}/JapaneseVowels_{split}.ts", SKTIME_VERSION)
        series, labels = read_ts(path)
        x, lengths = pad_sequences(series, MAX_FRAMES)
        parts[split] = (x, np.array([int(lab) - 1 for lab in labels], dtype=np.int64), lengths)
    (x_tr, y_tr, len_tr), (x_te, y_te, len_te) = parts["TRAIN"], parts["TEST"]
    keep = subsample(len(y_tr), fraction, seed)
    x_tr, y_tr, len_tr = x_tr[keep], y_tr[keep], len_tr[keep]
    x_tr, x_te, mean, std = standardize(x_tr, x_te, len_tr, len_te)
    return SequenceDataset(
        x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te,
        class_names=tuple(f"speaker {i}" for i in range(1, 10)),
        lengths_train=len_tr, lengths_test=len_te, name="JapaneseVowels",
        info={"source": f"sktime=={SKTIME_VERSION} (UEA archive)", "mean": mean, "std": std,
              "units": "standard deviations of each LPC coefficient"},
    )
