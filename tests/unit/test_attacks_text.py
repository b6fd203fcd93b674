"""White-box attacks on text: embedding-space FGM/PGD and gradient-guided word substitution."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnsec import set_seed
from rnnsec.adversarial import (
    embedding_fgm,
    embedding_pgd,
    nearest_neighbors,
    split_text_model,
    word_substitution,
)
from rnnsec.models import sequence_classifier, text_classifier

VOCAB, LENGTH = 40, 8
TOL = 1e-5


def sentiment_toy(n: int, seed: int):
    """Ids 2-11 are 'positive', 12-21 'negative', 22-39 neutral; label = more positive words."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(2, VOCAB, (n, LENGTH))
    for i, length in enumerate(rng.integers(4, LENGTH + 1, n)):
        tokens[i, length:] = 0  # padding at the end
    pos = ((tokens >= 2) & (tokens < 12)).sum(axis=1)
    neg = ((tokens >= 12) & (tokens < 22)).sum(axis=1)
    keep = pos != neg
    return tokens[keep], (pos > neg).astype(int)[keep]


@pytest.fixture(scope="module")
def text_toy():
    set_seed(0)
    tokens, labels = sentiment_toy(360, 0)
    model = text_classifier(VOCAB, 2, embedding_dim=8, units=8)
    model.compile(tf.keras.optimizers.Adam(0.03),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(tokens[:240], labels[:240], epochs=12, batch_size=32, verbose=0)
    return model, tokens[240:300], labels[240:300]


def _clean_embeddings(model, tokens):
    return split_text_model(model).embed(tf.constant(tokens))[0].numpy()


def _normalised_norm(x_adv, clean):
    """Whole-sequence L2 norm of the perturbation in units of each token's embedding norm."""
    scale = np.linalg.norm(clean, axis=-1, keepdims=True)
    ratio = np.where(scale > 0, (x_adv - clean) / np.maximum(scale, 1e-12), 0.0)
    return np.sqrt((ratio ** 2).sum(axis=(1, 2)))


def test_split_text_model_reproduces_the_model(text_toy):
    model, tokens, _ = text_toy
    parts = split_text_model(model)
    emb, mask = parts.embed(tf.constant(tokens))
    np.testing.assert_allclose(parts.logits_from_embeddings(emb, mask).numpy(),
                               model(tokens).numpy(), atol=1e-5)
    assert parts.embedding_matrix.shape == (VOCAB, 8)


def test_split_text_model_rejects_models_without_embedding():
    with pytest.raises(ValueError, match="Embedding"):
        split_text_model(sequence_classifier((4, 3), 2, units=4))


def test_embedding_fgm_uses_whole_sequence_budget_on_normalised_embeddings(text_toy):
    model, tokens, labels = text_toy
    result = embedding_fgm(model, tokens, labels, 0.7, progress=False)
    np.testing.assert_allclose(result.perturbation_norm, 0.7, atol=TOL)
    clean = _clean_embeddings(model, tokens)
    np.testing.assert_allclose(_normalised_norm(result.x_adv, clean), 0.7, atol=1e-4)
    np.testing.assert_array_equal(result.x_adv[tokens == 0], clean[tokens == 0])


def test_embedding_fgm_raw_units_without_normalize(text_toy):
    model, tokens, labels = text_toy
    result = embedding_fgm(model, tokens, labels, 0.5, normalize=False, progress=False)
    shift = result.x_adv - _clean_embeddings(model, tokens)
    np.testing.assert_allclose(np.sqrt((shift ** 2).sum(axis=(1, 2))), 0.5, atol=TOL)


def test_embedding_attack_accuracy_falls_with_epsilon(text_toy):
    model, tokens, labels = text_toy
    accs = [embedding_pgd(model, tokens, labels, eps, steps=5, seed=0,
                          progress=False).robust_accuracy for eps in (0.0, 1.0, 3.0)]
    assert accs[0] > 0.8
    assert accs[0] >= accs[1] >= accs[2]
    assert accs[2] < accs[0] - 0.3


def test_embedding_pgd_at_least_as_strong_as_fgm(text_toy):
    model, tokens, labels = text_toy
    one = embedding_fgm(model, tokens, labels, 1.5, progress=False)
    many = embedding_pgd(model, tokens, labels, 1.5, steps=10, seed=0, progress=False)
    assert many.success_rate >= one.success_rate


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(epsilon=st.floats(0.0, 4.0), steps=st.integers(1, 4), normalize=st.booleans(),
       random_start=st.booleans(), seed=st.integers(0, 99))
def test_embedding_pgd_stays_in_ball_and_leaves_padding(text_toy, epsilon, steps, normalize,
                                                        random_start, seed):
    model, tokens, labels = text_toy
    result = embedding_pgd(model, tokens[:20], labels[:20], epsilon, steps=steps,
                           normalize=normalize, random_start=random_start, seed=seed,
                           progress=False)
    assert np.all(result.perturbation_norm <= epsilon + TOL)
    clean = _clean_embeddings(model, tokens[:20])
    np.testing.assert_array_equal(result.x_adv[tokens[:20] == 0], clean[tokens[:20] == 0])


def test_word_substitution_respects_budget_padding_and_candidates(text_toy):
    model, tokens, labels = text_toy
    candidates = nearest_neighbors(split_text_model(model).embedding_matrix, 6)
    result = word_substitution(model, tokens, labels, max_words=2, candidates=candidates,
                               progress=False)
    assert result.norm == "words" and result.queries is None
    assert np.all(result.words_changed <= 2)
    np.testing.assert_array_equal(result.x_adv[tokens == 0], 0)
    changed = np.argwhere(result.x_adv != tokens)
    for i, t in changed:
        assert result.x_adv[i, t] in candidates[tokens[i, t]]
    np.testing.assert_array_equal(result.pred_adv, model(result.x_adv).numpy().argmax(axis=1))
    assert result.success_rate > 1 - result.clean_accuracy + 0.2
    assert 1 <= result.mean_words_changed <= 2


def test_word_substitution_with_no_candidates_changes_nothing(text_toy):
    model, tokens, labels = text_toy
    none = np.full((VOCAB, 3), -1)
    result = word_substitution(model, tokens, labels, candidates=none, progress=False)
    np.testing.assert_array_equal(result.x_adv, tokens)
    np.testing.assert_array_equal(result.success, result.pred_clean != labels)


def test_word_substitution_targeted(text_toy):
    model, tokens, labels = text_toy
    result = word_substitution(model, tokens, 1 - labels, max_words=4, targeted=True,
                               progress=False)
    assert result.success_rate > 0.5
    np.testing.assert_array_equal(result.success, result.pred_adv == 1 - labels)


def test_nearest_neighbors_by_cosine():
    table = np.array([[0, 0], [0, 0], [1, 0], [0.9, 0.1], [0, 1], [-1, 0.05]], dtype=float)
    nn = nearest_neighbors(table, 2)
    assert nn.shape == (6, 2)
    np.testing.assert_array_equal(nn[0], [-1, -1])
    np.testing.assert_array_equal(nn[2], [3, 4])
    assert not np.any(nn[2:] == np.arange(2, 6)[:, None])
    assert not np.isin(nn, [0, 1]).any()
    with pytest.raises(ValueError, match="k"):
        nearest_neighbors(table, 4)


@pytest.mark.parametrize(("call", "error", "name"), [
    (lambda m, t, y: embedding_fgm(m, t, y, -1.0), ValueError, "epsilon"),
    (lambda m, t, y: embedding_pgd(m, t, y, 1.0, steps=0), ValueError, "steps"),
    (lambda m, t, y: embedding_fgm(m, t + VOCAB, y, 1.0), ValueError, "tokens"),
    (lambda m, t, y: embedding_fgm(m, t, y[:3], 1.0), ValueError, "mismatched lengths"),
    (lambda m, t, y: embedding_fgm(m, t, y + 2, 1.0), ValueError, "y values must be < 2"),
    (lambda m, t, y: word_substitution(m, t, y, max_words=0), ValueError, "max_words"),
    (lambda m, t, y: word_substitution(m, t, y, candidates=np.zeros((5, 2))), ValueError,
     "candidates"),
    (lambda m, t, y: word_substitution(m, t * 0.5, y), ValueError, "tokens must hold integers"),
])
def test_text_attacks_reject_bad_inputs(text_toy, call, error, name):
    model, tokens, labels = text_toy
    with pytest.raises(error, match=name):
        call(model, tokens, labels)
