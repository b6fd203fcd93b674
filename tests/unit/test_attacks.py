"""White-box attacks on continuous sequences: rnnsec.adversarial.fgsm and pgd."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnsec import set_seed
from rnnsec.adversarial import AttackResult, fgsm, pgd
from rnnsec.models import sequence_classifier

TOL = 1e-5  # float32 round-off allowed on top of epsilon


@pytest.fixture(scope="module")
def toy():
    """A small LSTM trained to tell which of 3 features has the largest mean over 6 steps."""
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 6, 3)).astype("float32")  # [N, T, D]
    y = x.mean(axis=1).argmax(axis=1)
    model = sequence_classifier((6, 3), 3, units=16)
    model.compile(tf.keras.optimizers.Adam(0.02),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:200], y[:200], epochs=30, batch_size=32, verbose=0)
    return model, x[200:260], y[200:260]


def _check_ball(result: AttackResult, x, epsilon, norm, clip_min, clip_max, mask=None):
    delta = (result.x_adv.astype(np.float64) - x).reshape(len(x), -1)
    size = np.abs(delta).max(axis=1) if norm == "inf" else np.sqrt((delta ** 2).sum(axis=1))
    assert np.all(size <= epsilon + TOL)
    np.testing.assert_allclose(size, result.perturbation_norm, atol=1e-6)
    if clip_min is not None:
        assert result.x_adv.min() >= clip_min
    if clip_max is not None:
        assert result.x_adv.max() <= clip_max
    if mask is not None:
        padded = mask == 0
        np.testing.assert_array_equal(result.x_adv[padded], x[padded])


def test_fgsm_linf_moves_every_real_coordinate_by_epsilon(toy):
    model, x, y = toy
    result = fgsm(model, x, y, 0.05, progress=False)
    assert isinstance(result, AttackResult) and result.queries is None
    np.testing.assert_allclose(np.abs(result.x_adv - x), 0.05, atol=TOL)
    np.testing.assert_allclose(result.perturbation_norm, 0.05, atol=TOL)


def test_fgsm_l2_uses_whole_sequence_norm(toy):
    model, x, y = toy
    result = fgsm(model, x, y, 0.3, norm="2", progress=False)
    np.testing.assert_allclose(result.perturbation_norm, 0.3, atol=TOL)
    # Not a per-step norm: the steps' own norms differ from 0.3.
    step_norms = np.linalg.norm(result.x_adv - x, axis=2)
    assert np.all(step_norms.max(axis=1) < 0.3)


def test_fgsm_lowers_accuracy_and_result_is_consistent(toy):
    model, x, y = toy
    result = fgsm(model, x, y, 0.1, clip_min=0.0, clip_max=1.0, progress=False)
    assert result.clean_accuracy > 0.7
    assert result.robust_accuracy < result.clean_accuracy - 0.3
    np.testing.assert_array_equal(result.success, result.pred_adv != y)
    assert result.success_rate == pytest.approx(np.mean(result.success))
    row = result.as_dict()
    assert row["attack"] == "fgsm" and row["epsilon"] == 0.1 and row["mean_queries"] is None
    assert "x_adv" in result.as_dict(arrays=True) and "x_adv" not in row
    assert "robust_accuracy=" in repr(result)


def test_fgsm_epsilon_zero_returns_clean_inputs(toy):
    model, x, y = toy
    result = fgsm(model, x, y, 0.0, progress=False)
    np.testing.assert_array_equal(result.x_adv, x)
    np.testing.assert_array_equal(result.pred_adv, result.pred_clean)


def test_fgsm_never_changes_padded_steps(toy):
    model, x, y = toy
    mask = np.ones(x.shape[:2])
    mask[:, 4:] = 0
    for norm in ("inf", "2"):
        result = fgsm(model, x, y, 0.2, norm=norm, mask=mask, progress=False)
        np.testing.assert_array_equal(result.x_adv[:, 4:], x[:, 4:])
        assert np.all(np.abs(result.x_adv[:, :4] - x[:, :4]).max(axis=(1, 2)) > 0)


def test_fgsm_batches_give_the_same_answer(toy):
    model, x, y = toy
    whole = fgsm(model, x, y, 0.05, progress=False)
    batched = fgsm(model, x, y, 0.05, batch_size=7, progress=False)
    np.testing.assert_allclose(whole.x_adv, batched.x_adv, atol=1e-6)


@pytest.mark.parametrize("attack", [fgsm, pgd])
def test_targeted_attack_reaches_target_more_often_than_chance(toy, attack):
    model, x, y = toy
    target = (y + 1) % 3
    kwargs = {"seed": 0} if attack is pgd else {}
    result = attack(model, x, target, 0.1, targeted=True, progress=False, **kwargs)
    assert result.targeted and result.robust_accuracy is None
    assert result.success_rate > 1 / 3 + 0.15
    np.testing.assert_array_equal(result.success, result.pred_adv == target)


def test_pgd_at_least_as_strong_as_fgsm(toy):
    model, x, y = toy
    for norm, eps in (("inf", 0.05), ("2", 0.15)):
        one = fgsm(model, x, y, eps, norm=norm, clip_min=0.0, clip_max=1.0, progress=False)
        many = pgd(model, x, y, eps, norm=norm, steps=10, clip_min=0.0, clip_max=1.0, seed=0,
                   progress=False)
        assert many.success_rate >= one.success_rate


def test_pgd_more_restarts_never_raise_robust_accuracy(toy):
    model, x, y = toy
    one = pgd(model, x, y, 0.04, steps=5, restarts=1, seed=3, progress=False)
    three = pgd(model, x, y, 0.04, steps=5, restarts=3, seed=3, progress=False)
    # Same seed and one batch: restart 1 is the same run, and the best iterate is kept.
    assert np.all(three.success >= one.success)


def test_pgd_is_reproducible_with_a_seed(toy):
    model, x, y = toy
    a = pgd(model, x, y, 0.05, steps=3, seed=7, progress=False)
    b = pgd(model, x, y, 0.05, steps=3, seed=7, progress=False)
    np.testing.assert_array_equal(a.x_adv, b.x_adv)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(norm=st.sampled_from(["inf", "2"]), epsilon=st.floats(0.0, 2.0),
       clip=st.sampled_from([(None, None), (0.0, 1.0), (-0.5, 1.5)]),
       padded=st.integers(0, 5), random_start=st.booleans(), seed=st.integers(0, 1000))
def test_attacks_stay_in_ball_range_and_leave_padding(toy, norm, epsilon, clip, padded,
                                                       random_start, seed):
    model, x, y = toy
    x, y = x[:16], y[:16]
    mask = np.ones(x.shape[:2])
    if padded:
        mask[:, -padded:] = 0
    clip_min, clip_max = clip
    result = fgsm(model, x, y, epsilon, norm=norm, clip_min=clip_min, clip_max=clip_max,
                  mask=mask, progress=False)
    _check_ball(result, x, epsilon, norm, clip_min, clip_max, mask)
    result = pgd(model, x, y, epsilon, steps=3, norm=norm, clip_min=clip_min, clip_max=clip_max,
                 mask=mask, random_start=random_start, seed=seed, progress=False)
    _check_ball(result, x, epsilon, norm, clip_min, clip_max, mask)


@pytest.mark.parametrize("attack", [fgsm, pgd])
@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"epsilon": -0.1}, ValueError, "epsilon"),
    ({"norm": "1"}, ValueError, "norm"),
    ({"y": np.zeros(5, dtype=int)}, ValueError, "mismatched lengths"),
    ({"y": np.full(60, 3)}, ValueError, "y values must be < 3"),
    ({"y": np.full(60, -1)}, ValueError, "y values must be >= 0"),
    ({"clip_min": 0.2, "clip_max": 1.0}, ValueError, "clip_min"),
    ({"clip_min": 1.0, "clip_max": 0.0}, ValueError, "clip_min must be < clip_max"),
    ({"mask": np.ones((60, 5))}, ValueError, "mask"),
    ({"mask": np.full((60, 6), 0.5)}, ValueError, "mask"),
    ({"x": np.zeros((60, 6))}, ValueError, "x must have 3 dimensions"),
    ({"x": np.full((60, 6, 3), np.nan)}, ValueError, "x contains NaN"),
    ({"targeted": 1}, TypeError, "targeted"),
    ({"batch_size": 0}, ValueError, "batch_size"),
])
def test_bad_inputs_raise_errors_naming_the_argument(toy, attack, kwargs, error, name):
    model, x, y = toy
    args = {"x": x, "y": y, "epsilon": 0.1, **kwargs}
    with pytest.raises(error, match=name):
        attack(model, progress=False, **args)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"steps": 0}, "steps"), ({"restarts": 0}, "restarts"), ({"step_size": 0.0}, "step_size"),
    ({"restarts": 2, "random_start": False}, "restarts"),
])
def test_pgd_bad_schedule_raises(toy, kwargs, name):
    model, x, y = toy
    with pytest.raises(ValueError, match=name):
        pgd(model, x, y, 0.1, progress=False, **kwargs)


def test_fgsm_and_pgd_take_everything_after_epsilon_by_keyword(toy):
    """Sibling attacks order their arguments alike; a positional norm or step count is refused."""
    model, x, y = toy
    with pytest.raises(TypeError):
        fgsm(model, x, y, 0.1, "2")
    with pytest.raises(TypeError):
        pgd(model, x, y, 0.1, 10)
