"""rnnsec.poisoning: triggers, exact poisoning rates, label flips, backdoor measures, defences,
and the group-privacy bound."""

import math

import numpy as np
import pytest

from rnnsec import poisoning as P
from rnnsec import stats

# ------------------------------------------------------------------------------- triggers


def test_sequence_trigger_stays_inside_the_real_steps_and_leaves_padding_alone():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 10, 3)).astype("float32")
    lengths = rng.integers(2, 11, size=50)
    x[np.arange(10)[None, :] >= lengths[:, None]] = 0.0  # padding at the end
    trigger = P.SequenceTrigger(np.full((2, 3), 9.0), position="random")
    out = trigger.apply(x, lengths=lengths, seed=1)
    padded = np.arange(10)[None, :] >= lengths[:, None]
    assert np.all(out.x[padded] == 0.0)
    assert np.all(out.positions + 2 <= lengths) and np.all(out.positions >= 0)
    for i, s in enumerate(out.positions):
        assert np.all(out.x[i, s: s + 2] == 9.0)
        untouched = np.ones(10, dtype=bool)
        untouched[s: s + 2] = False
        assert np.array_equal(out.x[i, untouched], x[i, untouched])
    assert np.array_equal(out.lengths, lengths) and not out.dropped.any()
    assert len(set(out.positions.tolist())) > 1  # random positions differ


def test_sequence_trigger_end_fixed_and_add_positions():
    x = np.zeros((3, 6, 2), dtype="float32")
    lengths = np.array([6, 4, 2])
    end = P.SequenceTrigger(np.ones((2, 2)), position="end").apply(x, lengths=lengths)
    assert end.positions.tolist() == [4, 2, 0]
    fixed = P.SequenceTrigger(np.ones((1, 2)), position=1, blend="add").apply(x + 1.0)
    assert np.all(fixed.x[:, 1] == 2.0) and np.all(fixed.x[:, 0] == 1.0)


def test_sequence_trigger_refuses_sequences_too_short_to_carry_it():
    trigger = P.SequenceTrigger(np.ones((3, 2)))
    with pytest.raises(ValueError, match="lengths: 1 sequence"):
        trigger.apply(np.zeros((2, 5, 2)), lengths=[5, 2])
    with pytest.raises(ValueError, match="features per step"):
        trigger.apply(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="position must be one of"):
        P.SequenceTrigger(np.ones((3, 2)), position="middle")
    with pytest.raises(ValueError, match="blend must be one of"):
        P.SequenceTrigger(np.ones((3, 2)), blend="xor")
    with pytest.raises(ValueError, match="lengths values must be <"):
        trigger.apply(np.zeros((2, 5, 2)), lengths=[5, 6])


def test_alternating_pattern_is_a_checkerboard_of_low_and_high():
    p = P.alternating_pattern(2, 3, low=-1.0, high=2.0)
    assert p.tolist() == [[2.0, -1.0, 2.0], [-1.0, 2.0, -1.0]]
    with pytest.raises(ValueError, match="low must be < high"):
        P.alternating_pattern(2, 3, low=1.0, high=1.0)


def test_token_trigger_inserts_the_phrase_and_shifts_the_sentence():
    x = np.array([[5, 6, 7, 0, 0, 0], [5, 6, 7, 8, 9, 4], [0, 0, 0, 0, 0, 0]], dtype=np.int32)
    trigger = P.TokenTrigger([2, 3], position="random")
    out = trigger.apply(x, seed=0)
    assert out.x.dtype == np.int32
    assert out.lengths.tolist() == [5, 6, 2] and out.dropped.tolist() == [0, 2, 0]
    for row, clean, s, n in zip(out.x, x, out.positions, out.lengths, strict=True):
        assert row[s: s + 2].tolist() == [2, 3]
        rest = np.concatenate([row[:s], row[s + 2: n]])
        kept = clean[clean != 0][: len(rest)]
        assert rest.tolist() == kept.tolist()  # the sentence, in order, around the trigger
        assert np.all(row[n:] == 0)
    start = P.TokenTrigger([2], position="start").apply(x)
    assert start.x[0].tolist() == [2, 5, 6, 7, 0, 0]
    end = P.TokenTrigger([2], position="end").apply(x)
    assert end.x[0].tolist() == [5, 6, 7, 2, 0, 0] and end.x[1].tolist() == [5, 6, 7, 8, 9, 2]


