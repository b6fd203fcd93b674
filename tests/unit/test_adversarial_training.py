"""Adversarial training with fit: AdversarialTrainer, its method objects, and
CatastrophicOverfittingMonitor."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from rnnsec import set_seed
from rnnsec.adversarial import (
    FGSMRS,
    PGD,
    TRADES,
    AdversarialTrainer,
    CatastrophicOverfittingMonitor,
    EmbeddingAT,
    EmbeddingVAT,
    Free,
    _steps,
    embedding_pgd,
    fgsm,
    pgd,
)
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier, text_classifier

EPS = 0.4
CELL = "simple_rnn"  # traces fastest; the monitor test trains an LSTM


def robust_toy(n: int, seed: int):
    """One robust feature (+-1, right 90% of the time) and many weak non-robust ones.

    Feature 0 of every step is the label's sign (flipped for 10% of examples); features 1-3
    are N(0.25 * sign, 1). A clean model also leans on the weak features, which an attack
    of L-inf size 0.4 can flip; a robust model must rely on feature 0 (Tsipras et al. 2019).
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sign = (2 * y - 1).astype("float32")
    x = rng.normal(0.0, 1.0, (n, 6, 4)) + 0.25 * sign[:, None, None]
    flip = np.where(rng.uniform(size=n) < 0.9, 1.0, -1.0)
    x[:, :, 0] = (sign * flip)[:, None]
    return x.astype("float32"), y


def _loss():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture(scope="module")
def data():
    return robust_toy(320, 0), robust_toy(200, 1)


@pytest.fixture(scope="module")
def clean_robust_accuracy(data):
    (x, y), (xt, yt) = data
    set_seed(0)
    model = sequence_classifier((6, 4), 2, units=16, cell=CELL)
    model.compile(keras.optimizers.Adam(0.01), _loss())
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    result = pgd(model, xt, yt, EPS, steps=10, seed=0, progress=False)
    assert result.clean_accuracy > 0.9  # the weak features make it better than 90% clean
    return result.robust_accuracy


@pytest.mark.parametrize(("method", "kwargs"), [
    (PGD, {"steps": 2}), (FGSMRS, {}), (Free, {"replays": 2}),
    (TRADES, {"steps": 2, "beta": 3.0}),
])
def test_adversarial_training_raises_robust_accuracy(data, clean_robust_accuracy, method,
                                                     kwargs):
    (x, y), (xt, yt) = data
    set_seed(0)
    model = sequence_classifier((6, 4), 2, units=16, cell=CELL)
    at = AdversarialTrainer(model, method(EPS, **kwargs))
    at.compile(keras.optimizers.Adam(0.01), _loss(), metrics=["accuracy"])
    monitor = CatastrophicOverfittingMonitor(x[:64], y[:64], EPS, steps=3)
    history = at.fit(x, y, epochs=at.epochs_for(6), batch_size=32, verbose=0,
                     callbacks=[monitor]).history
    assert not monitor.collapsed and history["pgd_accuracy"] == monitor.history
    assert history["loss"][-1] > 0  # the loss is really logged (Keras 3 needs help there)
    if method is TRADES:
        assert "trades_kl" in history
    result = pgd(model, xt, yt, EPS, steps=10, seed=0, progress=False)  # the wrapped model
    assert result.robust_accuracy > clean_robust_accuracy + 0.2
    np.testing.assert_allclose(at.predict(xt, verbose=0), model.predict(xt, verbose=0))


def test_epochs_for_divides_by_replays_only_for_free():
    model = sequence_classifier((6, 4), 2, units=4)
    assert AdversarialTrainer(model, Free(0.1, replays=4)).epochs_for(10) == 2
    assert AdversarialTrainer(model, PGD(0.1)).epochs_for(10) == 10


