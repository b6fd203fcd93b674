"""Model builders used throughout the book.

All classifiers output **logits** (the last ``Dense`` has no softmax), so losses are built with
``from_logits=True``; Chapter 5.1 explains why the source article's softmax output plus
``categorical_crossentropy`` is a common source of bugs in adversarial and private training.

- ``sequence_classifier``: continuous sequences (row-wise digits, speech frames) -> class logits.
  The source article's model is ``sequence_classifier((8, 8), 10)``: ``LSTM(64)`` then
  ``Dense(10)``. Taught in Chapter 1.
- ``text_classifier``: token ids -> ``Embedding`` -> RNN -> logits (Chapter 2.1, 2.2).
- ``char_language_model``: characters -> next-character logits at every step (Chapter 2.2).
- ``compile_classifier``: Adam and cross-entropy on logits, the way every chapter trains.

``seed=`` draws every initialiser's seed from one NumPy Generator, so a model is built the same
way every time without touching any global random stream (a library that builds models of its
own, such as the transfer attack's substitute, needs that; see ``rnnsec.seeding``).

``implementation="rnnsec"`` builds the same architecture from ``rnnsec.layers``, whose
recurrent layers expose their per-step activations and share Keras's weight layout. Both
implementations run on the fast per-example gradient engine of DP training (Chapter 3.2):
Keras's own layers through a tapped copy on the same variables (``rnnsec.privacy.fast_layers``).
"""

from __future__ import annotations

import numpy as np

from rnnsec._validate import check_choice, check_number
from rnnsec.compat import keras, recurrent_seed_kwargs
from rnnsec.seeding import draw_seed

CELLS = ("lstm", "gru", "simple_rnn")
IMPLEMENTATIONS = ("keras", "rnnsec")

__all__ = ["CELLS", "sequence_classifier", "text_classifier", "char_language_model",
           "recurrent_layer", "compile_classifier"]


def _seeds(seed: int | None) -> np.random.Generator | None:
    """The Generator of a builder's initialiser seeds, or None for Keras's own (global) draws."""
    if seed is None:
        return None
    check_number("seed", seed, low=0, integer=True)
    return np.random.default_rng(seed)


def _dense(units: int, rng: np.random.Generator | None, name: str) -> keras.layers.Dense:
    init = {} if rng is None else {"kernel_initializer": keras.initializers.GlorotUniform(
        seed=draw_seed(rng))}
    return keras.layers.Dense(units, name=name, **init)


def _embedding(vocab_size: int, dim: int, rng: np.random.Generator | None, **kwargs):
    if rng is not None:  # Keras's default "uniform" embedding initialiser, seeded
        kwargs["embeddings_initializer"] = keras.initializers.RandomUniform(
            -0.05, 0.05, seed=draw_seed(rng))
    return keras.layers.Embedding(vocab_size, dim, **kwargs)


def recurrent_layer(cell: str = "lstm", units: int = 64, *, return_sequences: bool = False,
                    implementation: str = "keras", name: str | None = None,
                    seed: int | None = None) -> keras.layers.Layer:
    """Return a recurrent layer by name.

    Args:
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        units: hidden size H (>= 1).
        return_sequences: output every step ``[B, T, H]`` instead of the last ``[B, H]``.
        implementation: ``"keras"`` (the framework's layers) or ``"rnnsec"`` (drop-in layers
            from ``rnnsec.layers`` with the same weights layout).
        name: layer name.
        seed: seed of the kernel and recurrent initialisers (and of Keras 3's own generator),
            or None for Keras's global draws.
    """
    check_choice("cell", cell, CELLS)
    check_number("units", units, low=1, integer=True)
    check_choice("implementation", implementation, IMPLEMENTATIONS)
    if implementation == "rnnsec":
        from rnnsec import layers as rnnsec_layers

        cls = rnnsec_layers.RECURRENT_LAYERS[cell]
    else:
        cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
               "simple_rnn": keras.layers.SimpleRNN}[cell]
    kwargs = {}
    rng = _seeds(seed)
    if rng is not None:
        kwargs = {"kernel_initializer": keras.initializers.GlorotUniform(seed=draw_seed(rng)),
                  "recurrent_initializer": keras.initializers.Orthogonal(seed=draw_seed(rng))}
        if implementation == "keras":
            kwargs.update(recurrent_seed_kwargs(draw_seed(rng)))
    return cls(units, return_sequences=return_sequences, name=name, **kwargs)


