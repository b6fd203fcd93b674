"""Offline loaders: shapes, dtypes, determinism, tokenizer, canaries, validation."""

import numpy as np
import pytest

from rnnsec import data


def test_digits_are_rowwise_sequences_in_unit_range():
    ds = data.load_digits_sequences()
    assert ds.x_train.shape[1:] == (8, 8) and ds.x_train.dtype == np.float32
    assert len(ds.y_train) + len(ds.y_test) == 1797
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert set(np.unique(ds.y_test)) == set(range(10))
    assert ds.num_classes == 10


def test_splits_are_deterministic_stratified_and_disjoint():
    labels = np.repeat(np.arange(3), 50)
    a = data.split_indices(labels, 0.2, seed=1)
    b = data.split_indices(labels, 0.2, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not set(a[0]) & set(a[1])
    assert np.bincount(labels[a[1]]).tolist() == [10, 10, 10]
    assert not np.array_equal(data.split_indices(labels, 0.2, seed=2)[1], a[1])


def test_fraction_subsamples_training_split_only():
    full = data.load_digits_sequences()
    half = data.load_digits_sequences(fraction=0.5)
    assert len(half.y_train) == round(0.5 * len(full.y_train))
    np.testing.assert_array_equal(half.y_test, full.y_test)


def test_japanese_vowels_has_variable_lengths_and_zero_padding():
    ds = data.load_japanese_vowels()
    assert ds.x_train.shape == (270, 29, 12) and ds.x_test.shape == (370, 29, 12)
    assert ds.num_classes == 9 and set(np.unique(ds.y_train)) == set(range(9))
    assert 7 <= ds.lengths_train.min() < ds.lengths_train.max() <= 29
    mask = ds.mask("train")
    assert np.all(ds.x_train[mask == 0] == 0)
    assert np.all(np.any(ds.x_train[mask == 1] != 0, axis=-1))
    real = ds.x_train[mask == 1]
    np.testing.assert_allclose(real.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(real.std(axis=0), 1, atol=1e-3)


def test_read_ts_parses_a_small_file(tmp_path):
    path = tmp_path / "toy.ts"
    path.write_text("@problemName toy\n@classLabel true a b\n@data\n1,2,3:4,5,6:a\n7,8:9,10:b\n")
    series, labels = data.read_ts(path)
    assert labels == ["a", "b"]
    np.testing.assert_array_equal(series[0], [[1, 4], [2, 5], [3, 6]])
    assert series[1].shape == (2, 2)


def test_read_ts_rejects_unequal_dimensions(tmp_path):
    path = tmp_path / "bad.ts"
    path.write_text("@data\n1,2,3:4,5:a\n")
    with pytest.raises(ValueError, match="different lengths"):
        data.read_ts(path)


def test_pad_sequences_pads_and_refuses_to_cut():
    padded, lengths = data.pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    assert padded.shape == (2, 4, 3) and lengths.tolist() == [2, 4]
    assert np.all(padded[0, 2:] == 0)
    with pytest.raises(ValueError, match="max_len"):
        data.pad_sequences([np.ones((5, 3))], max_len=4)
    with pytest.raises(ValueError, match="trailing"):
        data.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])


def test_tokenizer_round_trips_and_marks_unknown_words():
    tok = data.Tokenizer.fit(["a good film", "a bad film", "good good"], max_words=5)
    assert tok.vocabulary[:2] == ("<pad>", "<oov>")
    assert tok.vocabulary[2] == "good"  # most frequent first
    ids, lengths = tok.encode(["a good film", "terrible film"], max_len=4)
    assert ids.dtype == np.int32 and ids.shape == (2, 4) and lengths.tolist() == [3, 2]
    assert tok.decode(ids) == ["a good film", "<oov> film"]
    with pytest.raises(ValueError, match="ids values must be <"):
        tok.decode([[99]])
    with pytest.raises(ValueError, match="max_words"):
        data.Tokenizer.fit(["x"], max_words=2)


def test_rotten_tomatoes_loader_has_balanced_member_split():
    ds, tok = data.load_rotten_tomatoes(max_words=2000, max_len=30)
    assert ds.x_train.shape[1] == 30 and tok.vocab_size == 2000
    assert abs(len(ds.y_train) - len(ds.y_test)) <= 2
    assert 0.3 < ds.y_train.mean() < 0.7
    train, test = set(ds.info["texts_train"]), set(ds.info["texts_test"])
    assert not train & test  # no snippet is both member and non-member
    assert ds.x_train.max() < tok.vocab_size


def test_shakespeare_slice_and_char_vocab():
    text = data.load_shakespeare(5_000)
    assert len(text) == 5_000 and text.startswith("BERNARDO:")
    assert "**" not in text and "#" not in text
    vocab = data.CharVocab.fit(text, "0123456789")
    assert vocab.decode(vocab.encode("my phone number is 555")) == "my phone number is 555"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        data.CharVocab.fit("abc").encode("abd")
    x, y = data.char_windows(vocab.encode(text[:101]), seq_len=50)
    assert x.shape == (2, 50)
    np.testing.assert_array_equal(x[0, 1:], y[0, :-1])
    with pytest.raises(ValueError, match="num_chars"):
        data.load_shakespeare(10)


def test_canaries_are_distinct_in_format_and_inserted_exactly():
    canaries = data.make_canaries(5, seed=3)
    assert len({c.secret for c in canaries}) == 5
    assert all(len(c.secret) == 8 and c.secret[3] == "-" for c in canaries)
    assert [c.secret for c in data.make_canaries(5, seed=3)] == [c.secret for c in canaries]
    text, counts = data.insert_canaries("line\n" * 50, canaries, [0, 1, 4, 16, 2], seed=0)
    assert [counts[c.text] for c in canaries] == [0, 1, 4, 16, 2]
    assert text.count("\n") == 50 + 23
    with pytest.raises(ValueError, match="secret_format"):
        data.make_canaries(1, secret_format="abc")
    with pytest.raises(ValueError, match="exceeds"):
        data.make_canaries(11, secret_format="#")
    with pytest.raises(ValueError, match="repetitions"):
        data.insert_canaries("x", canaries, [1, 2])


@pytest.mark.parametrize("locale", data.canaries.LOCALES)
def test_personal_records_are_deterministic_per_locale(locale):
    a = data.personal_records(3, locale=locale, seed=1)
    assert a == data.personal_records(3, locale=locale, seed=1)
    assert set(a[0]) == {"name", "address", "phone", "email", "id"}
    if locale == "zh_CN":
        assert len(a[0]["id"]) == 18 and any("\u4e00" <= ch <= "\u9fff" for ch in a[0]["name"])


def test_personal_records_reject_unknown_locale():
    with pytest.raises(ValueError, match="locale"):
        data.personal_records(1, locale="fr_FR")
