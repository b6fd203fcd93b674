"""Constraints on word-substitution candidates: keep only swaps likely to keep the label.

Nearest neighbours in co-occurrence or embedding space include antonyms ("good" and "bad" fill
the same slots), so an unconstrained word-swap attack can succeed by writing a different review.
Alzantot et al. (2018) and Morris et al. (2020) therefore constrain the candidates; here the
constraint is a word class (a sentiment polarity, e.g. ``rnnsec.data.word_polarity``) that a
swap must keep. Chapter 2.1 measures flip rates with and without it.
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import as_int_array
from rnnsec.adversarial.text import check_candidates


def same_class_candidates(candidates, word_class) -> np.ndarray:
    """Drop every candidate whose class differs from the class of the word it would replace.

    With sentiment polarities as classes (``rnnsec.data.word_polarity``: negative, neutral,
    positive, negation), a polar word is swapped only for a word of the same polarity and a
    neutral word never for a polar one or a negation, the sentiment constraint on word swaps of
    Alzantot et al. (2018) and Morris et al. (2020). It is a proxy for label preservation, not a
    human judgement: words the lexicon does not know count as neutral.

    Args:
        candidates: ``[V, K]`` substitute ids per token id (-1 = none), e.g. from
            ``nearest_neighbors``.
        word_class: ``[V]`` int class of every token id.

    Returns:
        ``[V, K]`` int64 table of the kept candidates, in their original order (nearest first),
        moved to the front of each row; the freed places hold -1.

    Chapter 2.1 (label-preserving word swaps).
    """
    word_class = as_int_array("word_class", word_class, ndim=1)
    table = check_candidates(candidates, len(word_class)).astype(np.int64)
    same = (table >= 0) & (word_class[table] == word_class[:, None])  # [V, K]
    order = np.argsort(~same, axis=1, kind="stable")  # kept first, order kept
    kept = np.take_along_axis(np.where(same, table, -1), order, axis=1)
    return kept
