"""Label-preserving word swaps: the VADER lexicon, polarity classes and the candidate filter."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsec import data
from rnnsec.adversarial import nearest_neighbors, same_class_candidates

VOCAB = ("<pad>", "<oov>", "good", "bad", "great", "film", "not", "never", "plot", "awful")
LEXICON = {"good": 1.9, "bad": -2.5, "great": 3.1, "awful": -2.0, "plot": 0.2, "not": -1.0}


def test_vader_lexicon_is_read_from_the_wheel():
    lexicon = data.load_sentiment_lexicon()
    assert len(lexicon) > 7000
    assert lexicon["good"] > 0 > lexicon["bad"]
    assert all(-4 <= v <= 4 for v in lexicon.values())


def test_word_polarity_classes():
    classes = data.word_polarity(VOCAB, LEXICON)
    expected = [0, 0, 1, -1, 1, 0, data.NEGATION, data.NEGATION, 0, -1]
    assert classes.tolist() == expected  # "plot" (0.2) is below the threshold: neutral
    assert data.word_polarity(VOCAB, LEXICON, threshold=0.1)[VOCAB.index("plot")] == 1


def test_fallback_fills_only_words_the_lexicon_leaves_neutral():
    fallback = np.array([0, 0, -1, 1, 0, -1, 1, 0, 0, 0])  # disagrees on good/bad
    classes = data.word_polarity(VOCAB, LEXICON, fallback=fallback)
    assert classes[VOCAB.index("good")] == 1 and classes[VOCAB.index("bad")] == -1
    assert classes[VOCAB.index("film")] == -1  # neutral in the lexicon: the fallback decides
    assert classes[VOCAB.index("not")] == data.NEGATION  # negations stay negations


def test_log_odds_polarity_marks_words_frequent_in_one_class():
    pos, neg, both, rare = 2, 3, 4, 5
    tokens = np.array([[pos, both, 0]] * 10 + [[neg, both, 1]] * 10 + [[rare, 0, 0]])
    labels = np.array([1] * 10 + [0] * 10 + [1])
    classes = data.log_odds_polarity(tokens, labels, vocab_size=6, min_count=5, threshold=0.7)
    assert classes.tolist() == [0, 0, 1, -1, 0, 0]  # rare: fewer than min_count occurrences


def test_filter_keeps_same_class_candidates_in_order():
    word_class = np.array([0, 0, 1, -1, 1, 0, 2, 2, 0, -1])
    candidates = np.array([[-1, -1, -1], [-1, -1, -1], [3, 4, 5], [2, 9, 4], [2, 3, 5],
                           [8, 6, 2], [7, 5, 2], [6, 8, 5], [5, 2, 7], [3, -1, 2]])
    kept = same_class_candidates(candidates, word_class)
    assert kept.tolist() == [[-1, -1, -1], [-1, -1, -1], [4, -1, -1], [9, -1, -1],
                             [2, -1, -1], [8, -1, -1], [7, -1, -1], [6, -1, -1],
                             [5, -1, -1], [3, -1, -1]]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_filter_drops_exactly_the_class_changing_candidates(seed):
    rng = np.random.default_rng(seed)
    word_class = rng.integers(-1, 3, 30)
    candidates = nearest_neighbors(rng.normal(size=(30, 4)), k=6)
    kept = same_class_candidates(candidates, word_class)
    for v in range(30):
        row = [c for c in candidates[v] if c >= 0 and word_class[c] == word_class[v]]
        assert kept[v].tolist() == row + [-1] * (6 - len(row))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"vocabulary": "good bad"}, TypeError, "vocabulary"),
    ({"vocabulary": [1, 2]}, TypeError, "vocabulary"),
    ({"vocabulary": 3}, TypeError, "vocabulary"),
    ({"lexicon": {}}, TypeError, "lexicon"),
    ({"lexicon": [("good", 1.0)]}, TypeError, "lexicon"),
    ({"threshold": 0}, ValueError, "threshold"),
    ({"threshold": "1"}, TypeError, "threshold"),
    ({"fallback": np.zeros(3, int)}, ValueError, "fallback"),
    ({"fallback": np.full(len(VOCAB), 2)}, ValueError, "fallback"),
])
def test_word_polarity_rejects_bad_input(kwargs, error, match):
    args = {"vocabulary": VOCAB, "lexicon": LEXICON, **kwargs}
    vocabulary, lexicon = args.pop("vocabulary"), args.pop("lexicon")
    with pytest.raises(error, match=match):
        data.word_polarity(vocabulary, lexicon, **args)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"tokens": np.zeros(4, int)}, ValueError, "tokens"),
    ({"tokens": np.full((4, 3), 9)}, ValueError, "tokens"),
    ({"labels": np.array([0, 1, 2, 0])}, ValueError, "labels"),
    ({"labels": np.array([0, 1])}, ValueError, "mismatched lengths"),
    ({"vocab_size": 2.5}, TypeError, "vocab_size"),
    ({"min_count": 0}, ValueError, "min_count"),
    ({"threshold": -1.0}, ValueError, "threshold"),
])
def test_log_odds_polarity_rejects_bad_input(kwargs, error, match):
    args = {"tokens": np.ones((4, 3), int), "labels": np.array([0, 1, 0, 1]),
            "vocab_size": 6, **kwargs}
    tokens, labels = args.pop("tokens"), args.pop("labels")
    with pytest.raises(error, match=match):
        data.log_odds_polarity(tokens, labels, **args)


@pytest.mark.parametrize(("candidates", "word_class", "match"), [
    (np.zeros((3, 2), int), np.zeros(4, int), "candidates"),  # one row per token id
    (np.full((4, 2), 4), np.zeros(4, int), "candidates"),  # id out of the vocabulary
    (np.zeros((4, 2), int), np.zeros((4, 1), int), "word_class"),
    (np.zeros((4, 2), int), np.full(4, 0.5), "word_class"),
])
def test_filter_rejects_bad_input(candidates, word_class, match):
    with pytest.raises(ValueError, match=match):
        same_class_candidates(candidates, word_class)
