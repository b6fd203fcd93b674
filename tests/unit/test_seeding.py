"""rnnsec.seeding and the builders' seed=: randomness from one seed, global streams untouched."""

from __future__ import annotations

import numpy as np
import pytest

from rnnsec.compat import keras
from rnnsec.models import char_language_model, sequence_classifier, text_classifier
from rnnsec.seeding import fit_seeded, seeded_clone


def _template():
    model = keras.Sequential([keras.Input((5, 2)),
                              keras.layers.SimpleRNN(4, return_sequences=True),
                              keras.layers.LSTM(4), keras.layers.Dropout(0.2),
                              keras.layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 5, 2)).astype("float32"), rng.integers(0, 3, 20)


def _clone_and_fit(template, seed):
    x, y = _data()
    rng = np.random.default_rng(seed)
    model = fit_seeded(seeded_clone(template, rng), x, y, epochs=2, batch_size=6, rng=rng)
    return np.asarray(model(x, training=False))


def test_seeded_clone_and_fit_depend_only_on_the_seed(assert_global_streams_untouched):
    template = _template()
    first = assert_global_streams_untouched(_clone_and_fit, template, 5)
    np.testing.assert_array_equal(first, _clone_and_fit(template, 5))
    assert not np.array_equal(first, _clone_and_fit(template, 6))


def test_seeded_clone_copies_the_compile_settings():
    clone = seeded_clone(_template(), np.random.default_rng(0))
    assert clone.optimizer is not None and clone.optimizer is not _template().optimizer
    assert float(np.asarray(clone.optimizer.learning_rate)) == pytest.approx(0.01)


@pytest.mark.parametrize("build", [
    lambda seed: sequence_classifier((5, 2), 3, units=4, cell="gru", seed=seed),
    lambda seed: text_classifier(20, 2, embedding_dim=3, units=4, seed=seed),
    lambda seed: char_language_model(12, embedding_dim=3, units=4, seed=seed),
    lambda seed: sequence_classifier((5, 2), 3, units=4, implementation="rnnsec", seed=seed),
])
def test_builders_with_a_seed_draw_the_same_weights(build, assert_global_streams_untouched):
    first = assert_global_streams_untouched(build, 3).get_weights()
    for a, b in zip(first, build(3).get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, build(4).get_weights(),
                                                        strict=True))


def test_the_global_stream_check_notices_an_unseeded_build(assert_global_streams_untouched):
    with pytest.raises(AssertionError, match="global random stream"):
        assert_global_streams_untouched(sequence_classifier, (5, 2), 3, units=4)


def test_seeding_rejects_bad_arguments():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        seeded_clone(_template(), 0)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        seeded_clone("model", np.random.default_rng(0))
    x, y = _data()
    with pytest.raises(ValueError, match="epochs"):
        fit_seeded(_template(), x, y, epochs=0, batch_size=4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="same length"):
        fit_seeded(_template(), x, y[:3], epochs=1, batch_size=4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="seed"):
        sequence_classifier((5, 2), 3, seed=-1)
