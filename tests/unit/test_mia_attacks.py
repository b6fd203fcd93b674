"""Membership inference attacks: rnnsec.privacy.attacks (loss threshold, shadow models, LiRA)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from rnnsec import set_seed
from rnnsec.compat import keras
from rnnsec.compat import per_example_loss as keras_loss
from rnnsec.models import sequence_classifier
from rnnsec.privacy import attacks
from rnnsec.privacy.attacks import (
    MembershipScores,
    ShadowModels,
    lira_attack,
    lira_scores,
    logit_confidence,
    loss_threshold_attack,
    loss_threshold_attack_from_losses,
    membership_candidates,
    per_example_loss,
    shadow_model_attack,
    train_shadow_models,
)

N_CLASSES = 3


def _synthetic_losses(seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    is_member = rng.random(n) < 0.5
    losses = rng.gamma(2.0, 0.5, n) * np.where(is_member, 0.6, 1.0)
    return losses, is_member


def _build_mlp():
    """A small classifier that memorises random labels in a few epochs (fast on CPU)."""
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(N_CLASSES)])
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.fixture(scope="module")
def overfit():
    """64 candidates with random labels; the target trains on the first 32 (the members)."""
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4, 3)).astype("float32")  # [N, T, D]
    y = rng.integers(0, N_CLASSES, 64)
    is_member = np.arange(64) < 32
    target = _build_mlp()
    target.fit(x[is_member], y[is_member], epochs=12, batch_size=4, verbose=0)
    shadows = train_shadow_models(_build_mlp(), x, y, n_shadow=4, epochs=12, batch_size=4,
                                  seed=1, progress=False)
    return target, x, y, is_member, shadows


# --- statistics -----------------------------------------------------------------------------


def test_per_example_loss_matches_keras_cross_entropy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20, 5)) * 3
    y = rng.integers(0, 5, 20)
    expected = keras_loss()(y, logits.astype("float32")).numpy()
    np.testing.assert_allclose(per_example_loss(logits, y), expected, rtol=1e-5, atol=1e-6)


def test_logit_confidence_is_log_odds_and_stays_finite_when_p_rounds_to_one():
    logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0], [80.0, 0.0, 1.0]])
    y = np.array([0, 2, 0])
    p = np.exp(logits[:2]) / np.exp(logits[:2]).sum(axis=1, keepdims=True)
    p_true = p[np.arange(2), y[:2]]
    np.testing.assert_allclose(logit_confidence(logits, y)[:2], np.log(p_true / (1 - p_true)))
    # p_y = 1 - 1e-35 is 1.0 in float64, yet the statistic keeps its value (80 - log(1 + e)).
    np.testing.assert_allclose(logit_confidence(logits, y)[2], 80 - np.log(1 + np.e))


def test_statistics_reject_labels_outside_the_classes():
    with pytest.raises(ValueError, match="y values must be < 3"):
        per_example_loss(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="mismatched lengths"):
        logit_confidence(np.zeros((2, 3)), [0, 1, 2])


# --- loss threshold -------------------------------------------------------------------------


def test_threshold_auc_equals_sklearn_on_synthetic_losses():
    losses, is_member = _synthetic_losses()
    out = loss_threshold_attack_from_losses(losses, is_member)
    assert out.auc == pytest.approx(roc_auc_score(is_member, -losses), abs=1e-12)
    assert out.result.n_members == is_member.sum()
    assert isinstance(out, MembershipScores) and "loss threshold" in repr(out)


def test_threshold_attack_on_a_model_uses_its_per_example_losses(overfit):
    target, x, y, is_member, _ = overfit
    out = loss_threshold_attack(target, x, y, is_member, batch_size=16)
    losses = keras_loss()(y, target.predict(x, verbose=0)).numpy()
    np.testing.assert_allclose(out.scores, -losses, rtol=1e-4, atol=1e-5)
    assert out.auc > 0.8, out  # random labels: members are memorised, non-members are not


def test_most_exposed_ranks_members_by_score():
    scores = np.array([0.1, 5.0, 3.0, 9.0, 4.0])
    is_member = np.array([1, 1, 1, 0, 1], bool)
    out = loss_threshold_attack_from_losses(-scores, is_member)
    np.testing.assert_array_equal(out.most_exposed(3), [1, 4, 2])
    np.testing.assert_array_equal(out.most_exposed(1, members_only=False), [3])
    with pytest.raises(ValueError, match="k must be <= 4"):
        out.most_exposed(5)


@pytest.mark.parametrize("fprs", [(0.0,), (1.0,), (0.01, 1.5)])
def test_fprs_outside_the_open_unit_interval_are_refused(fprs):
    losses, is_member = _synthetic_losses()
    with pytest.raises(ValueError, match="fprs"):
        loss_threshold_attack_from_losses(losses, is_member, fprs=fprs)


def test_threshold_attack_rejects_bad_inputs(overfit):
    target, x, y, is_member, _ = overfit
    with pytest.raises(ValueError, match="mismatched lengths"):
        loss_threshold_attack_from_losses([0.1, 0.2, 0.3], [1, 0])
    with pytest.raises(ValueError, match="both members"):
        loss_threshold_attack(target, x, y, np.ones(len(y), bool))
    with pytest.raises(ValueError, match="mismatched lengths"):
        loss_threshold_attack(target, x, y[:-1], is_member)
    with pytest.raises(ValueError, match="losses contains NaN"):
        loss_threshold_attack_from_losses([0.1, np.nan], [1, 0])


def test_membership_candidates_stacks_and_subsamples():
    x_in, x_out = np.arange(10)[:, None], np.arange(100, 120)[:, None]
    x, y, m = membership_candidates(x_in, np.zeros(10, int), x_out, np.ones(20, int), n=4,
                                    seed=3)
    assert x.shape == (8, 1) and m.tolist() == [True] * 4 + [False] * 4
    assert set(x[:4, 0]) <= set(range(10)) and set(x[4:, 0]) <= set(range(100, 120))
    with pytest.raises(ValueError, match="n must be <= 10"):
        membership_candidates(x_in, np.zeros(10, int), x_out, np.ones(20, int), n=11)
    with pytest.raises(ValueError, match="mismatched lengths"):
        membership_candidates(x_in, np.zeros(9, int), x_out, np.ones(20, int))


# --- shadow models and LiRA -----------------------------------------------------------------


def test_shadow_training_is_balanced_and_overfits(overfit):
    *_, shadows = overfit
    assert shadows.logits.shape == (4, 64, N_CLASSES)
    np.testing.assert_array_equal(shadows.keep.sum(axis=0), 2)  # each record IN for 2 of 4
    acc_in, acc_out = shadows.accuracy()
    assert acc_in > 0.9 and acc_out < 0.6, shadows


def test_shadow_model_attack_beats_chance_on_an_overfit_model(overfit):
    target, x, y, is_member, shadows = overfit
    for features in attacks.FEATURES:
        out = shadow_model_attack(target, x, y, is_member, shadows, features=features)
        # label-free sorted confidences cannot tell a confident right answer (member) from a
        # confident wrong one (non-member with a random label), so they gain less
        assert out.auc > (0.6 if features == "sorted" else 0.8), (features, out)
    per_class = shadow_model_attack(target, x, y, is_member, shadows, per_class=True)
    assert per_class.auc > 0.75, per_class


def test_lira_online_and_offline_beat_chance_on_an_overfit_model(overfit):
    target, x, y, is_member, shadows = overfit
    online = lira_attack(target, x, y, is_member, shadows)
    offline = lira_attack(target, x, y, is_member, shadows, online=False)
    assert online.auc > 0.8 and offline.auc > 0.75, (online, offline)
    assert online.name == "LiRA online (4)" and offline.name == "LiRA offline (4)"


def test_shadow_models_are_deterministic_with_a_seed():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4, 3)).astype("float32")
    y = rng.integers(0, N_CLASSES, 12)
    template = _build_mlp()
    runs = [train_shadow_models(template, x, y, 2, epochs=2, batch_size=4, seed=seed,
                                progress=False) for seed in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0].logits, runs[1].logits)
    np.testing.assert_array_equal(runs[0].keep, runs[1].keep)
    assert not np.array_equal(runs[0].logits, runs[2].logits)


def test_shadow_models_leave_global_random_streams_alone(assert_global_streams_untouched):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 4, 3)).astype("float32")
    y = rng.integers(0, N_CLASSES, 12)
    template = _build_mlp()
    before = [w.copy() for w in template.get_weights()]
    shadows = assert_global_streams_untouched(
        train_shadow_models, template, x, y, 2, epochs=2, batch_size=4, seed=3, progress=False)
    assert shadows.n_shadow == 2
    for w, w0 in zip(template.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, w0)  # the template is only copied


def test_lira_scores_follow_the_gaussian_likelihood_ratio():
    stat = np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 1.0], [2.0, 5.0]])  # [S=4, N=2]
    keep = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], bool)
    target = np.array([2.5, 1.0])
    # record 0: IN {1, 3} median 2, OUT {0, 2} median 1; record 1: IN {1, 5} -> 3, OUT {0, 2} -> 1
    in_sd = np.std([-1.0, 1.0, -2.0, 2.0])  # global spread of the residuals around the medians
    out_sd = np.std([-1.0, 1.0, -1.0, 1.0])
    expected = (stats.norm.logpdf(target, [2, 3], in_sd)
                - stats.norm.logpdf(target, [1, 1], out_sd))
    np.testing.assert_allclose(lira_scores(target, stat, keep), expected)
    np.testing.assert_allclose(lira_scores(target, stat, keep, online=False),
                               (target - 1.0) / out_sd)
    per_record = lira_scores(target, stat, keep, fix_variance=False)
    np.testing.assert_allclose(per_record[1], stats.norm.logpdf(1.0, 3, 2)
                               - stats.norm.logpdf(1.0, 1, 1))


def test_lira_scores_reject_bad_inputs():
    stat, keep = np.zeros((4, 3)), np.ones((4, 3), bool)
    with pytest.raises(ValueError, match="only 0 OUT shadow"):
        lira_scores(np.zeros(3), stat, keep)
    with pytest.raises(TypeError, match="keep must be a boolean"):
        lira_scores(np.zeros(3), stat, keep.astype(int))
    with pytest.raises(ValueError, match="mismatched lengths"):
        lira_scores(np.zeros(2), stat, keep)
    with pytest.raises(ValueError, match="keep must have the shape"):
        lira_scores(np.zeros(3), stat, keep[:2])


def test_shadow_training_rejects_bad_inputs():
    x, y = np.zeros((6, 4, 3), "float32"), np.zeros(6, int)
    with pytest.raises(ValueError, match="n_shadow must be even"):
        train_shadow_models(_build_mlp(), x, y, 3, progress=False)
    with pytest.raises(TypeError, match=r"build_model\(\) instead of build_model"):
        train_shadow_models(_build_mlp, x, y, 2, progress=False)
    with pytest.raises(TypeError, match="compiled"):
        train_shadow_models(sequence_classifier((4, 3), 2, units=2), x, y, 2, progress=False)
    with pytest.raises(ValueError, match="mismatched lengths"):
        train_shadow_models(_build_mlp(), x, y[:5], 2, progress=False)


def test_attacks_refuse_shadows_from_another_pool(overfit):
    target, x, y, is_member, shadows = overfit
    with pytest.raises(ValueError, match="trained on these candidates"):
        lira_attack(target, x[:40], y[:40], is_member[:40], shadows)
    with pytest.raises(TypeError, match="ShadowModels"):
        shadow_model_attack(target, x, y, is_member, shadows.logits)
    with pytest.raises(ValueError, match="features must be one of"):
        shadow_model_attack(target, x, y, is_member, shadows, features="vector")
    other = ShadowModels(logits=np.zeros((2, 64, 2), "float32"), keep=shadows.keep[:2],
                         y=np.zeros(64, int), seed=0)
    with pytest.raises(ValueError, match="3 classes but the shadows have 2"):
        shadow_model_attack(target, x, y, is_member, other)


# --- cross-checks against TensorFlow Privacy (pinned stack) ---------------------------------


def _tf_privacy_mia():
    """TF Privacy's membership-inference package (``tensorflow-empirical-privacy``)."""
    return pytest.importorskip(
        "tensorflow_privacy.privacy.privacy_tests.membership_inference_attack.advanced_mia",
        reason="TF Privacy's privacy_tests ship in tensorflow-empirical-privacy==0.1.0, not in "
               "tensorflow-privacy 0.9.0")


