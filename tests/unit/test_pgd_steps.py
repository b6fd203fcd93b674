"""The one PGD step (rnnsec.adversarial._steps), as the attack and the training methods use it."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from rnnsec import set_seed
from rnnsec.adversarial import PGD, _steps, pgd
from rnnsec.models import sequence_classifier

N, T, D = 1500, 6, 3
PAD = -1.0  # padded steps hold this value (mask_value for the trainer)
TINY = 1e-9  # a step so small that the returned point is the random start


@pytest.fixture(scope="module")
def padded():
    """Zeros on real steps, PAD on padding; lengths 1..T, so d = 3..18 real coordinates."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, T + 1, N)
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype("float32")  # [N, T]
    x = np.where(mask[:, :, None] > 0, np.zeros((N, T, D)), PAD).astype("float32")  # [N, T, D]
    y = rng.integers(0, 2, N)
    set_seed(0)
    model = sequence_classifier((T, D), 2, units=4, cell="simple_rnn")
    return model, x, y, mask


def _starts(padded, norm, epsilon):
    """The random starts of the attack ``pgd`` and of the training transform ``PGD``."""
    model, x, y, mask = padded
    attack = pgd(model, x, y, epsilon, steps=1, step_size=TINY, norm=norm, mask=mask, seed=0,
                 progress=False).x_adv - x
    trainer = PGD(epsilon, steps=1, step_size=TINY, norm=norm, mask_value=PAD, seed=0)
    return {"attack": attack, "trainer": trainer(model, x, y).numpy() - x}


@pytest.mark.parametrize("source", ["attack", "trainer"])
def test_l2_random_start_is_uniform_in_the_ball_over_real_coordinates(padded, source):
    _, _, _, mask = padded
    delta = _starts(padded, "2", 1.0)[source]
    radius = np.sqrt((delta.astype(np.float64) ** 2).sum(axis=(1, 2)))  # [N]
    dims = mask.sum(axis=1) * D  # real coordinates of each example
    # Uniform in a d-ball: P(||delta|| <= r eps) = r^d, so (||delta|| / eps)^d ~ U(0, 1).
    assert stats.kstest(radius ** dims, "uniform").pvalue > 0.01
    # The test has power: radius eps * U (uniform radius, not uniform point) fails it.
    wrong = np.random.default_rng(1).uniform(size=N)
    assert stats.kstest(wrong ** dims, "uniform").pvalue < 1e-6
    assert np.all(radius <= 1.0 + 1e-5)
    np.testing.assert_array_equal(delta[mask == 0], 0.0)  # padded steps stay put


@pytest.mark.parametrize("source", ["attack", "trainer"])
def test_linf_random_start_is_uniform_per_real_coordinate(padded, source):
    _, _, _, mask = padded
    delta = _starts(padded, "inf", 0.5)[source]
    real = delta[mask > 0].ravel()
    assert stats.kstest(real, "uniform", args=(-0.5, 1.0)).pvalue > 0.01
    np.testing.assert_array_equal(delta[mask == 0], 0.0)


def test_random_start_repeats_with_its_seed_and_not_without():
    x, mask = tf.zeros((4, 5, 2)), tf.ones((4, 5))
    a = _steps.random_start(x, mask=mask, seed=[1, 2], epsilon=1.0, norm="2")
    b = _steps.random_start(x, mask=mask, seed=[1, 2], epsilon=1.0, norm="2")
    c = _steps.random_start(x, mask=mask, seed=[1, 3], epsilon=1.0, norm="2")
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_pgd_step_moves_by_step_size_then_projects_and_clips(norm):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (5, 4, 3)).astype("float32")
    grad = rng.normal(size=x.shape).astype("float32")
    mask = np.ones((5, 4), "float32")
    mask[:, 3] = 0
    small = _steps.pgd_step(x, x=x, grad=grad, mask=mask, step_size=0.01, epsilon=1.0,
                            norm=norm).numpy()
    delta = (small - x).reshape(5, -1)
    size = np.abs(delta).max(1) if norm == "inf" else np.linalg.norm(delta, axis=1)
    np.testing.assert_allclose(size, 0.01, rtol=1e-3)  # inside the ball: a plain step
    big = _steps.pgd_step(x, x=x, grad=grad, mask=mask, step_size=5.0, epsilon=0.2,
                          norm=norm, clip_min=0.0, clip_max=1.0).numpy()
    delta = (big - x).reshape(5, -1)
    size = np.abs(delta).max(1) if norm == "inf" else np.linalg.norm(delta, axis=1)
    assert np.all(size <= 0.2 + 1e-6) and big.min() >= 0.0 and big.max() <= 1.0
    np.testing.assert_array_equal(big[:, 3], x[:, 3])
