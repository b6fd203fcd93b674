"""Black-box attacks: SimBA, greedy word substitution, transfer; query budgets."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnsec import set_seed
from rnnsec.adversarial import (
    LabelOracle,
    QueryBudgetExceeded,
    ScoreOracle,
    SubstituteTraining,
    greedy_word_substitution,
    nearest_neighbors,
    pgd,
    simba,
    split_text_model,
    transfer_attack,
)
from rnnsec.compat import keras
from rnnsec.models import text_classifier

TOL = 1e-5


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    """The shared toy LSTM (tests/unit/conftest.py); the seed is reset so these tests see the
    same random state whichever test file ran before."""
    model, x, y = trained_toy_lstm
    set_seed(0)
    return model, x, y


@pytest.fixture(scope="module")
def text_toy():
    """Ids 2-11 'positive', 12-21 'negative'; label = more positive than negative words."""
    set_seed(0)
    rng = np.random.default_rng(1)
    tokens = rng.integers(2, 40, (500, 8))
    for i, length in enumerate(rng.integers(4, 9, 500)):
        tokens[i, length:] = 0
    pos, neg = ((tokens >= 2) & (tokens < 12)).sum(1), ((tokens >= 12) & (tokens < 22)).sum(1)
    tokens, labels = tokens[pos != neg], (pos > neg).astype(int)[pos != neg]
    model = text_classifier(40, 2, embedding_dim=8, units=8)
    model.compile(tf.keras.optimizers.Adam(0.03),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(tokens[:300], labels[:300], epochs=12, batch_size=32, verbose=0)
    return model, tokens[300:360], labels[300:360]


def test_score_oracle_counts_and_refuses_over_budget(toy):
    model, x, _ = toy
    oracle = ScoreOracle(model, 3, max_queries=2)
    probs = oracle.scores(x[:3], [0, 1, 1])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(oracle.queries, [1, 2, 0])
    with pytest.raises(QueryBudgetExceeded):
        oracle.scores(x[:1], [1])
    np.testing.assert_array_equal(oracle.queries, [1, 2, 0])  # a refused query costs nothing
    labels = LabelOracle(model, 5)
    assert labels.labels(x[:5]).shape == (5,) and labels.queries == 5
    with pytest.raises(QueryBudgetExceeded):
        labels.labels(x[:1])


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(norm=st.sampled_from(["inf", "2"]), epsilon=st.floats(0.0, 0.5),
       budget=st.integers(1, 30), padded=st.integers(0, 4), seed=st.integers(0, 99))
def test_simba_respects_budget_ball_range_and_padding(toy, norm, epsilon, budget, padded, seed):
    model, x, y = toy
    x, y = x[200:220], y[200:220]
    mask = np.ones(x.shape[:2])
    if padded:
        mask[:, -padded:] = 0
    result = simba(model, x, y, epsilon, norm=norm, max_queries=budget, clip_min=0.0,
                   clip_max=1.0, mask=mask, seed=seed, progress=False)
    assert result.queries is not None and np.all(result.queries <= budget)
    assert np.all(result.queries >= 1)
    assert np.all(result.perturbation_norm <= epsilon + TOL)
    assert result.x_adv.min() >= 0.0 and result.x_adv.max() <= 1.0
    np.testing.assert_array_equal(result.x_adv[mask == 0], x[mask == 0])


def test_simba_succeeds_within_budget_and_not_beyond_white_box(toy):
    model, x, y = toy
    x, y = x[200:260], y[200:260]
    black = simba(model, x, y, 0.08, max_queries=50, seed=0, clip_min=0.0, clip_max=1.0,
                  progress=False)
    white = pgd(model, x, y, 0.08, seed=0, clip_min=0.0, clip_max=1.0, progress=False)
    assert black.success_rate > 0.5
    assert black.success_rate <= white.success_rate + 0.05
    np.testing.assert_array_equal(black.pred_adv, model(black.x_adv).numpy().argmax(axis=1))
    assert "mean_queries" in repr(black)


def test_simba_targeted_beats_chance(toy):
    model, x, y = toy
    target = (y[200:260] + 1) % 3
    result = simba(model, x[200:260], target, 0.15, targeted=True, max_queries=60, seed=0,
                   progress=False)
    assert result.success_rate > 1 / 3 + 0.15


@pytest.mark.parametrize("budget", [1, 4, 12, 60])
def test_greedy_word_substitution_respects_query_budget(text_toy, budget):
    model, tokens, labels = text_toy
    candidates = nearest_neighbors(split_text_model(model).embedding_matrix, 5)
    result = greedy_word_substitution(model, tokens, labels, candidates, max_words=2,
                                      max_queries=budget, progress=False)
    assert np.all(result.queries <= budget) and np.all(result.queries >= 1)
    assert np.all(result.words_changed <= 2)
    np.testing.assert_array_equal(result.x_adv[tokens == 0], 0)
    np.testing.assert_array_equal(result.pred_adv, model(result.x_adv).numpy().argmax(axis=1))
    if budget == 1:
        np.testing.assert_array_equal(result.x_adv, tokens)


def test_greedy_word_substitution_finds_adversarial_sentences(text_toy):
    model, tokens, labels = text_toy
    candidates = nearest_neighbors(split_text_model(model).embedding_matrix, 8)
    result = greedy_word_substitution(model, tokens, labels, candidates, max_words=4,
                                      max_queries=300, progress=False)
    assert result.success_rate > 1 - result.clean_accuracy + 0.2
    changed = np.argwhere(result.x_adv != tokens)
    for i, t in changed:
        assert result.x_adv[i, t] in candidates[tokens[i, t]]


def test_transfer_attack_counts_label_queries(toy):
    model, x, y = toy
    training = SubstituteTraining(augment_rounds=1, epochs=8, max_queries=120)
    result = transfer_attack(model, x[200:260], y[200:260], x[:60], 0.1, substitute=training,
                             clip_min=0.0, clip_max=1.0, seed=0, progress=False)
    assert result.training_queries == 120
    np.testing.assert_array_equal(result.result.queries, 1)
    assert np.all(result.result.perturbation_norm <= 0.1 + TOL)
    assert result.agreement > 0.6
    assert result.result.success_rate > 1 - result.result.clean_accuracy + 0.1
    assert set(result.as_dict()) >= {"success_rate", "transfer_rate", "training_queries"}


def _small_transfer(model, x, y, seed, architecture=None):
    training = SubstituteTraining(model=architecture, epochs=2, max_queries=30)
    return transfer_attack(model, x[200:220], y[200:220], x[:30], 0.1, substitute=training,
                           clip_min=0.0, clip_max=1.0, seed=seed, progress=False,
                           attack_kwargs={"steps": 3})


@pytest.mark.parametrize("custom", [False, True])
def test_transfer_attack_depends_only_on_its_seed(toy, custom, assert_global_streams_untouched):
    model, x, y = toy
    architecture = None
    if custom:
        architecture = keras.Sequential([keras.Input((6, 3)), keras.layers.SimpleRNN(8),
                                         keras.layers.Dense(3)])
    first = assert_global_streams_untouched(_small_transfer, model, x, y, 4, architecture)
    again = _small_transfer(model, x, y, 4, architecture)
    np.testing.assert_array_equal(first.result.x_adv, again.result.x_adv)
    for a, b in zip(first.substitute.get_weights(), again.substitute.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = _small_transfer(model, x, y, 5, architecture)
    assert not np.array_equal(first.substitute.get_weights()[0], other.substitute.get_weights()[0])
    if custom:
        assert first.substitute is not architecture


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"augment_step": 0.0}, "augment_step"),
    ({"epochs": 0}, "epochs"),
    ({"augment_rounds": -1}, "augment_rounds"),
    ({"max_queries": 0}, "max_queries"),
    ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": 0.0}, "learning_rate"),
])
def test_substitute_training_rejects_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SubstituteTraining(**kwargs)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        SubstituteTraining(model="gru")


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"substitute": SubstituteTraining(max_queries=50, augment_rounds=1)}, "max_queries"),
    ({"attack": "cw"}, "attack"),
    ({"epsilon": -1.0}, "epsilon"),
])
def test_transfer_attack_rejects_bad_arguments(toy, kwargs, name):
    model, x, y = toy
    args = {"epsilon": 0.1, **kwargs}
    with pytest.raises(ValueError, match=name):
        transfer_attack(model, x[:10], y[:10], x[:30], progress=False, **args)
    with pytest.raises(TypeError, match="SubstituteTraining"):
        transfer_attack(model, x[:10], y[:10], x[:30], 0.1, substitute=keras.Sequential(),
                        progress=False)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"max_queries": 0}, "max_queries"), ({"norm": "1"}, "norm"), ({"epsilon": -0.1}, "epsilon"),
    ({"step_size": 0.5}, "step_size"), ({"y": np.zeros(3, dtype=int)}, "mismatched lengths"),
    ({"y": np.full(10, 3)}, "y values"),
])
def test_simba_rejects_bad_arguments(toy, kwargs, name):
    model, x, y = toy
    args = {"x": x[:10], "y": y[:10], "epsilon": 0.1, **kwargs}
    with pytest.raises(ValueError, match=name):
        simba(model, progress=False, **args)


def test_greedy_word_substitution_rejects_bad_arguments(text_toy):
    model, tokens, labels = text_toy
    good = np.full((40, 2), -1)
    with pytest.raises(ValueError, match="max_queries"):
        greedy_word_substitution(model, tokens, labels, good, max_queries=0)
    with pytest.raises(ValueError, match="tokens"):
        greedy_word_substitution(model, tokens, labels, np.full((10, 2), -1))
    with pytest.raises(ValueError, match="candidates"):
        greedy_word_substitution(model, tokens, labels, np.full((40, 2), 40))