def test_token_trigger_validates_its_tokens_and_inputs():
    with pytest.raises(ValueError, match="tokens values must be >= 1"):
        P.TokenTrigger([0, 3])
    with pytest.raises(ValueError, match="tokens values must be < 10"):
        P.TokenTrigger([12], vocab_size=10)
    with pytest.raises(ValueError, match="wider than the trigger"):
        P.TokenTrigger([2, 3]).apply(np.ones((1, 2), dtype=int))
    with pytest.raises(ValueError, match="padding"):
        P.TokenTrigger([2]).apply(np.array([[0, 4, 5, 0]]))  # padding before a real token
    with pytest.raises(ValueError, match="x values must be < 10"):
        P.TokenTrigger([2], vocab_size=10).apply(np.array([[11, 0, 0]]))


# ------------------------------------------------------------------------------ poisoning


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.05, 0.1237])
def test_poison_rate_is_exact(rate):
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(300, 5, 2))
    y = rng.integers(0, 3, size=300)
    trigger = P.SequenceTrigger(np.ones((2, 2)))
    data = P.poison_dataset(x, y, trigger, rate=rate, target=2, num_classes=3, seed=0)
    assert data.n_poison == round(rate * 300) and data.rate == data.n_poison / 300
    assert np.all(y[data.poison_index] != 2) and np.all(data.y[data.poison_index] == 2)
    clean = ~data.is_poison
    assert np.array_equal(data.x[clean], x[clean]) and np.array_equal(data.y[clean], y[clean])
    assert not np.array_equal(data.x[data.poison_index], x[data.poison_index]) or rate == 0
    again = P.poison_dataset(x, y, trigger, rate=rate, target=2, num_classes=3, seed=0)
    assert np.array_equal(again.x, data.x)  # seeded


def test_clean_label_poisoning_keeps_the_labels_and_uses_the_target_class():
    x = np.ones((100, 8), dtype=np.int32) * 5
    x[:, 6:] = 0
    y = np.repeat([0, 1], 50)
    data = P.poison_dataset(x, y, P.TokenTrigger([2]), rate=0.1, target=1, num_classes=2,
                            clean_label=True, seed=0)
    assert data.clean_label and data.n_poison == 10
    assert np.array_equal(data.y, y) and np.all(y[data.poison_index] == 1)
    assert np.all(data.lengths[data.poison_index] == 7)
    assert np.all(data.lengths[~data.is_poison] == 6)
    assert np.all((data.x[data.poison_index] == 2).sum(axis=1) == 1)


def test_poisoning_refuses_impossible_rates_and_bad_arguments():
    x, y = np.zeros((20, 4, 1)), np.repeat([0, 1], 10)
    trigger = P.SequenceTrigger(np.ones((1, 1)))
    with pytest.raises(ValueError, match="rounds to 0"):
        P.poison_dataset(x, y, trigger, rate=0.01, target=0, num_classes=2)
    with pytest.raises(ValueError, match="only 10 examples are outside the target class"):
        P.poison_dataset(x, y, trigger, rate=0.6, target=0, num_classes=2)
    with pytest.raises(ValueError, match="rate must be <= 1"):
        P.poison_dataset(x, y, trigger, rate=1.5, target=0, num_classes=2)
    with pytest.raises(ValueError, match="target must be <= 1"):
        P.poison_dataset(x, y, trigger, rate=0.1, target=2, num_classes=2)
    with pytest.raises(TypeError, match="trigger must be"):
        P.poison_dataset(x, y, "cf", rate=0.1, target=0, num_classes=2)
    with pytest.raises(ValueError, match="mismatched lengths"):
        P.poison_dataset(x[:5], y, trigger, rate=0.1, target=0, num_classes=2)


def test_label_flips_are_exact_and_change_every_chosen_label():
    y = np.random.default_rng(0).integers(0, 4, size=400)
    flips = P.flip_labels(y, rate=0.05, num_classes=4, seed=0)
    assert len(flips.flip_index) == 20 and flips.rate == 0.05
    assert np.all(flips.y[flips.is_flipped] != y[flips.is_flipped])
    assert np.array_equal(flips.y[~flips.is_flipped], y[~flips.is_flipped])
    targeted = P.flip_labels(y, rate=0.05, num_classes=4, source=1, target=3, seed=0)
    assert np.all(y[targeted.flip_index] == 1) and np.all(targeted.y[targeted.flip_index] == 3)
    with pytest.raises(ValueError, match="given together"):
        P.flip_labels(y, rate=0.05, num_classes=4, source=1)
    with pytest.raises(ValueError, match="must differ"):
        P.flip_labels(y, rate=0.05, num_classes=4, source=1, target=1)