def sequence_classifier(input_shape: tuple[int, int], num_classes: int, *, cell: str = "lstm",
                        units: int = 64, masking: bool = False, mask_value: float = 0.0,
                        implementation: str = "keras", name: str | None = None,
                        seed: int | None = None) -> keras.Model:
    """Recurrent classifier for continuous sequences: ``[B, T, D]`` -> logits ``[B, C]``.

    Args:
        input_shape: ``(T, D)``: steps and features per step; ``T`` may be None.
        num_classes: number of classes C (>= 2).
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        units: hidden size of the recurrent layer.
        masking: add a ``Masking`` layer so padded steps (all features equal to ``mask_value``)
            are skipped; use it for variable-length data such as JapaneseVowels.
        mask_value: the padding value that ``masking`` skips.
        implementation: ``"keras"`` or ``"rnnsec"`` (see ``recurrent_layer``).
        name: model name.
        seed: seed of every initialiser (>= 0), or None for Keras's global draws.

    Returns:
        An uncompiled ``keras.Model`` whose output is logits.

    The source article's model (Chapter 1, Chapter 5.1) is ``sequence_classifier((8, 8), 10)``.
    """
    _check_input_shape(input_shape)
    check_number("num_classes", num_classes, low=2, integer=True)
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")  # [B, T, D]
    rng = _seeds(seed)
    h = keras.layers.Masking(mask_value=mask_value)(inputs) if masking else inputs
    h = recurrent_layer(cell, units, implementation=implementation, name=cell,
                        seed=None if rng is None else draw_seed(rng))(h)  # [B, H]
    logits = _dense(num_classes, rng, "logits")(h)  # [B, C]
    return keras.Model(inputs, logits, name=name or f"{cell}_classifier")


def text_classifier(vocab_size: int, num_classes: int = 2, *, embedding_dim: int = 64,
                    units: int = 64, cell: str = "lstm", max_len: int | None = None,
                    implementation: str = "keras", name: str | None = None,
                    seed: int | None = None) -> keras.Model:
    """Text classifier: token ids ``[B, L]`` -> ``Embedding`` -> RNN -> logits ``[B, C]``.

    Id 0 is padding and is masked (``mask_zero=True``); id 1 is the out-of-vocabulary token of
    ``rnnsec.data.Tokenizer``.

    Args:
        vocab_size: number of token ids, padding and OOV included (>= 3).
        num_classes: number of classes (>= 2).
        embedding_dim: embedding size E.
        units: hidden size of the recurrent layer.
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        max_len: fixed sequence length L, or None for any length.
        implementation: ``"keras"`` or ``"rnnsec"``.
        name: model name.
        seed: seed of every initialiser (>= 0), or None for Keras's global draws.

    Taught in Chapter 2.1 (attacks on text) and Chapter 2.2 (membership inference).
    """
    check_number("vocab_size", vocab_size, low=3, integer=True)
    check_number("num_classes", num_classes, low=2, integer=True)
    check_number("embedding_dim", embedding_dim, low=1, integer=True)
    if max_len is not None:
        check_number("max_len", max_len, low=1, integer=True)
    rng = _seeds(seed)
    inputs = keras.Input(shape=(max_len,), dtype="int32", name="tokens")  # [B, L]
    h = _embedding(vocab_size, embedding_dim, rng, mask_zero=True,
                   name="embedding")(inputs)  # [B, L, E]
    h = recurrent_layer(cell, units, implementation=implementation, name=cell,
                        seed=None if rng is None else draw_seed(rng))(h)  # [B, H]
    logits = _dense(num_classes, rng, "logits")(h)  # [B, C]
    return keras.Model(inputs, logits, name=name or f"text_{cell}_classifier")


def char_language_model(vocab_size: int, *, embedding_dim: int = 32, units: int = 128,
                        cell: str = "lstm", implementation: str = "keras",
                        name: str | None = None, seed: int | None = None) -> keras.Model:
    """Character language model: ids ``[B, T]`` -> next-character logits ``[B, T, V]``.

    Args:
        vocab_size: number of characters V (>= 2).
        embedding_dim: character embedding size.
        units: hidden size of the recurrent layer.
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        implementation: ``"keras"`` or ``"rnnsec"``.
        name: model name.
        seed: seed of every initialiser (>= 0), or None for Keras's global draws.

    Used for canary exposure and secret extraction (Carlini et al. 2019), Chapter 2.2.
    """
    check_number("vocab_size", vocab_size, low=2, integer=True)
    check_number("embedding_dim", embedding_dim, low=1, integer=True)
    rng = _seeds(seed)
    inputs = keras.Input(shape=(None,), dtype="int32", name="chars")  # [B, T]
    h = _embedding(vocab_size, embedding_dim, rng, name="embedding")(inputs)  # [B, T, E]
    h = recurrent_layer(cell, units, return_sequences=True, implementation=implementation,
                        name=cell, seed=None if rng is None else draw_seed(rng))(h)  # [B, T, H]
    logits = _dense(vocab_size, rng, "logits")(h)  # [B, T, V]
    return keras.Model(inputs, logits, name=name or f"char_{cell}_lm")


def _check_input_shape(input_shape) -> None:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
        raise ValueError(f"input_shape must be (steps, features), got {input_shape!r}")
    steps, features = input_shape
    if steps is not None:
        check_number("input_shape[0] (steps)", steps, low=1, integer=True)
    check_number("input_shape[1] (features)", features, low=1, integer=True)


def compile_classifier(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Compile a logits classifier with Adam, sparse cross-entropy on logits and accuracy.

    ``from_logits=True`` lets the loss apply the softmax itself, which is numerically safer
    than a softmax layer followed by cross-entropy and is the loss every attack in the book
    differentiates.

    Args:
        model: a Keras model that outputs logits ``[B, C]`` (integer labels ``[B]``).
        learning_rate: Adam's learning rate (> 0).

    Returns:
        The same model, compiled (so calls can be chained).

    Kingma & Ba 2015 (Adam). Chapter 1 (the article's model), also Chapters 3.3 and 4.1.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    check_number("learning_rate", learning_rate, low=0, low_open=True)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
