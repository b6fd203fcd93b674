"""APGD (rnnsec.adversarial.apgd) and the attack losses (CE, CW margin, DLR) of pgd and apgd."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.adversarial import AttackResult, apgd, apgd_checkpoints, pgd, run_attack
from rnnsec.adversarial._losses import attack_loss_numpy
from rnnsec.models import sequence_classifier

TOL = 1e-5  # float32 round-off allowed on top of epsilon
CLIP = {"clip_min": 0.0, "clip_max": 1.0}


@pytest.fixture(scope="module")
def toy(trained_toy_lstm):
    """The shared toy LSTM (3 classes, inputs in [0, 1]); 24 held-out sequences."""
    model, x, y = trained_toy_lstm
    return model, x[200:224], y[200:224]


def _check_ball(result: AttackResult, x, epsilon, norm, clip_min=None, clip_max=None,
                mask=None):
    delta = (result.x_adv.astype(np.float64) - x).reshape(len(x), -1)
    size = np.abs(delta).max(axis=1) if norm == "inf" else np.sqrt((delta ** 2).sum(axis=1))
    assert np.all(size <= epsilon + TOL)
    if clip_min is not None:
        assert result.x_adv.min() >= clip_min
    if clip_max is not None:
        assert result.x_adv.max() <= clip_max
    if mask is not None:
        padded = mask == 0
        np.testing.assert_array_equal(result.x_adv[padded], x[padded])


def test_checkpoints_follow_the_papers_schedule():
    assert apgd_checkpoints(100) == (0, 22, 41, 57, 70, 80, 87, 93, 99)
    assert apgd_checkpoints(50) == (0, 11, 21, 29, 35, 40, 44, 47, 50)
    assert apgd_checkpoints(1) == (0, 1)
    for steps in range(1, 120):
        w = apgd_checkpoints(steps)
        assert w[0] == 0 and w[-1] <= steps and np.all(np.diff(w) > 0)


@pytest.mark.parametrize("norm, epsilon", [("inf", 0.1), ("2", 0.4)])
@pytest.mark.parametrize("loss", ["ce", "dlr"])
@pytest.mark.parametrize("clip", [(None, None), (0.0, 1.0), (-0.5, 1.5)])
def test_apgd_stays_in_ball_and_range_and_leaves_padding(toy, norm, epsilon, loss, clip):
    model, x, y = toy
    mask = np.ones(x.shape[:2])
    mask[:, -2:] = 0
    clip_min, clip_max = clip
    result = apgd(model, x, y, epsilon, norm=norm, loss=loss, steps=8, clip_min=clip_min,
                  clip_max=clip_max, mask=mask, seed=0, progress=False)
    assert isinstance(result, AttackResult) and result.attack == f"apgd-{loss}"
    _check_ball(result, x, epsilon, norm, clip_min, clip_max, mask)


@pytest.mark.parametrize("norm, epsilon", [("inf", 0.3), ("2", 2.0)])
def test_apgd_leaves_padded_frames_of_a_masked_model_untouched(trained_vowels_masked, norm,
                                                               epsilon):
    model, x, y, mask = trained_vowels_masked
    result = apgd(model, x, y, epsilon, norm=norm, steps=5, mask=mask, seed=0,
                  progress=False)
    _check_ball(result, x, epsilon, norm, mask=mask)
    assert result.success.any()  # it did move the real frames


@pytest.mark.parametrize("norm, epsilon", [("inf", 0.1), ("2", 0.5)])
def test_apgd_is_not_weaker_than_pgd_on_digits(trained_digits_lstm, norm, epsilon):
    model, x, y = trained_digits_lstm
    kw = dict(norm=norm, steps=10, seed=0, progress=False, **CLIP)
    assert apgd(model, x, y, epsilon, **kw).robust_accuracy <= pgd(
        model, x, y, epsilon, **kw).robust_accuracy


@pytest.mark.parametrize("norm, epsilon", [("inf", 0.2), ("2", 2.0)])
def test_apgd_is_not_weaker_than_pgd_on_masked_vowels(trained_vowels_masked, norm, epsilon):
    model, x, y, mask = trained_vowels_masked
    kw = dict(norm=norm, steps=10, seed=0, mask=mask, progress=False)
    assert apgd(model, x, y, epsilon, **kw).robust_accuracy <= pgd(
        model, x, y, epsilon, **kw).robust_accuracy


def test_apgd_more_restarts_never_weaker_and_seed_repeats(toy):
    model, x, y = toy
    one = apgd(model, x, y, 0.1, steps=5, seed=3, progress=False, **CLIP)
    again = apgd(model, x, y, 0.1, steps=5, seed=3, progress=False, **CLIP)
    np.testing.assert_array_equal(one.x_adv, again.x_adv)
    more = apgd(model, x, y, 0.1, steps=5, restarts=3, seed=3, progress=False, **CLIP)
    assert more.robust_accuracy <= one.robust_accuracy
    # the first restart is the same run: what it broke stays broken
    assert np.all(more.success[one.success])


def test_apgd_in_batches_reports_every_example(toy):
    model, x, y = toy
    result = apgd(model, x, y, 0.1, steps=3, seed=1, batch_size=7, progress=False, **CLIP)
    assert result.num_examples == len(x)
    np.testing.assert_array_equal(result.pred_clean, np.argmax(model(x).numpy(), axis=1))
    np.testing.assert_array_equal(result.pred_adv, np.argmax(model(result.x_adv).numpy(), 1))
    _check_ball(result, x, 0.1, "inf", 0.0, 1.0)


def test_apgd_is_registered_as_an_attack(toy):
    model, x, y = toy
    assert run_attack("apgd", model, x, y, 0.1, steps=3, seed=0, progress=False).attack == \
        "apgd-ce"


def test_margin_and_dlr_losses_match_their_formulas():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(7, 5)).astype("float32")
    y = rng.integers(0, 5, 7)
    z = logits.astype(np.float64)
    true = z[np.arange(7), y]
    other = np.where(np.eye(5, dtype=bool)[y], -np.inf, z).max(axis=1)
    top = np.sort(z, axis=1)[:, ::-1]
    np.testing.assert_allclose(attack_loss_numpy(logits, y, "margin"), other - true, atol=1e-5)
    np.testing.assert_allclose(attack_loss_numpy(logits, y, "dlr"),
                               (other - true) / (top[:, 0] - top[:, 2]), rtol=1e-4)
    # DLR does not change when the logits are shifted and rescaled; the margin scales
    np.testing.assert_allclose(attack_loss_numpy(3 * logits + 7, y, "dlr"),
                               attack_loss_numpy(logits, y, "dlr"), rtol=1e-4)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(attack_loss_numpy(logits, y, "ce"),
                               -log_p[np.arange(7), y], rtol=1e-5)


@pytest.mark.parametrize("loss", ["margin", "dlr"])
def test_pgd_with_another_loss_stays_in_ball_and_breaks_examples(trained_digits_lstm, loss):
    model, x, y = trained_digits_lstm
    result = pgd(model, x, y, 0.1, steps=10, loss=loss, seed=0, progress=False, **CLIP)
    _check_ball(result, x, 0.1, "inf", 0.0, 1.0)
    assert result.robust_accuracy < result.clean_accuracy


def test_pgd_ce_is_unchanged_by_the_loss_option(toy):
    model, x, y = toy
    default = pgd(model, x, y, 0.1, steps=5, seed=0, progress=False)
    explicit = pgd(model, x, y, 0.1, steps=5, seed=0, loss="ce", progress=False)
    np.testing.assert_array_equal(default.x_adv, explicit.x_adv)


@pytest.fixture(scope="module")
def binary():
    set_seed(0)
    return sequence_classifier((4, 2), 2, units=4), np.zeros((3, 4, 2), "float32"), \
        np.array([0, 1, 0])


def test_dlr_needs_three_classes(binary):
    model, x, y = binary
    with pytest.raises(ValueError, match="at least 3 classes"):
        apgd(model, x, y, 0.1, loss="dlr", progress=False)
    with pytest.raises(ValueError, match="at least 3 classes"):
        pgd(model, x, y, 0.1, loss="dlr", progress=False)
    assert apgd(model, x, y, 0.1, loss="margin", steps=2, seed=0,
                progress=False).attack == "apgd-margin"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epsilon": -0.1}, ValueError, "epsilon"),
    ({"norm": "1"}, ValueError, "norm"),
    ({"loss": "hinge"}, ValueError, "loss must be one of"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 2.5}, (TypeError, ValueError), "steps"),
    ({"restarts": 0}, ValueError, "restarts"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"progress": "no"}, TypeError, "progress"),
    ({"clip_min": 0.5, "clip_max": 0.2}, ValueError, "clip_min"),
    ({"clip_min": 0.5}, ValueError, "clip_min"),
    ({"mask": np.ones((2, 2))}, ValueError, "mask"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_apgd_rejects_bad_arguments(toy, kwargs, error, match):
    model, x, y = toy
    args = {"epsilon": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        apgd(model, x, y, args.pop("epsilon"), progress=False, **args)


def test_apgd_rejects_bad_data(toy):
    model, x, y = toy
    with pytest.raises(ValueError, match="y"):
        apgd(model, x, y[:-1], 0.1, progress=False)
    with pytest.raises(ValueError, match="y"):
        apgd(model, x, y + 5, 0.1, progress=False)
    with pytest.raises(ValueError, match="x"):
        apgd(model, x[0], y, 0.1, progress=False)
    with pytest.raises(TypeError, match="model"):
        apgd("model", x, y, 0.1, progress=False)
