"""A sentiment lexicon and per-word polarity classes for constraining word swaps (Chapter 2.1).

The valence lexicon of VADER (Hutto & Gilbert 2014: about 7,500 words, emoticons and slang,
each rated from -4 to +4 by ten people) ships inside the ``vaderSentiment`` wheel, which rnnsec
reads by path without importing it. ``word_polarity`` turns it into one class per token id
(negative, neutral, positive, negation), optionally completed for the words the lexicon does
not know by ``log_odds_polarity`` of a labelled training split, so that a word-substitution
attack can be restricted to swaps that keep the class, the sentiment constraint of Alzantot et
al. (2018) and Morris et al. (2020).
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import as_int_array, check_number, check_same_length
from rnnsec.data._common import package_file

VADER_VERSION = "3.3.2"
NEGATIVE, NEUTRAL, POSITIVE, NEGATION = -1, 0, 1, 2
# VADER's negation list (vaderSentiment.NEGATE, Hutto & Gilbert 2014) plus "no", which VADER
# handles by its own rule: a swap into or out of one of these words can reverse a sentence,
# whatever the lexicon says of the word itself.
NEGATIONS = frozenset((
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't",
    "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt",
    "havent", "isnt", "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't",
    "isn't", "mightn't", "mustn't", "neednt", "needn't", "never", "none", "nope", "nor", "not",
    "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent", "oughtn't",
    "shan't", "shouldn't", "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt", "won't",
    "wouldn't", "rarely", "seldom", "despite", "no",
))


def load_sentiment_lexicon() -> dict[str, float]:
    """VADER's valence lexicon: token -> mean human rating in [-4, 4] (Hutto & Gilbert 2014).

    Read by path from the ``vaderSentiment`` wheel (``vaderSentiment/vader_lexicon.txt``);
    where a token is listed twice the later line wins, as in VADER's own reader.

    Returns:
        A dict of tokens (words lower-case) to their mean valence (negative < 0 < positive).

    Raises:
        FileNotFoundError: with the install command when ``vaderSentiment`` is missing.

    Chapter 2.1 (label-preserving word swaps).
    """
    path = package_file("vaderSentiment", "vader_lexicon.txt", VADER_VERSION)
    lexicon = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.strip().split("\t")
        if len(fields) >= 2:  # token, mean, standard deviation, the ten ratings
            lexicon[fields[0]] = float(fields[1])
    return lexicon


def word_polarity(vocabulary, lexicon, *, threshold: float = 0.5, fallback=None) -> np.ndarray:
    """One sentiment class per token id: NEGATIVE, NEUTRAL, POSITIVE or NEGATION.

    Args:
        vocabulary: the words by id (e.g. ``Tokenizer.vocabulary``), each a str.
        lexicon: token -> valence, e.g. ``load_sentiment_lexicon()``.
        threshold: smallest absolute valence (> 0, VADER's -4..4 scale) that makes a word
            polar; a word with a smaller valence, or not in the lexicon, is NEUTRAL.
        fallback: optional ``[V]`` classes (-1, 0, 1), e.g. ``log_odds_polarity`` of a labelled
            training split, used for the words the lexicon leaves NEUTRAL (a general lexicon
            misses domain words such as "pretentious" in film reviews).

    Returns:
        ``[V]`` int8 classes; words in ``NEGATIONS`` are NEGATION whatever their valence.

    Chapter 2.1 (label-preserving word swaps; Hutto & Gilbert 2014 for the lexicon).
    """
    words = _as_words(vocabulary)
    if not isinstance(lexicon, dict) or not lexicon:
        raise TypeError("lexicon must be a non-empty dict of token -> valence, got "
                        f"{type(lexicon).__name__}")
    check_number("threshold", threshold, low=0, low_open=True)
    valence = np.array([lexicon.get(w, 0.0) for w in words], dtype=float)
    classes = np.where(np.abs(valence) >= threshold, np.sign(valence), NEUTRAL)
    if fallback is not None:
        fallback = as_int_array("fallback", fallback, ndim=1, low=-1, high=2)
        if len(fallback) != len(words):
            raise ValueError(f"fallback must have one class per word ({len(words)}), got "
                             f"{len(fallback)}")
        classes = np.where(classes == NEUTRAL, fallback, classes)
    classes[np.array([w in NEGATIONS for w in words], dtype=bool)] = NEGATION
    return classes.astype(np.int8)


def log_odds_polarity(tokens, labels, *, vocab_size: int, min_count: int = 10,
                      threshold: float = 1.0) -> np.ndarray:
    """Data-derived polarity of every token id from a labelled split (binary labels).

    A word is POSITIVE (NEGATIVE) when it occurs at least ``min_count`` times and the log of
    the ratio of its smoothed frequencies in positive and negative texts,
    ``log((n_pos + 1) / (N_pos + V)) - log((n_neg + 1) / (N_neg + V))`` (the weight of a
    multinomial naive Bayes classifier), is at least ``threshold`` (at most ``-threshold``).
    It finds the words that carry the label in this corpus, including the ones a general
    lexicon misses, and also words that are merely frequent in one class (actor names).

    Args:
        tokens: ``[N, L]`` token ids (0 = padding and 1 = out-of-vocabulary are not counted).
        labels: ``[N]`` labels, 1 = positive, 0 = negative.
        vocab_size: number of token ids V.
        min_count: occurrences a word needs before it can be polar (>= 1).
        threshold: smallest absolute log-odds of a polar word (> 0, natural log).

    Returns:
        ``[V]`` int8 classes NEGATIVE, NEUTRAL or POSITIVE.

    Chapter 2.1 (label-preserving word swaps).
    """
    check_number("vocab_size", vocab_size, low=3, integer=True)
    tokens = as_int_array("tokens", tokens, ndim=2, low=0, high=vocab_size)
    labels = as_int_array("labels", labels, ndim=1, low=0, high=2)
    check_same_length(tokens=tokens, labels=labels)
    check_number("min_count", min_count, low=1, integer=True)
    check_number("threshold", threshold, low=0, low_open=True)
    counts = [np.bincount(tokens[labels == c].ravel(), minlength=vocab_size).astype(float)
              for c in (0, 1)]  # [V] each
    for c in counts:
        c[:2] = 0  # padding and out-of-vocabulary
    neg, pos = counts
    log_odds = (np.log((pos + 1) / (pos.sum() + vocab_size))
                - np.log((neg + 1) / (neg.sum() + vocab_size)))
    polar = (pos + neg >= min_count) & (np.abs(log_odds) >= threshold)
    return np.where(polar, np.sign(log_odds), NEUTRAL).astype(np.int8)


def _as_words(vocabulary) -> list[str]:
    """The vocabulary as a list of str, or a TypeError naming the argument."""
    try:
        words = None if isinstance(vocabulary, str) else list(vocabulary)
    except TypeError:
        words = None
    if words is None or not all(isinstance(w, str) for w in words):
        raise TypeError("vocabulary must be a sequence of str (one word per token id), got "
                        f"{type(vocabulary).__name__}")
    return words
