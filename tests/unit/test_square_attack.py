"""Square Attack: inside the ball and the range, padding untouched, queries counted, and a real
attack (it breaks a standard model, and more queries never help the model)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec.adversarial import evaluate_robustness, square_attack
from rnnsec.adversarial.square import square_share


def test_stays_in_ball_and_range(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    r = square_attack(model, x, y, 0.1, max_queries=60, clip_min=0.0, clip_max=1.0, seed=0)
    assert np.max(np.abs(r.x_adv - x)) <= 0.1 + 1e-6
    assert r.x_adv.min() >= 0.0 and r.x_adv.max() <= 1.0
    assert r.queries.min() >= 1 and r.queries.max() <= 60
    # an example counted as a success is misclassified, and it stopped querying there
    assert np.all(r.pred_adv[r.success] != y[r.success])
    assert np.all(r.queries[~r.success] == 60)


def test_breaks_a_standard_model_and_is_not_stronger_than_white_box(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    clean = float(np.mean(np.asarray(model(x)).argmax(1) == y))
    r = square_attack(model, x, y, 0.2, max_queries=300, clip_min=0.0, clip_max=1.0, seed=0)
    white = evaluate_robustness(model, x, y, 0.2, clip_min=0.0, clip_max=1.0, seed=0,
                                steps=20, restarts=1, apgd=False)
    assert r.robust_accuracy < clean - 0.2, (clean, r.robust_accuracy)
    assert white.robust_accuracy <= r.robust_accuracy + 0.1


def test_more_queries_never_help_the_model(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    short = square_attack(model, x, y, 0.1, max_queries=20, clip_min=0.0, clip_max=1.0, seed=0)
    long = square_attack(model, x, y, 0.1, max_queries=80, clip_min=0.0, clip_max=1.0, seed=0)
    # the same seed replays the same first queries: what broke within 20 queries stays broken
    # (the window schedule depends on the budget, so only the accuracy is compared)
    assert long.robust_accuracy <= short.robust_accuracy + 1e-9


def test_padding_is_never_changed(trained_vowels_masked):
    model, x, y, mask = trained_vowels_masked
    r = square_attack(model, x, y, 0.5, max_queries=40, mask=mask, seed=1)
    assert np.all(r.x_adv[mask == 0] == x[mask == 0])
    assert np.max(np.abs(r.x_adv - x)) <= 0.5 + 1e-6


def test_same_seed_same_result(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    a = square_attack(model, x, y, 0.1, max_queries=30, clip_min=0.0, clip_max=1.0, seed=3)
    b = square_attack(model, x, y, 0.1, max_queries=30, clip_min=0.0, clip_max=1.0, seed=3)
    assert np.array_equal(a.x_adv, b.x_adv) and np.array_equal(a.queries, b.queries)


def test_window_share_halves_on_schedule():
    assert square_share(1, 10_000, 0.3) == 0.3
    assert square_share(11, 10_000, 0.3) == 0.15
    assert square_share(9_000, 10_000, 0.3) == pytest.approx(0.3 / 2 ** 9)


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_queries=0), "max_queries"),
    (dict(max_queries=2.5), "max_queries"),
    (dict(p_init=0.0), "p_init"),
    (dict(p_init=1.5), "p_init"),
])
def test_bad_arguments_are_refused(trained_digits_lstm, kwargs, match):
    model, x, y = trained_digits_lstm
    with pytest.raises((ValueError, TypeError), match=match):
        square_attack(model, x, y, 0.1, **kwargs)


def test_negative_epsilon_is_refused(trained_digits_lstm):
    model, x, y = trained_digits_lstm
    with pytest.raises(ValueError, match="epsilon"):
        square_attack(model, x, y, -0.1)