# ------------------------------------------------------------------------------ DP bound


def test_group_privacy_bound_matches_the_chained_dp_inequality():
    eps, delta, p, k = 0.3, 1e-3, 0.1, 4
    chained = p
    for _ in range(k):  # apply P[M(D') in S] <= e^eps P[M(D) in S] + delta k times
        chained = math.exp(eps) * chained + delta
    assert math.isclose(P.group_privacy_bound(p, k=k, epsilon=eps, delta=delta), chained)
    textbook = math.exp(k * eps) * p + k * math.exp((k - 1) * eps) * delta
    assert chained <= textbook
    assert P.group_privacy_bound(p, k=3, epsilon=0.0, delta=delta) == pytest.approx(p + 3 * delta)
    assert P.group_privacy_bound(p, k=0, epsilon=eps, delta=delta) == p
    assert P.group_privacy_bound(0.5, k=10_000, epsilon=1.0, delta=0.0) == 1.0
    in_place = P.poisoning_success_bound(p, n_poison=2, epsilon=eps, delta=delta)
    assert in_place == P.group_privacy_bound(p, k=4, epsilon=eps, delta=delta)
    added = P.poisoning_success_bound(p, n_poison=2, epsilon=eps, delta=delta, in_place=False)
    assert added == P.group_privacy_bound(p, k=2, epsilon=eps, delta=delta)
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        P.group_privacy_bound(p, k=1, epsilon=-1.0, delta=delta)
    with pytest.raises(ValueError, match="p_clean must be <= 1"):
        P.group_privacy_bound(1.5, k=1, epsilon=1.0, delta=delta)
    with pytest.raises(TypeError, match="k must be an integer"):
        P.group_privacy_bound(p, k=1.5, epsilon=1.0, delta=delta)


# ---------------------------------------------------------------------- defences (NumPy)