def test_fgsm_rs_without_random_start_is_plain_fgsm():
    set_seed(2)
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (8, 5, 3)).astype("float32")
    y = rng.integers(0, 2, 8)
    model = sequence_classifier((5, 3), 2, units=4, cell=CELL)
    xt, yt = tf.constant(x), tf.constant(y)
    plain = FGSMRS(0.2, random_start=False, clip_min=0.0, clip_max=1.0)
    first = plain(model, xt, yt).numpy()
    np.testing.assert_array_equal(first, plain(model, xt, yt).numpy())
    ref = fgsm(model, x, y, 0.2, clip_min=0.0, clip_max=1.0, progress=False).x_adv
    np.testing.assert_allclose(first, ref, atol=1e-6)  # one full step from x: plain FGSM
    random = FGSMRS(0.2, clip_min=0.0, clip_max=1.0)
    assert not np.allclose(random(model, xt, yt), random(model, xt, yt))
    no_start = PGD(0.2, steps=2, random_start=False)
    np.testing.assert_array_equal(no_start(model, xt, yt), no_start(model, xt, yt))
    a, b = PGD(0.2, steps=2, seed=5), PGD(0.2, steps=2, seed=5)
    np.testing.assert_array_equal(a(model, xt, yt), b(model, xt, yt))  # seeds repeat


@pytest.mark.parametrize("method", [PGD, FGSMRS, Free, TRADES])
@pytest.mark.parametrize("norm", ["inf", "2"])
def test_training_perturbations_stay_in_ball_range_and_off_padding(method, norm):
    set_seed(1)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (8, 5, 3)).astype("float32")
    x[:, 3:] = 0.0  # the last two steps are padding (mask_value 0)
    y = rng.integers(0, 2, 8)
    model = sequence_classifier((5, 3), 2, units=4, masking=True)
    kwargs = {"steps": 3} if method in (PGD, TRADES) else {}
    transform = method(0.3, norm=norm, clip_min=0.0, clip_max=1.0, mask_value=0.0, **kwargs)
    xt, yt = tf.constant(x), tf.constant(y)
    if method is TRADES:
        x_adv = transform.adversarial_inputs(model, xt)
    elif method is Free:
        x_adv = _steps.finish(xt, delta=tf.random.normal(xt.shape),
                              mask=_steps.step_mask(xt, 0.0), **transform.ball())
    else:
        x_adv = transform(model, xt, yt)
    delta = (x_adv.numpy() - x).reshape(8, -1)
    size = np.abs(delta).max(1) if norm == "inf" else np.sqrt((delta ** 2).sum(1))
    assert np.all(size <= 0.3 + 1e-5)
    assert x_adv.numpy().min() >= 0.0 and x_adv.numpy().max() <= 1.0
    np.testing.assert_array_equal(x_adv.numpy()[:, 3:], 0.0)


@pytest.fixture(scope="module")
def text_data():
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, 40, (500, 8))
    for i, length in enumerate(rng.integers(4, 9, 500)):
        tokens[i, length:] = 0
    pos, neg = ((tokens >= 2) & (tokens < 12)).sum(1), ((tokens >= 12) & (tokens < 22)).sum(1)
    return tokens[pos != neg], (pos > neg).astype(int)[pos != neg]


def _train_text(tokens, labels, method):
    set_seed(0)
    model = text_classifier(40, 2, embedding_dim=8, units=8, cell=CELL)
    trainer = model if method is None else AdversarialTrainer(model, method(1.5))
    trainer.compile(keras.optimizers.Adam(0.03), _loss())
    history = trainer.fit(tokens[:300], labels[:300], epochs=6, batch_size=32, verbose=0)
    robust = embedding_pgd(model, tokens[300:], labels[300:], 1.5, steps=5, seed=0,
                           progress=False).robust_accuracy
    return robust, history.history


@pytest.fixture(scope="module")
def text_clean_robust_accuracy(text_data):
    return _train_text(*text_data, None)[0]


@pytest.mark.parametrize("method", [EmbeddingAT, EmbeddingVAT])
def test_embedding_adversarial_training_raises_embedding_robustness(
        text_data, text_clean_robust_accuracy, method):
    robust, history = _train_text(*text_data, method)
    extra = {EmbeddingAT: "adv_loss", EmbeddingVAT: "vat_kl"}[method]
    assert extra in history and history[extra][-1] >= 0 and history["loss"][-1] > 0
    assert robust > text_clean_robust_accuracy + 0.05


