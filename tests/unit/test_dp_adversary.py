"""DP training composed with an input transform: make_private(..., adversary=PGD(...))."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.adversarial import PGD, TRADES
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier
from rnnsec.privacy import dp

CLIP, SIGMA, EPS = 1.0, 0.8, 0.2


def _model():
    set_seed(0)
    return sequence_classifier((5, 3), 2, units=4, cell="simple_rnn")


def _compiled(wrapper):
    wrapper.compile(keras.optimizers.SGD(0.5),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return wrapper


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 5, 3)).astype("float32")
    return x, rng.integers(0, 2, 16)


@pytest.mark.parametrize("random_start", [False, True])
def test_dp_with_pgd_equals_pgd_inputs_then_the_dp_step(batch, random_start):
    x, y = batch
    attack = {"steps": 3, "random_start": random_start, "clip_min": 0.0, "clip_max": 1.0}
    one_call = _model()
    wrapped = _compiled(dp.make_private(one_call, l2_norm_clip=CLIP, noise_multiplier=SIGMA,
                                        seed=4, sampling="shuffle",
                                        adversary=PGD(EPS, seed=7, **attack)))
    by_hand = _model()
    np.testing.assert_array_equal(one_call.get_weights()[0], by_hand.get_weights()[0])
    for _ in range(2):  # the second step's PGD runs against the updated weights
        wrapped.train_on_batch(x, y)
    plain = _compiled(dp.make_private(by_hand, l2_norm_clip=CLIP, noise_multiplier=SIGMA, seed=4,
                                      sampling="shuffle"))
    transform = PGD(EPS, seed=7, **attack)
    for _ in range(2):
        x_adv = transform(by_hand, x, y)  # against the current weights
        plain.train_on_batch(x_adv, y)
    for ours, theirs in zip(one_call.get_weights(), by_hand.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert not np.allclose(one_call.get_weights()[0], _model().get_weights()[0])


def test_dp_adversary_leaves_the_clean_step_when_it_is_none(batch):
    x, y = batch
    a, b = _model(), _model()
    _compiled(dp.make_private(a, l2_norm_clip=CLIP, noise_multiplier=SIGMA, seed=4,
                              sampling="shuffle")).train_on_batch(x, y)
    _compiled(dp.DPModel(b, l2_norm_clip=CLIP, noise_multiplier=SIGMA, seed=4, sampling="shuffle",
                         adversary=None)).train_on_batch(x, y)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("adversary", ["pgd", TRADES(0.1), 0.1])
def test_make_private_rejects_what_is_not_an_input_transform(adversary):
    with pytest.raises(TypeError, match="adversary must be .*PGD or FGSMRS"):
        dp.make_private(_model(), l2_norm_clip=CLIP, noise_multiplier=SIGMA, adversary=adversary)