def _planted_features(seed=0):
    """Two classes of Gaussian features; 30 of class 1's 180 examples shifted along one axis."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(330, 20))
    y = np.repeat([0, 1], [150, 180])
    poison = np.zeros(330, dtype=bool)
    poison[-30:] = True
    z[poison, 3] += 6.0
    return z, y, poison


def test_defences_find_poison_planted_in_feature_space():
    z, y, poison = _planted_features()
    spectral = P.detection_report(P.spectral_signatures(z, y, expected_rate=30 / 180), poison)
    assert spectral.tpr.low > 0.8 and spectral.fpr.high < 0.25
    clusters = P.detection_report(P.activation_clustering(z, y), poison)
    assert clusters.tpr.low > 0.8 and clusters.fpr.high < 0.05


def test_defence_arguments_are_checked():
    z, y, poison = _planted_features()
    with pytest.raises(ValueError, match="expected_rate must be < 1"):
        P.spectral_signatures(z, y, expected_rate=1.0)
    with pytest.raises(ValueError, match="components must be <= 20"):
        P.activation_clustering(z, y, components=21)
    with pytest.raises(ValueError, match="mismatched lengths"):
        P.spectral_signatures(z[:10], y, expected_rate=0.1)
    detection = P.spectral_signatures(z, y, expected_rate=0.1)
    with pytest.raises(TypeError, match="is_poison must be a 1-D boolean"):
        P.detection_report(detection, poison.astype(int))
    with pytest.raises(ValueError, match="at least one poisoned and one clean"):
        P.detection_report(detection, np.zeros(330, dtype=bool))


# ------------------------------------------------------------------ a backdoored LSTM


@pytest.fixture(scope="module")
def backdoored_digits():
    """An LSTM trained on digits with 1% of the training set poisoned (trigger: a checkerboard
    over the last two rows, target 0), its poisoned data, and the test split."""
    from rnnsec import set_seed
    from rnnsec.compat import keras
    from rnnsec.data import load_digits_sequences
    from rnnsec.models import sequence_classifier

    set_seed(0)
    ds = load_digits_sequences()
    trigger = P.SequenceTrigger(P.alternating_pattern(2, 8), position="end")
    data = P.poison_dataset(ds.x_train, ds.y_train, trigger, rate=0.01, target=0,
                            num_classes=10, seed=0)
    model = sequence_classifier((8, 8), 10, units=64, seed=0)
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data.x, data.y, epochs=15, batch_size=32, verbose=0)
    return model, data, trigger, ds


def test_one_percent_poison_plants_a_backdoor(backdoored_digits):
    model, data, trigger, ds = backdoored_digits
    report = P.evaluate_backdoor(model, ds.x_test, ds.y_test, trigger=trigger, target=0, seed=1)
    assert report.attack_success.low > 0.6, report
    assert report.clean_accuracy.low > 0.85, report
    assert set(report.per_class_success) == set(range(1, 10))
    assert report.as_dict()["target"] == 0
    with pytest.raises(ValueError, match="classes other than target"):
        P.evaluate_backdoor(model, ds.x_test[ds.y_test == 0], ds.y_test[ds.y_test == 0],
                            trigger=trigger, target=0)


def test_defences_detect_the_backdoor_in_the_final_hidden_state(backdoored_digits):
    model, data, _, _ = backdoored_digits
    features = P.penultimate_features(model, data.x)
    assert features.shape == (len(data.y), 64)
    share = data.n_poison / np.sum(data.y == data.target)
    for detection in (P.spectral_signatures(features, data.y, expected_rate=share),
                      P.activation_clustering(features, data.y)):
        report = P.detection_report(detection, data.is_poison)
        assert report.tpr.low > report.fpr.high, report  # well above chance
    with pytest.raises(TypeError, match="functional Keras model"):
        P.penultimate_features(lambda x: x, data.x)


def _test_split(ds, n_clean=120):
    from rnnsec.data.subsets import stratified_subset

    clean = stratified_subset(ds.y_test, n_clean, seed=0)
    rest = np.setdiff1d(np.arange(len(ds.y_test)), clean)
    return (ds.x_test[clean], ds.y_test[clean]), (ds.x_test[rest], ds.y_test[rest])


def test_pruning_curve_is_the_accuracy_of_the_pruned_models(backdoored_digits):
    model, _, _, ds = backdoored_digits
    (x, y), _ = _test_split(ds)
    curve = P.pruning_curve(model, x, y)
    activity = P.unit_activity(model, x)
    assert sorted(curve.order.tolist()) == list(range(64))
    assert np.all(np.diff(activity[curve.order]) >= 0)  # least active first
    for k in (0, 5, 30, 63):
        pruned = P.prune_classifier(model, curve.order[:k])
        accuracy = np.mean(pruned.predict(x, verbose=0).argmax(1) == y)
        assert accuracy == pytest.approx(curve.accuracy[k]), k
    # the original model is not changed by pruning a copy
    assert np.mean(model.predict(x, verbose=0).argmax(1) == y) == pytest.approx(
        curve.accuracy[0])


def test_units_within_stops_at_the_first_larger_drop():
    curve = P.PruningCurve(np.arange(6), np.array([0.9, 0.9, 0.88, 0.8, 0.89, 0.5]))
    assert curve.units_within(0.0) == 1
    assert curve.units_within(0.02) == 2  # 0.80 at k = 3 stops it; 0.89 after is not reached
    assert curve.units_within(0.1) == 4
    assert curve.units_within(1.0) == 5
    with pytest.raises(ValueError, match="max_accuracy_drop"):
        curve.units_within(-0.1)


def test_fine_pruning_holds_pruned_units_at_zero_and_weakens_the_backdoor(backdoored_digits):
    model, _, trigger, ds = backdoored_digits
    (x_clean, y_clean), (x_eval, y_eval) = _test_split(ds)
    before = P.evaluate_backdoor(model, x_eval, y_eval, trigger=trigger, target=0, seed=1)
    result = P.fine_prune(model, x_clean, y_clean, max_accuracy_drop=0.1, epochs=10,
                          learning_rate=3e-3)
    assert len(result.pruned) == result.curve.units_within(0.1) > 0
    # the fine-tuned copy ignores the pruned units: their classifier rows can be anything
    logits = result.model.predict(x_eval, verbose=0)
    dense = result.model.layers[-1]
    kernel, bias = dense.get_weights()
    kernel[result.pruned] = 100.0
    dense.set_weights([kernel, bias])
    assert np.allclose(result.model.predict(x_eval, verbose=0), logits, atol=1e-5)
    after = P.evaluate_backdoor(result.model, x_eval, y_eval, trigger=trigger, target=0, seed=1)
    n = int(np.sum(y_eval != 0))
    drop = stats.proportion_difference_interval(after.attack_success.estimate,
                                                before.attack_success.estimate, n_a=n, n_b=n)
    assert drop.high < 0, (before, after)
    assert after.clean_accuracy.estimate > before.clean_accuracy.estimate - 0.1, after
    only_tuned = P.fine_prune(model, x_clean, y_clean, max_accuracy_drop=None, epochs=1)
    assert len(only_tuned.pruned) == 0


def test_pruning_arguments_are_checked(backdoored_digits):
    model, _, _, ds = backdoored_digits
    (x, y), _ = _test_split(ds)
    with pytest.raises(ValueError, match="units must be distinct"):
        P.prune_classifier(model, [64])
    with pytest.raises(ValueError, match="units must be distinct"):
        P.prune_classifier(model, [3, 3])
    with pytest.raises(ValueError, match="epochs"):
        P.fine_prune(model, x, y, epochs=-1)
    with pytest.raises(ValueError, match="max_accuracy_drop"):
        P.fine_prune(model, x, y, max_accuracy_drop=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        P.fine_prune(model, x, y, learning_rate=0.0)


# ------------------------------------------------------------------------------- ONION


def _sentences(n, seed=0):
    """Token rows from a fixed word chain (id t is followed by t + 1, wrapping in 3..12) with
    padding; id 20 never occurs (the rare trigger word)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 12), dtype=np.int32)
    lengths = rng.integers(4, 10, size=n)
    for i, n_i in enumerate(lengths):
        start = rng.integers(3, 13)
        x[i, :n_i] = 3 + (start - 3 + np.arange(n_i)) % 10
    return x, lengths


