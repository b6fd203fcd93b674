"""rnnsec.privacy.dp: DP training with fit, noise, sampling, epsilon logging, TF Privacy parity."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from rnnsec import models
from rnnsec.compat import keras, per_example_loss
from rnnsec.privacy import accounting, dp

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _digits_like(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 5, 3)).astype("float32"), rng.integers(0, 4, n)


def _model(seed=0, units=6, features=3, cell="lstm"):
    keras.utils.set_random_seed(seed)
    return models.sequence_classifier((5, features), 4, cell=cell, units=units,
                                      implementation="rnnsec")


def _optimizer(name):
    return keras.optimizers.SGD(0.5) if name == "sgd" else keras.optimizers.Adam(0.05)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_noise_free_dp_with_a_huge_clip_is_ordinary_training(optimizer):
    x, y = _digits_like()
    plain = _model()
    plain.compile(optimizer=_optimizer(optimizer), loss=LOSS)
    plain.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    private = _model()
    dp_model = dp.make_private(private, l2_norm_clip=1e6, noise_multiplier=0.0, engine="fast",
                               sampling="shuffle")
    dp_model.compile(optimizer=_optimizer(optimizer), loss=LOSS, metrics=["accuracy"])
    history = dp_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(private.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert {"loss", "accuracy"} <= set(history.history)
    assert np.isfinite(history.history["loss"]).all()


def test_whole_batch_as_one_microbatch_is_ordinary_sgd_when_unclipped():
    """num_microbatches=1 (the source article's snippet) clips the batch mean as one unit."""
    x, y = _digits_like()
    plain = _model(cell="gru")
    plain.compile(optimizer=keras.optimizers.SGD(0.5), loss=LOSS)
    plain.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    private = _model(cell="gru")
    dp_model = dp.make_private(private, l2_norm_clip=1e6, noise_multiplier=0.0,
                               num_microbatches=1, engine="general", sampling="shuffle")
    dp_model.compile(optimizer=keras.optimizers.SGD(0.5), loss=LOSS)
    dp_model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, expected in zip(private.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_noisy_gradients_have_standard_deviation_sigma_times_clip():
    generator = tf.random.Generator.from_seed(7)
    zeros = [tf.zeros([200, 250]), tf.zeros([50_000])]
    noisy = dp.noisy_gradients(zeros, l2_norm_clip=0.5, noise_multiplier=3.0, denominator=1.0,
                               generator=generator)
    sample = np.concatenate([np.ravel(g) for g in noisy]) / (0.5 * 3.0)
    assert abs(sample.std() - 1.0) < 4 / np.sqrt(2 * sample.size)  # 4-sigma bound on std
    assert abs(sample.mean()) < 4 / np.sqrt(sample.size)
    assert stats.kstest(sample, "norm").pvalue > 1e-4


def test_a_dp_step_adds_noise_of_std_sigma_c_over_the_batch_size():
    """The weight change caused by the noise, rescaled, is N(0, 1) (a test that can fail).

    ``fit(x, y, batch_size=N)`` samples Poisson batches with q = 1: one step on all examples,
    divided by the expected batch size N.
    """
    x, y = _digits_like(n=16, seed=1)
    lr, clip, sigma, batch = 0.1, 0.7, 2.0, 16
    after = {}
    for noise in (0.0, sigma):
        model = _model(seed=3, units=24)
        dp_model = dp.make_private(model, l2_norm_clip=clip, noise_multiplier=noise, seed=11)
        dp_model.compile(optimizer=keras.optimizers.SGD(lr), loss=LOSS)
        dp_model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        after[noise] = np.concatenate([w.ravel() for w in model.get_weights()])
    z = (after[0.0] - after[sigma]) * batch / (lr * sigma * clip)
    assert z.size > 2500  # every weight of LSTM(24) + Dense(4) is one draw
    assert abs(z.std() - 1.0) < 4 / np.sqrt(2 * z.size)
    assert stats.kstest(z, "norm").pvalue > 1e-4


def test_poisson_batches_vary_in_size_repeat_with_the_seed_and_change_each_epoch():
    x = np.arange(200, dtype="float32")[:, None]
    y = np.arange(200)
    batches = dp.poisson_batches(x, y, sampling_rate=0.1, seed=5)
    assert batches.steps_per_epoch == 10 and batches.expected_batch_size == pytest.approx(20)
    epoch1 = [b[1].numpy() for b in batches.dataset]
    epoch2 = [b[1].numpy() for b in batches.dataset]
    again = [b[1].numpy() for b in dp.poisson_batches(x, y, 0.1, seed=5).dataset]
    sizes = np.array([len(b) for b in epoch1 + epoch2])
    assert len(set(sizes)) > 3  # variable sizes
    # 20 batches of Binomial(200, 0.1): the mean size is 20 +- 0.67 (std); 5-sigma bound
    assert abs(sizes.mean() - 20) < 5 * np.sqrt(200 * 0.1 * 0.9 / 20)
    assert all(np.array_equal(a, b) for a, b in zip(epoch1, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(epoch1, epoch2, strict=True))
    assert "Poisson" in batches.privacy_statement() and batches.as_dict()["n_examples"] == 200


def test_training_on_poisson_batches_handles_empty_batches_and_logs_epsilon():
    x, y = _digits_like(n=20, seed=2)
    batches = dp.poisson_batches(x, y, sampling_rate=0.05, seed=1, steps_per_epoch=8)
    sizes = [int(b[1].shape[0]) for b in batches.dataset]
    assert 0 in sizes and max(sizes) > 0
    model = _model()
    before = np.concatenate([w.ravel() for w in model.get_weights()])
    dp_model = dp.make_private(model, l2_norm_clip=1.0, noise_multiplier=1.1, seed=0)
    dp_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=LOSS)
    callback = dp.EpsilonCallback.from_batches(batches, noise_multiplier=1.1, delta=1e-3,
                                               verbose=False)
    history = dp_model.fit(batches, epochs=2, callbacks=[callback], verbose=0)
    assert dp_model.batches is batches
    after = np.concatenate([w.ravel() for w in model.get_weights()])
    assert np.isfinite(after).all() and not np.allclose(after, before)
    expected = [accounting.compute_epsilon(1.1, sampling_rate=0.05, steps=steps,
                                           delta=1e-3).epsilon for steps in (8, 16)]
    np.testing.assert_allclose(history.history["epsilon"], expected, rtol=1e-9)
    assert [row["steps"] for row in callback.history] == [8, 16]


def test_fit_on_arrays_samples_fresh_poisson_batches_at_every_call():
    x, y = _digits_like(n=40, seed=3)
    weights = []
    for _ in range(2):
        dp_model = dp.make_private(_model(), l2_norm_clip=1.0, noise_multiplier=0.5, seed=9)
        dp_model.compile(optimizer=keras.optimizers.SGD(0.1), loss=LOSS)
        dp_model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        first = dp_model.batches
        dp_model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        weights.append(np.concatenate([w.ravel() for w in dp_model.base_model.get_weights()]))
    assert first.sampling == "poisson" and first.expected_batch_size == pytest.approx(8.0)
    assert first.steps_per_epoch == 5 and dp_model.batches.seed != first.seed
    np.testing.assert_array_equal(weights[0], weights[1])  # the seed makes runs repeatable


def test_shuffled_batches_use_every_example_once_per_epoch_and_say_what_is_proven():
    x = np.arange(10, dtype="float32")[:, None]
    batches = dp.shuffled_batches(x, np.arange(10), batch_size=4, seed=0)
    epochs = [np.concatenate([b[1].numpy() for b in batches.dataset]) for _ in range(2)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(10))
    assert not np.array_equal(epochs[0], epochs[1]) and batches.steps_per_epoch == 3
    statement = batches.privacy_statement()
    assert "Not guaranteed" in statement and "sigma/2" in statement
    callback = dp.EpsilonCallback.from_batches(batches, noise_multiplier=1.0, delta=1e-5,
                                               verbose=False)
    callback.steps, callback.epochs_seen = 6, 2
    eps = callback.epsilons()
    assert eps["epsilon"] == pytest.approx(
        accounting.compute_epsilon(0.5, sampling_rate=1.0, steps=2, delta=1e-5).epsilon)
    assert eps["epsilon_if_poisson"] == pytest.approx(
        accounting.compute_epsilon(1.0, sampling_rate=0.4, steps=6, delta=1e-5).epsilon)


def test_microbatches_make_the_example_level_epsilon_use_half_the_noise():
    batches = dp.shuffled_batches(np.zeros((100, 1)), np.zeros(100), batch_size=10)
    per_example = dp.EpsilonCallback.from_batches(batches, noise_multiplier=1.0, delta=1e-5,
                                                  verbose=False)
    grouped = dp.EpsilonCallback.from_batches(batches, noise_multiplier=1.0, delta=1e-5,
                                              num_microbatches=1, verbose=False)
    for cb in (per_example, grouped):
        cb.steps, cb.epochs_seen = 10, 1
    assert grouped.examples_per_unit == 10
    assert grouped.epsilons()["epsilon_if_poisson"] > per_example.epsilons()["epsilon_if_poisson"]
    no_noise = dp.EpsilonCallback(100, noise_multiplier=0.0, delta=1e-5, batch_size=10,
                                  verbose=False)
    no_noise.steps = 1
    assert no_noise.epsilons()["epsilon"] == float("inf")


@pytest.mark.pinned
def test_one_step_equals_tensorflow_privacy_dp_keras_sgd():
    """rnnsec's DP-SGD step (noise 0) == TF Privacy's with one example per microbatch."""
    from tensorflow_privacy import DPKerasSGDOptimizer

    rng = np.random.default_rng(4)
    ids = rng.integers(1, 12, (6, 7))
    ids[1, 4:] = 0
    y = rng.integers(0, 3, 6)
    clip, lr = 0.05, 0.5

    def build():
        keras.utils.set_random_seed(0)
        return models.text_classifier(12, 3, embedding_dim=4, units=5, max_len=7,
                                      implementation="rnnsec")

    reference = build()
    reference.compile(optimizer=DPKerasSGDOptimizer(l2_norm_clip=clip, noise_multiplier=0.0,
                                                    num_microbatches=6, learning_rate=lr),
                      loss=per_example_loss(from_logits=True))
    reference.train_on_batch(ids, y)
    ours = build()
    dp_model = dp.make_private(ours, l2_norm_clip=clip, noise_multiplier=0.0, engine="fast",
                               sampling="shuffle")
    dp_model.compile(optimizer=keras.optimizers.SGD(lr), loss=LOSS)
    dp_model.train_on_batch(ids, y)  # divided by the number of units, 6, as TF Privacy does
    start = build().get_weights()
    moved = [np.abs(a - b).max() for a, b in zip(ours.get_weights(), start, strict=True)]
    assert max(moved) > 1e-4  # the step did something
    for got, expected in zip(ours.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-6)


def _private(model, clip=1.0, noise=1.0, **kwargs):
    return dp.make_private(model, l2_norm_clip=clip, noise_multiplier=noise, **kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda m: _private(m, noise=-0.1), "noise_multiplier"),
    (lambda m: _private(m, clip=0.0), "l2_norm_clip"),
    (lambda m: _private(m, clip=-2.0), "l2_norm_clip"),
    (lambda m: _private(m, engine="ghost"), "engine"),
    (lambda m: _private(m, num_microbatches=0, sampling="shuffle"), "num_microbatches"),
    (lambda m: _private(m, num_microbatches=2), "num_microbatches"),
    (lambda m: _private(m, num_microbatches=2, sampling="shuffle", expected_batch_size=4.0),
     "num_microbatches"),
    (lambda m: _private(m, sampling="fixed"), "sampling"),
    (lambda m: _private(m, expected_batch_size=0), "expected_batch_size"),
    (lambda m: _private("model"), "model"),
    (lambda m: _private(m).compile(optimizer="sgd"), "loss"),
    (lambda m: dp.poisson_batches(np.zeros((4, 2)), np.zeros(4), 0.0), "sampling_rate"),
    (lambda m: dp.poisson_batches(np.zeros((4, 2)), np.zeros(4), 1.5), "sampling_rate"),
    (lambda m: dp.poisson_batches(np.zeros((4, 2)), np.zeros(4), -0.1), "sampling_rate"),
    (lambda m: dp.poisson_batches(np.zeros((4, 2)), np.zeros(3), 0.5), "mismatched"),
    (lambda m: dp.shuffled_batches(np.zeros((4, 2)), np.zeros(4), 5), "batch_size"),
    (lambda m: dp.EpsilonCallback(10, noise_multiplier=1.0, delta=1e-5, sampling_rate=1.5),
     "sampling_rate"),
    (lambda m: dp.EpsilonCallback(10, noise_multiplier=1.0, delta=1e-5),
     "batch_size and sampling_rate"),
    (lambda m: dp.EpsilonCallback(10, noise_multiplier=-1.0, delta=1e-5, batch_size=2),
     "noise_multiplier"),
    (lambda m: dp.EpsilonCallback(10, noise_multiplier=1.0, delta=0.0, batch_size=2), "delta"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(_model())


@pytest.mark.parametrize("wrap", [dp.make_private, dp.DPModel])
def test_clip_and_noise_passed_by_position_are_refused_by_name(wrap):
    with pytest.raises(TypeError, match="l2_norm_clip and noise_multiplier as keyword"):
        wrap(_model(), 1.0, 1.1)
    assert wrap(_model(), l2_norm_clip=1.0, noise_multiplier=1.1).noise_multiplier == 1.1


def test_the_fast_engine_refuses_an_unregistered_layer_by_name():
    inp = keras.Input((5, 3))
    h = keras.layers.LSTM(6)(keras.layers.Conv1D(3, 2, name="conv")(inp))
    model = keras.Model(inp, keras.layers.Dense(4)(h))
    with pytest.raises(ValueError, match="'conv'"):
        dp.make_private(model, l2_norm_clip=1.0, noise_multiplier=1.0, engine="fast")
    with pytest.warns(UserWarning, match=r"'conv'.*cost [0-9.]+x a non-private"):
        assert dp.make_private(model, l2_norm_clip=1.0, noise_multiplier=1.0).engine == "general"


def test_sample_weights_are_refused():
    x, y = _digits_like()
    dp_model = dp.make_private(_model(), l2_norm_clip=1.0, noise_multiplier=1.0)
    dp_model.compile(optimizer="sgd", loss=LOSS)
    with pytest.raises(ValueError, match="sample_weight"):
        dp_model.fit(x, y, sample_weight=np.ones(len(y)), batch_size=4, verbose=0)


def test_training_without_a_seed_repeats_after_set_seed_with_op_determinism_on():
    import rnnsec

    def run():
        rnnsec.set_seed(11)  # turns on TensorFlow op determinism
        x, y = _digits_like(16)
        dp_model = dp.make_private(_model(), l2_norm_clip=1.0, noise_multiplier=1.0)
        dp_model.compile(optimizer=_optimizer("sgd"), loss=LOSS)
        dp_model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        return dp_model.get_weights()

    first, second = run(), run()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_noise_and_delta_must_be_named():
    with pytest.raises(TypeError, match="positional"):
        dp.EpsilonCallback(100, 1.0, 1e-5, batch_size=10)
    batches = dp.shuffled_batches(np.zeros((10, 1)), np.zeros(10), batch_size=5)
    with pytest.raises(TypeError, match="positional"):
        dp.EpsilonCallback.from_batches(batches, 1.0, 1e-5)
    with pytest.raises(TypeError, match="positional"):
        dp.shuffled_batches(np.zeros((10, 1)), np.zeros(10), 5, 0)


def test_validation_split_with_poisson_batches_is_refused_with_the_alternative():
    x, y = _digits_like()
    dp_model = dp.make_private(_model(), l2_norm_clip=1.0, noise_multiplier=1.0)
    dp_model.compile(optimizer="sgd", loss=LOSS)
    with pytest.raises(ValueError, match="validation_split.*validation_data"):
        dp_model.fit(x, y, validation_split=0.25, batch_size=4, verbose=0)


def test_the_divisor_changes_between_fits_without_touching_keras_internals():
    """Poisson batches divide by the expected size, shuffled ones by the batch's count."""
    x, y = _digits_like(n=12)
    dp_model = dp.make_private(_model(), l2_norm_clip=1.0, noise_multiplier=0.0, seed=0)
    dp_model.compile(optimizer="sgd", loss=LOSS)
    norms = tf.ones(5)
    dp_model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # Poisson: expected size 4
    assert float(dp_model._denominator(norms)) == 4.0
    step = dp_model.train_function
    dp_model.fit(dp.shuffled_batches(x, y, 3, seed=0), epochs=1, verbose=0)
    assert float(dp_model._denominator(norms)) == 5.0  # the number of units in the batch
    assert float(dp_model._denominator(tf.ones(0))) == 1.0  # an empty batch divides by 1
    assert dp_model.train_function is step  # the same traced step, no reset
