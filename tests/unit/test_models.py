"""Model builders: shapes, logits, cells, masking, validation."""

import numpy as np
import pytest

from rnnsec import models


@pytest.mark.parametrize("cell", models.CELLS)
def test_sequence_classifier_outputs_logits_per_class(cell):
    model = models.sequence_classifier((8, 8), 10, cell=cell, units=16)
    out = model(np.random.rand(4, 8, 8).astype("float32")).numpy()
    assert out.shape == (4, 10)
    assert not np.allclose(out.sum(axis=1), 1.0)  # logits, not probabilities
    assert model.get_layer(cell).units == 16


def test_the_articles_model_is_lstm64_then_dense10():
    model = models.sequence_classifier((8, 8), 10)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["LSTM", "Dense"]
    assert model.get_layer("lstm").units == 64


def test_masking_ignores_padded_steps():
    model = models.sequence_classifier((6, 3), 2, masking=True, units=8)
    x = np.random.rand(1, 4, 3).astype("float32")
    padded = np.concatenate([x, np.zeros((1, 2, 3), "float32")], axis=1)
    other = models.sequence_classifier((4, 3), 2, units=8)
    other.set_weights(model.get_weights())
    np.testing.assert_allclose(model(padded).numpy(), other(x).numpy(), atol=1e-5)


def test_text_classifier_and_language_model_shapes():
    text = models.text_classifier(50, 2, embedding_dim=8, units=8, max_len=7)
    assert text(np.ones((3, 7), "int32")).shape == (3, 2)
    lm = models.char_language_model(20, embedding_dim=4, units=8, cell="gru")
    assert lm(np.ones((2, 9), "int32")).shape == (2, 9, 20)


@pytest.mark.parametrize("call, match", [
    (lambda: models.sequence_classifier((8, 8), 1), "num_classes"),
    (lambda: models.sequence_classifier((8,), 10), "input_shape"),
    (lambda: models.sequence_classifier((8, 0), 10), "features"),
    (lambda: models.sequence_classifier((8, 8), 10, cell="transformer"), "cell"),
    (lambda: models.sequence_classifier((8, 8), 10, units=0), "units"),
    (lambda: models.text_classifier(2, 2), "vocab_size"),
    (lambda: models.text_classifier(100, 2, max_len=0), "max_len"),
    (lambda: models.char_language_model(10, embedding_dim=-1), "embedding_dim"),
    (lambda: models.recurrent_layer("lstm", 4, implementation="torch"), "implementation"),
])
def test_builders_reject_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_compile_classifier_trains_on_logits_with_the_given_learning_rate():
    model = models.compile_classifier(models.sequence_classifier((4, 3), 5, units=8), 3e-3)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(3e-3)
    assert model.loss.get_config()["from_logits"] is True
    x = np.random.default_rng(0).random((16, 4, 3)).astype("float32")
    y = np.arange(16) % 5
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert {"loss", "accuracy"} <= set(history.history)


@pytest.mark.parametrize("model, lr, error, match", [
    ("not a model", 1e-3, TypeError, "keras.Model"),
    (None, 0.0, ValueError, "learning_rate"),
    (None, -1e-3, ValueError, "learning_rate"),
])
def test_compile_classifier_rejects_bad_arguments(model, lr, error, match):
    model = models.sequence_classifier((4, 3), 5, units=8) if model is None else model
    with pytest.raises(error, match=match):
        models.compile_classifier(model, lr)
