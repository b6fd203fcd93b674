"""ONION-style removal of outlier words from text inputs, with a bigram language model.

Qi et al. 2021 (ONION) defend a text classifier against inserted-word triggers at test time:
a trigger word (a rare token, an unrelated phrase) makes a sentence less fluent, so removing it
lowers the sentence's perplexity under a language model much more than removing an ordinary
word does. For each word ``w_i`` the suspicion score is

    f_i = PPL(sentence) - PPL(sentence without w_i),

and the words with ``f_i > threshold`` are removed before the classifier sees the sentence.
ONION uses GPT-2 as its language model; offline, :class:`BigramLanguageModel` (add-``k``
smoothed word bigrams, fitted on text the defender trusts) plays that role. It is weaker than
GPT-2 at judging fluency, but a rare token out of place is exactly what bigram counts see.

:func:`onion_scores` gives every word's suspicion, :func:`onion_filter` removes the suspicious
words; the flags on known trigger tokens go into ``detection_report`` for a TPR and FPR per
word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number
from rnnsec.poisoning.triggers import PAD, TriggeredBatch, _text_lengths

__all__ = ["BigramLanguageModel", "onion_scores", "onion_filter"]


@dataclass(frozen=True)
class BigramLanguageModel:
    """Add-``smoothing`` word bigram model over token ids; id 0 (padding) marks sentence start.

    Build one with :meth:`fit`. ``log_prob(previous, current)`` is
    ``log((c(previous, current) + k) / (c(previous) + k V))`` elementwise.

    Attributes:
        keys: sorted bigram codes ``previous * V + current`` seen in the fitting text.
        counts: their counts.
        context_counts: ``c(previous)`` for every id ``[V]``.
        vocab_size: V.
        smoothing: k > 0.
    """

    keys: np.ndarray
    counts: np.ndarray
    context_counts: np.ndarray
    vocab_size: int
    smoothing: float

    @classmethod
    def fit(cls, x, *, vocab_size: int, smoothing: float = 0.1,
            lengths=None) -> BigramLanguageModel:
        """Count the bigrams of token rows ``x`` ``[N, L]`` (padding 0 at the end).

        Args:
            x: token ids of the trusted text.
            vocab_size: number of ids V (ids must lie below it).
            smoothing: add-k smoothing constant (> 0).
            lengths: real tokens per row (None: the non-zero ids).
        """
        check_number("vocab_size", vocab_size, low=2, integer=True)
        check_number("smoothing", smoothing, low=0, low_open=True)
        x = as_int_array("x", x, ndim=2, low=0, high=vocab_size)
        lengths = _text_lengths(x, lengths)
        prev, cur = _pairs(x, lengths)
        keys, counts = np.unique(prev * vocab_size + cur, return_counts=True)
        context = np.bincount(prev, minlength=vocab_size)
        return cls(keys, counts, context, int(vocab_size), float(smoothing))

    def log_prob(self, previous, current) -> np.ndarray:
        """Log-probabilities of ``current`` after ``previous`` (arrays of ids, same shape)."""
        previous, current = np.asarray(previous), np.asarray(current)
        codes = previous * self.vocab_size + current
        at = np.clip(np.searchsorted(self.keys, codes), 0, max(len(self.keys) - 1, 0))
        seen = self.counts[at] * (self.keys[at] == codes) if len(self.keys) else 0 * codes
        return (np.log(seen + self.smoothing)
                - np.log(self.context_counts[previous] + self.smoothing * self.vocab_size))


def _pairs(x: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(previous, current) ids of every real token, previous = 0 at a sentence start."""
    shifted = np.concatenate([np.zeros((len(x), 1), dtype=x.dtype), x[:, :-1]], axis=1)
    real = np.arange(x.shape[1])[None, :] < lengths[:, None]
    return shifted[real], x[real]


def _perplexity(log_probs: np.ndarray, n: np.ndarray) -> np.ndarray:
    """exp(-mean log-probability) for sums of ``n`` terms (n = 0 gives perplexity 1)."""
    return np.exp(-log_probs / np.maximum(n, 1))


def onion_scores(x, language_model: BigramLanguageModel, *, lengths=None) -> np.ndarray:
    """ONION's suspicion ``PPL(s) - PPL(s without w_i)`` of every word of every row.

    Args:
        x: token ids ``[N, L]`` (padding 0 at the end).
        language_model: a fitted :class:`BigramLanguageModel`.
        lengths: real tokens per row (None: the non-zero ids).

    Returns:
        float ``[N, L]``; padding positions hold ``-inf`` (never removed). Qi et al. 2021.
    """
    if not isinstance(language_model, BigramLanguageModel):
        raise TypeError("language_model must be a BigramLanguageModel, got "
                        f"{type(language_model).__name__}")
    x = as_int_array("x", x, ndim=2, low=0, high=language_model.vocab_size)
    lengths = _text_lengths(x, lengths)
    lp = language_model.log_prob
    prev = np.concatenate([np.full((len(x), 1), PAD), x[:, :-1]], axis=1)  # [N, L]
    nxt = np.concatenate([x[:, 1:], np.full((len(x), 1), PAD)], axis=1)  # [N, L]
    steps = np.arange(x.shape[1])[None, :]
    real = steps < lengths[:, None]
    has_next = steps < lengths[:, None] - 1
    terms = np.where(real, lp(prev, x), 0.0)  # log P(w_i | w_{i-1}) [N, L]
    total = terms.sum(axis=1, keepdims=True)  # [N, 1]
    # Without w_i: lose P(w_i | w_{i-1}) and P(w_{i+1} | w_i), gain P(w_{i+1} | w_{i-1}).
    after = np.concatenate([terms[:, 1:], np.zeros((len(x), 1))], axis=1)
    without = total - terms - np.where(has_next, after - lp(prev, nxt), 0.0)
    n = lengths[:, None]
    scores = _perplexity(total, n) - _perplexity(without, n - 1)
    return np.where(real, scores, -np.inf)


def onion_filter(x, scores, *, threshold: float, lengths=None) -> TriggeredBatch:
    """Remove the words whose ONION score exceeds ``threshold`` and close the gaps.

    Args:
        x: token ids ``[N, L]``.
        scores: :func:`onion_scores` of ``x`` ``[N, L]``.
        threshold: words scoring above it are removed (Qi et al. choose it on clean
            validation text, e.g. a high quantile of its scores).
        lengths: real tokens per row (None: the non-zero ids).

    Returns:
        :class:`~rnnsec.poisoning.TriggeredBatch` with the filtered ``x`` and ``lengths``;
        ``dropped`` counts the removed words per row and ``positions`` is -1 (no trigger
        added). ``scores > threshold`` marks the removed positions of the original ``x``.
    """
    dtype = np.asarray(x).dtype
    x = as_int_array("x", x, ndim=2, low=0)
    lengths = _text_lengths(x, lengths)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != x.shape:
        raise ValueError(f"scores must have the shape of x {x.shape}, got {scores.shape}")
    check_number("threshold", threshold)
    keep = (np.arange(x.shape[1])[None, :] < lengths[:, None]) & ~(scores > threshold)
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        kept = row[keep[i]]
        out[i, : len(kept)] = kept
    new_lengths = keep.sum(axis=1)
    return TriggeredBatch(out.astype(dtype), new_lengths, np.full(len(x), -1),
                          lengths - new_lengths)