class _Sabotage(keras.callbacks.Callback):
    """Scrambles the recurrent weights at the end of one epoch (a simulated collapse)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            target = self.model.base_model
            rng = np.random.default_rng(0)
            target.set_weights([rng.normal(0, 3, w.shape) for w in target.get_weights()])


def test_monitor_stops_at_collapse_and_restores_best_weights(data):
    (x, y), _ = data
    set_seed(0)
    model = sequence_classifier((6, 4), 2, units=16)
    at = AdversarialTrainer(model, FGSMRS(EPS))
    at.compile(keras.optimizers.Adam(0.01), _loss())
    monitor = CatastrophicOverfittingMonitor(x[:100], y[:100], EPS, steps=5, max_drop=0.2)
    history = at.fit(x, y, epochs=6, batch_size=32, verbose=0,
                     callbacks=[_Sabotage(2), monitor]).history
    assert monitor.collapsed and monitor.stopped_epoch == 2
    assert len(history["loss"]) == 3 and history["pgd_accuracy"] == monitor.history
    restored = pgd(model, x[:100], y[:100], EPS, steps=5, seed=0, progress=False)
    assert restored.robust_accuracy == pytest.approx(max(monitor.history))
    assert monitor.best_epoch in (0, 1)


@pytest.mark.parametrize(("method", "kwargs", "error", "name"), [
    (PGD, {"epsilon": -0.1}, ValueError, "epsilon"),
    (PGD, {"steps": 0}, ValueError, "steps"),
    (TRADES, {"steps": 0}, ValueError, "steps"),
    (Free, {"replays": 0}, ValueError, "replays"),
    (FGSMRS, {"norm": "1"}, ValueError, "norm"),
    (TRADES, {"beta": -1.0}, ValueError, "beta"),
    (PGD, {"step_size": 0.0}, ValueError, "step_size"),
    (FGSMRS, {"random_start": 1}, TypeError, "random_start"),
    (PGD, {"clip_min": 1.0, "clip_max": 0.0}, ValueError, "clip_min"),
    (EmbeddingVAT, {"xi": 0.0}, ValueError, "xi"),
    (EmbeddingAT, {"adv_weight": -1.0}, ValueError, "adv_weight"),
])
def test_methods_reject_bad_arguments(method, kwargs, error, name):
    with pytest.raises(error, match=name):
        method(**{"epsilon": 0.1, **kwargs})


def test_trainer_rejects_a_model_that_does_not_suit_the_method():
    model = sequence_classifier((6, 4), 2, units=4)
    with pytest.raises(ValueError, match="Embedding"):
        AdversarialTrainer(model, EmbeddingAT(0.1))
    with pytest.raises(ValueError, match="x must be sequences"):
        PGD(0.1)(model, np.zeros((2, 6), "float32"), np.zeros(2, "int64"))


@pytest.mark.parametrize("method", ["pgd", None, pgd, 0.1])
def test_trainer_rejects_anything_but_a_method_object(method):
    model = sequence_classifier((6, 4), 2, units=4)
    with pytest.raises(TypeError, match="method must be .*PGD, FGSMRS, Free, TRADES"):
        AdversarialTrainer(model, method)


def test_trainer_and_monitor_reject_bad_inputs():
    with pytest.raises(TypeError, match="model"):
        AdversarialTrainer(lambda x: x, PGD(0.1))
    x, y = robust_toy(10, 0)
    with pytest.raises(ValueError, match="mismatched lengths"):
        CatastrophicOverfittingMonitor(x, y[:5], 0.1)
    with pytest.raises(ValueError, match="max_drop"):
        CatastrophicOverfittingMonitor(x, y, 0.1, max_drop=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        CatastrophicOverfittingMonitor(x, y, -0.1)
    with pytest.raises(TypeError, match="mask_value"):
        CatastrophicOverfittingMonitor(x, y, 0.1, mask_value="zero")


def test_monitor_leaves_padding_unperturbed():
    set_seed(3)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 1, (12, 5, 3)).astype("float32")
    x[:6, 3:] = 0.0  # the first six sequences end after three steps
    y = rng.integers(0, 2, 12)
    model = sequence_classifier((5, 3), 2, units=4, cell=CELL, masking=True)
    monitor = CatastrophicOverfittingMonitor(x, y, 0.3, steps=2, mask_value=0.0)
    mask = monitor.attack_kwargs["mask"]  # [12, 5]
    np.testing.assert_array_equal(mask[:6], [[1, 1, 1, 0, 0]] * 6)
    assert mask[6:].all()
    result = pgd(model, x, y, **monitor.attack_kwargs)
    np.testing.assert_array_equal(result.x_adv[:6, 3:], 0.0)
    assert np.abs(result.x_adv[:, :3] - x[:, :3]).max() > 0.1  # real steps do move