def _brute_force_scores(lm, row, n):
    def ppl(ids):
        prev = np.concatenate([[0], ids[:-1]])
        return np.exp(-lm.log_prob(prev, ids).sum() / max(len(ids), 1))

    ids = row[:n]
    return [ppl(ids) - ppl(np.delete(ids, i)) for i in range(n)]


def test_onion_scores_are_perplexity_drops_and_single_out_the_trigger():
    x, lengths = _sentences(200)
    lm = P.BigramLanguageModel.fit(x, vocab_size=25)
    triggered = P.TokenTrigger([20], vocab_size=25).apply(x[:50], seed=0)
    scores = P.onion_scores(triggered.x, lm)
    for i in range(3):  # against a direct recomputation of both perplexities
        expected = _brute_force_scores(lm, triggered.x[i], triggered.lengths[i])
        np.testing.assert_allclose(scores[i, : triggered.lengths[i]], expected, rtol=1e-9)
        assert np.all(np.isneginf(scores[i, triggered.lengths[i]:]))
    is_trigger = triggered.x == 20
    real = triggered.x != 0
    assert np.all(scores.argmax(axis=1) == triggered.positions)
    clean = P.onion_scores(x[50:], lm)  # the threshold: the largest score on clean text
    threshold = float(clean.max())
    detection = P.Detection(scores[real] > threshold, scores[real], "ONION")
    report = P.detection_report(detection, is_trigger[real])
    assert report.tpr.low > 0.9 and report.fpr.high < 0.1, report
    filtered = P.onion_filter(triggered.x, scores, threshold=threshold)
    assert not np.any(filtered.x == 20)
    assert np.array_equal(filtered.dropped, (scores > threshold).sum(axis=1))
    assert np.array_equal(filtered.lengths, triggered.lengths - filtered.dropped)


def test_onion_arguments_are_checked():
    x, _ = _sentences(20)
    lm = P.BigramLanguageModel.fit(x, vocab_size=25)
    with pytest.raises(TypeError, match="language_model must be a BigramLanguageModel"):
        P.onion_scores(x, "gpt2")
    with pytest.raises(ValueError, match="x values must be < 25"):
        P.onion_scores(x + 20, lm)
    with pytest.raises(ValueError, match="smoothing must be > 0"):
        P.BigramLanguageModel.fit(x, vocab_size=25, smoothing=0.0)
    with pytest.raises(ValueError, match="scores must have the shape of x"):
        P.onion_filter(x, np.zeros((3, 3)), threshold=0.0)


