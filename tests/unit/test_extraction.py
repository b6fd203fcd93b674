"""Log-perplexity, exposure and extraction of secrets: rnnsec.privacy.extraction."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.compat import keras
from rnnsec.data import Canary, CharVocab, char_windows
from rnnsec.models import char_language_model
from rnnsec.privacy.exposure import exposure_exact, format_secret, secret_index
from rnnsec.privacy.extraction import (
    ExposureResult,
    beam_search_extract,
    canary_exposure,
    canary_exposures,
    secret_log_perplexities,
    sequence_log_perplexity,
)

WORDS = ("the", "king", "is", "dead", "long", "live", "queen", "my", "lord", "pin", "and",
         "sword", "crown", "night", "day")
PLANTED = Canary("my pin is ", "4729", "####")
NEVER = Canary("the code is ", "8316", "####")  # same kind of secret, never in the text


def _corpus(seed: int = 0, lines: int = 160, copies: int = 40) -> str:
    rng = np.random.default_rng(seed)
    text = [" ".join(rng.choice(WORDS, 6)) for _ in range(lines)]
    for pos in np.sort(rng.integers(0, lines, copies))[::-1]:
        text.insert(int(pos), PLANTED.text)
    return "\n".join(text) + "\n"


@pytest.fixture(scope="module")
def memorised():
    """A small char-LSTM trained on a text in which one canary appears 40 times."""
    set_seed(0)
    text = _corpus()
    vocab = CharVocab.fit(text, "0123456789-", NEVER.text)
    x, y = char_windows(vocab.encode(text), seq_len=40, stride=20)
    model = char_language_model(vocab.size, embedding_dim=16, units=64)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    return model, vocab


def _constant_model(vocab: CharVocab, bias: np.ndarray) -> keras.Model:
    """A language model that ignores its input: every step predicts softmax(bias)."""
    model = char_language_model(vocab.size, embedding_dim=4, units=3)
    dense = model.get_layer("logits")
    dense.set_weights([np.zeros_like(dense.get_weights()[0]), bias.astype("float32")])
    return model


def _with_extra_layer(model: keras.Model) -> keras.Model:
    """The same weights behind one more layer: scored by the whole-sequence fallback path."""
    return keras.Model(model.input, keras.layers.Activation("linear")(model.output))


# --- log-perplexity -------------------------------------------------------------------------


def test_log_perplexity_of_a_handmade_model_matches_a_manual_computation():
    vocab = CharVocab.fit("abc0123456789 ")
    bias = np.linspace(-1.0, 2.0, vocab.size)
    model = _constant_model(vocab, bias)
    p = np.exp(bias) / np.exp(bias).sum()
    bits = -np.log2(p)

    def manual(text):
        return sum(bits[vocab.chars.index(c)] for c in text)

    candidates = ["ab", "c01", "999", "a"]
    got = sequence_log_perplexity(model, vocab, candidates, prefix="ba ")
    np.testing.assert_allclose(got, [manual(c) for c in candidates], rtol=1e-5)
    # whole texts: the first character is context, the others are scored
    got = sequence_log_perplexity(model, vocab, ["abc", "0 1"])
    np.testing.assert_allclose(got, [manual("bc"), manual(" 1")], rtol=1e-5)


def test_cell_stepping_agrees_with_whole_sequences(memorised):
    model, vocab = memorised
    candidates = ["4729", "1234", "0000", "47", "king lord"]
    fast = sequence_log_perplexity(model, vocab, candidates, "my pin is ", batch_size=2)
    slow = sequence_log_perplexity(_with_extra_layer(model), vocab, candidates, "my pin is ")
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-4)


def test_secret_log_perplexities_enumerate_the_format_in_index_order(memorised):
    model, vocab = memorised
    everything = secret_log_perplexities(model, vocab, "my pin is ", "##-#", batch_size=7)
    assert everything.shape == (1000,)
    picks = [0, 5, 472, 999]
    direct = sequence_log_perplexity(model, vocab, [format_secret("##-#", i) for i in picks],
                                     "my pin is ")
    np.testing.assert_allclose(everything[picks], direct, rtol=1e-4, atol=1e-4)


# --- exposure and extraction ----------------------------------------------------------------


def test_inserted_canary_is_more_exposed_than_a_never_inserted_one(memorised):
    model, vocab = memorised
    planted = canary_exposure(model, vocab, PLANTED)
    never = canary_exposure(model, vocab, NEVER)
    assert isinstance(planted, ExposureResult) and planted.method == "exact"
    assert planted.max_exposure == pytest.approx(np.log2(10**4))
    assert planted.exposure > never.exposure + 5, (planted, never)
    assert planted.rank == 1.0 and planted.exposure == pytest.approx(planted.max_exposure)
    everything = planted.reference_log_perplexities
    assert everything.size == 10**4 and everything[4729] == planted.log_perplexity
    for result in (planted, never):  # the same number as the exposure module's definition
        others = np.delete(result.reference_log_perplexities,
                           secret_index(result.secret_format, result.secret))
        assert result.exposure == pytest.approx(exposure_exact(result.log_perplexity,
                                                               reference_log_perplexities=others))
    assert "exact" in repr(planted) and planted.as_dict()["rank"] == 1.0


def test_exact_exposure_averages_ties_like_the_exposure_module():
    vocab = CharVocab.fit("ab0123456789")
    model = _constant_model(vocab, np.linspace(0.0, 3.0, vocab.size))
    canary = Canary("ab", "07", "##")  # "70" has exactly the same log-perplexity
    result = canary_exposure(model, vocab, canary)
    others = np.delete(result.reference_log_perplexities, 7)
    assert np.sum(np.isclose(others, result.log_perplexity, rtol=0, atol=1e-9)) >= 1
    assert result.exposure == pytest.approx(exposure_exact(result.log_perplexity,
                                                           reference_log_perplexities=others))


def test_canary_exposures_of_a_group_equal_one_at_a_time(memorised):
    model, vocab = memorised
    batch = canary_exposures(model, vocab, [PLANTED, NEVER, Canary("my pin is ", "0001", "####")])
    for canary, result in zip([PLANTED, NEVER], batch, strict=False):
        single = canary_exposure(model, vocab, canary)
        assert result.exposure == pytest.approx(single.exposure)
        assert result.secret == canary.secret
    with pytest.raises(ValueError, match="canaries must be a non-empty sequence"):
        canary_exposures(model, vocab, [])


def test_extrapolated_exposure_agrees_on_which_canary_is_exposed(memorised):
    model, vocab = memorised
    planted = canary_exposure(model, vocab, PLANTED, exact=False, n_references=200, seed=1)
    never = canary_exposure(model, vocab, NEVER, exact=False, n_references=200, seed=1)
    assert planted.method == "extrapolated" and planted.rank is None
    assert planted.reference_log_perplexities.size == 200
    assert planted.exposure > never.exposure + 5, (planted, never)


def test_beam_search_extracts_the_memorised_secret(memorised):
    model, vocab = memorised
    found = beam_search_extract(model, vocab, PLANTED.prefix, PLANTED.secret_format,
                                beam_width=4)
    assert found.best == PLANTED.secret, found
    assert found.rank_of(PLANTED.secret) == 1 and found.rank_of("0000") is None
    assert len(found.candidates) == 4
    assert np.all(np.diff(found.log_perplexities) >= 0)


def test_exhaustive_beam_search_returns_the_true_top_secrets(memorised):
    model, vocab = memorised
    everything = secret_log_perplexities(model, vocab, "the code is ", "###")
    found = beam_search_extract(model, vocab, "the code is ", "###", beam_width=100)
    best = np.argsort(everything, kind="stable")[:5]
    assert [secret_index("###", s) for s in found.candidates[:5]] == best.tolist()
    np.testing.assert_allclose(found.log_perplexities[:5], everything[best], rtol=1e-9)


# --- bad inputs -----------------------------------------------------------------------------


def test_canary_that_does_not_match_its_format_is_refused(memorised):
    model, vocab = memorised
    with pytest.raises(ValueError, match="canary.secret does not match"):
        canary_exposure(model, vocab, Canary("my pin is ", "47a9", "####"))
    with pytest.raises(TypeError, match="canary must have"):
        canary_exposure(model, vocab, "my pin is 4729")


def test_empty_or_too_small_reference_sets_are_refused(memorised):
    model, vocab = memorised
    with pytest.raises(ValueError, match="n_references must be >= 10"):
        canary_exposure(model, vocab, PLANTED, exact=False, n_references=0)
    with pytest.raises(ValueError, match="n_references must be <= 9999"):
        canary_exposure(model, vocab, PLANTED, exact=False, n_references=10**4)


def test_scoring_rejects_bad_inputs(memorised):
    model, vocab = memorised
    with pytest.raises(ValueError, match="non-empty sequence"):
        sequence_log_perplexity(model, vocab, [], "my pin is ")
    with pytest.raises(ValueError, match=r"candidates\[1\] contains characters outside"):
        sequence_log_perplexity(model, vocab, ["12", "1Z"], "my pin is ")
    with pytest.raises(ValueError, match=r"candidates\[0\] must hold at least 2"):
        sequence_log_perplexity(model, vocab, ["a"])
    with pytest.raises(TypeError, match="vocab must be"):
        sequence_log_perplexity(model, "abc", ["a"], "b")
    with pytest.raises(ValueError, match="beam_width must be >= 1"):
        beam_search_extract(model, vocab, "my pin is ", "####", beam_width=0)
    with pytest.raises(ValueError, match="prefix must hold at least 1"):
        beam_search_extract(model, vocab, "", "####")
    with pytest.raises(ValueError, match="format must contain at least one"):
        secret_log_perplexities(model, vocab, "my pin is ", "pin")
    with pytest.raises(ValueError, match="MAX_EXACT"):
        secret_log_perplexities(model, vocab, "my pin is ", "#" * 8)
    with pytest.raises(ValueError, match="vocab must contain every digit"):
        beam_search_extract(_constant_model(CharVocab.fit("ab12"), np.zeros(4)),
                            CharVocab.fit("ab12"), "ab", "##")