@pytest.mark.pinned
def test_lira_matches_tf_privacy_compute_score_lira():
    advanced_mia = _tf_privacy_mia()
    rng = np.random.default_rng(0)
    n_shadow, n = 8, 50
    keep = attacks._balanced_keep(n_shadow, n, rng)
    stat = rng.normal(size=(n_shadow, n)) + 2.0 * keep
    target = rng.normal(size=n) + 1.0
    stat_in = [stat[keep[:, i], i][:, None] for i in range(n)]  # list of [m, 1] arrays
    stat_out = [stat[~keep[:, i], i][:, None] for i in range(n)]
    for fix_variance in (True, False):
        theirs = advanced_mia.compute_score_lira(target[:, None], stat_in, stat_out,
                                                 option="both", fix_variance=fix_variance)
        ours = lira_scores(target, stat, keep, fix_variance=fix_variance)
        np.testing.assert_allclose(ours, -theirs, rtol=1e-9, atol=1e-9)
    # TF Privacy's logit statistic is log(p_true) - log(sum of the other p): the same quantity
    logits = rng.normal(size=(n, 4)) * 3
    labels = rng.integers(0, 4, n)
    theirs = advanced_mia.calculate_statistic(logits, labels, is_logits=True, option="logit")
    np.testing.assert_allclose(logit_confidence(logits, labels), theirs, rtol=1e-9, atol=1e-9)