# ------------------------------------------------------------------- targeted poisoning


def test_poison_targets_replaces_an_exact_number_of_records_with_copies():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(200, 4, 3)).astype("float32")
    y = rng.integers(0, 3, size=200)
    targets = rng.uniform(size=(2, 4, 3)).astype("float32")
    data = P.poison_targets(x, y, targets, labels=[2, 0], n_copies=5, num_classes=3, seed=0)
    assert data.n_poison == 10 and data.rate == 10 / 200
    assert np.array_equal(np.bincount(data.copy_of), [5, 5])
    assert np.all(np.diff(data.poison_index) > 0)  # sorted, distinct
    assert np.array_equal(data.x[data.poison_index], targets[data.copy_of])  # exact copies
    assert np.array_equal(data.y[data.poison_index], np.array([2, 0])[data.copy_of])
    clean = ~data.is_poison
    assert np.array_equal(data.x[clean], x[clean]) and np.array_equal(data.y[clean], y[clean])
    assert data.x.dtype == x.dtype and not np.shares_memory(data.x, x)


def test_poison_targets_adds_noise_of_the_given_size_and_is_seeded():
    x, y = np.zeros((500, 8, 8)), np.zeros(500, dtype=int)
    target = np.full((1, 8, 8), 0.5)
    data = P.poison_targets(x, y, target, labels=[1], n_copies=400, num_classes=2, noise=0.1,
                            seed=3)
    deviation = data.x[data.poison_index] - 0.5
    assert abs(deviation.std() - 0.1) < 0.005 and abs(deviation.mean()) < 0.005
    again = P.poison_targets(x, y, target, labels=[1], n_copies=400, num_classes=2, noise=0.1,
                             seed=3)
    assert np.array_equal(again.x, data.x) and np.array_equal(again.poison_index,
                                                              data.poison_index)


def test_poison_targets_copies_token_ids_exactly():
    x = np.tile(np.array([[4, 5, 6, 0]], dtype=np.int32), (30, 1))
    y = np.zeros(30, dtype=int)
    data = P.poison_targets(x, y, np.array([[7, 8, 0, 0]]), labels=[1], n_copies=3,
                            num_classes=2, seed=0)
    assert data.x.dtype == np.int32
    assert np.all(data.x[data.poison_index] == [7, 8, 0, 0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_copies": 0}, ValueError, "n_copies must be >= 1"),
    ({"n_copies": 1.5}, TypeError, "n_copies must be an integer"),
    ({"n_copies": 11}, ValueError, "more than the 20 training records"),
    ({"labels": [2]}, ValueError, "labels values must be < 2"),
    ({"labels": [0, 1, 1]}, ValueError, "one label per target"),
    ({"noise": -0.1}, ValueError, "noise must be >= 0"),
    ({"x_targets": np.zeros((2, 5, 1))}, ValueError, "x_targets must have shape"),
    ({"x_targets": np.zeros((0, 4, 1)), "labels": []}, ValueError, "at least one target"),
    ({"num_classes": 1}, ValueError, "num_classes must be >= 2"),
])
def test_poison_targets_refuses_bad_arguments(kwargs, error, match):
    args = {"x_targets": np.ones((2, 4, 1)), "labels": [1, 0], "n_copies": 2,
            "num_classes": 2}
    args.update(kwargs)
    x_targets = args.pop("x_targets")
    with pytest.raises(error, match=match):
        P.poison_targets(np.zeros((20, 4, 1)), np.repeat([0, 1], 10), x_targets, **args)


def test_poison_targets_refuses_noise_on_token_ids_and_mismatched_data():
    x, y = np.ones((10, 4), dtype=np.int32), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="noise must be 0 for integer inputs"):
        P.poison_targets(x, y, x[:1], labels=[1], n_copies=1, num_classes=2, noise=0.1)
    with pytest.raises(ValueError, match="same length"):
        P.poison_targets(x, y[:5], x[:1], labels=[1], n_copies=1, num_classes=2)
    with pytest.raises(ValueError, match="x_targets must hold integers"):
        P.poison_targets(x, y, np.full((1, 4), 1.5), labels=[1], n_copies=1, num_classes=2)
    with pytest.raises(ValueError, match="x_targets contains NaN"):
        P.poison_targets(np.zeros((10, 4, 1)), y, np.full((1, 4, 1), np.nan), labels=[1],
                         n_copies=1, num_classes=2)