@pytest.mark.pinned
def test_threshold_attack_matches_tf_privacy_run_attacks(monkeypatch):
    _tf_privacy_mia()
    import joblib
    import sklearn.utils

    # tensorflow-empirical-privacy 0.1.0 imports sklearn.utils.parallel_backend (an alias of
    # joblib's, removed in scikit-learn 1.7) and computes an epsilon lower bound with a private
    # scikit-learn helper that newer releases removed; neither touches the ROC or the AUC.
    monkeypatch.setattr(sklearn.utils, "parallel_backend", joblib.parallel_backend,
                        raising=False)
    from tensorflow_privacy.privacy.privacy_tests.membership_inference_attack import (
        data_structures as ds,
    )
    from tensorflow_privacy.privacy.privacy_tests.membership_inference_attack import (
        membership_inference_attack as mia,
    )

    class _NoEpsilonBound:
        def __init__(self, *args, **kwargs):
            pass

        def compute_epsilon_lower_bounds(self, *args, **kwargs):
            return {}

    monkeypatch.setattr(mia.elb, "EpsilonLowerBound", _NoEpsilonBound)
    losses, is_member = _synthetic_losses(seed=4, n=600)
    results = mia.run_attacks(
        ds.AttackInputData(loss_train=losses[is_member], loss_test=losses[~is_member]),
        ds.SlicingSpec(entire_dataset=True),
        attack_types=(ds.AttackType.THRESHOLD_ATTACK,))
    theirs = results.single_attack_results[0]
    ours = loss_threshold_attack_from_losses(losses, is_member)
    assert ours.auc == pytest.approx(theirs.get_auc(), abs=1e-12)
    assert ours.result.advantage == pytest.approx(theirs.get_attacker_advantage(), abs=1e-12)

