"""Models and training runs whose randomness comes from one seed, not from global state.

A library call that trains models of its own (shadow models, a substitute) must give the same
result for the same seed *and* leave the caller's random streams (Python's ``random``, NumPy's
global state, TensorFlow's and Keras's global seeds) exactly where they were; resetting them
with ``keras.utils.set_random_seed`` would silently change every draw the caller makes next.
So the randomness is made explicit:

- :func:`seeded_clone` copies a model's architecture (and compile settings) with every seed in
  its layers' configurations drawn from a NumPy ``Generator``: initialisers, dropout, noise.
- :func:`fit_seeded` trains with batches shuffled by that ``Generator`` and ``shuffle=False``.

Used by :func:`rnnsec.privacy.attacks.train_shadow_models` (shadow models) and
:func:`rnnsec.adversarial.transfer_attack` (the substitute), and by the model builders'
``seed=`` (:func:`draw_seed`).
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from rnnsec._validate import check_number
from rnnsec.compat import keras, layer_config

__all__ = ["seeded_clone", "fit_seeded", "draw_seed"]

_MAX_SEED = 2**31 - 1


def draw_seed(rng: np.random.Generator) -> int:
    """A non-negative int seed for a Keras initialiser or layer, drawn from ``rng``."""
    return int(rng.integers(0, _MAX_SEED))


def _with_seeds(config, rng: np.random.Generator):
    """``config`` with every ``"seed"`` entry (None or int) replaced by a draw from ``rng``.

    Keras writes the seed of each initialiser (``{"class_name": ..., "config": {"seed": ...}}``)
    and of each random layer (Dropout, GaussianNoise, Keras 3's recurrent layers) into the
    layer's configuration, so this one walk seeds all of them.
    """
    if isinstance(config, dict):
        return {key: (draw_seed(rng) if key == "seed" and (value is None or isinstance(value, int))
                      else _with_seeds(value, rng)) for key, value in sorted(config.items())}
    if isinstance(config, list):
        return [_with_seeds(value, rng) for value in config]
    return config


def seeded_clone(model: keras.Model, rng: np.random.Generator) -> keras.Model:
    """A fresh copy of ``model``'s architecture whose random seeds all come from ``rng``.

    Each layer is rebuilt from its configuration with every seed replaced (initialisers,
    dropout), so the weights are new, the same for the same ``rng`` state, and drawing them
    touches no global random stream. If ``model`` is compiled, the copy is compiled with the
    same optimizer settings, loss and metrics (a fresh optimizer). ``model`` is not changed and
    its weights are not used.

    Args:
        model: a Functional or Sequential Keras model.
        rng: the NumPy Generator the seeds are drawn from (advanced by the call).

    Returns:
        The new model (compiled when ``model`` is).

    Used by :func:`rnnsec.privacy.attacks.train_shadow_models` and
    :func:`rnnsec.adversarial.transfer_attack`.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")

    def clone_layer(layer):
        return layer.__class__.from_config(_with_seeds(layer_config(layer), rng))

    try:
        clone = keras.models.clone_model(model, clone_function=clone_layer)
    except (TypeError, ValueError, NotImplementedError) as err:
        raise TypeError(f"model must be a Functional or Sequential Keras model that "
                        f"keras.models.clone_model can copy; got {type(model).__name__} ({err})"
                        ) from err
    if getattr(model, "optimizer", None) is not None:
        clone.compile_from_config(model.get_compile_config())
        if getattr(clone, "optimizer", None) is None:
            raise TypeError(f"the compile settings of {type(model).__name__} could not be "
                            "copied; compile it with standard Keras objects")
    return clone


def fit_seeded(model: keras.Model, x, y, *, epochs: int, batch_size: int,
               rng: np.random.Generator) -> keras.Model:
    """``model.fit`` for ``epochs`` epochs with each epoch's order drawn from ``rng``.

    The same batches as ``fit(x, y, epochs=epochs, batch_size=batch_size)`` (a fresh
    permutation per epoch, the last batch of an epoch smaller), but the permutations come from
    ``rng`` and ``fit`` runs with ``shuffle=False``, so no global random stream is used.

    Args:
        model: a compiled Keras model.
        x, y: training inputs and targets (same length N >= 1).
        epochs: number of epochs (>= 1).
        batch_size: batch size (>= 1).
        rng: the NumPy Generator of the permutations (advanced by the call).

    Returns:
        ``model``, trained in place.

    Used by :func:`rnnsec.privacy.attacks.train_shadow_models` and
    :func:`rnnsec.adversarial.transfer_attack`.
    """
    check_number("epochs", epochs, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must have the same length >= 1, got {len(x)} and {len(y)}")
    epochs_data = []
    for _ in range(int(epochs)):
        order = rng.permutation(len(x))
        epochs_data.append(tf.data.Dataset.from_tensor_slices((x[order], y[order]))
                           .batch(int(batch_size)))
    model.fit(functools.reduce(tf.data.Dataset.concatenate, epochs_data), epochs=1,
              shuffle=False, verbose=0)
    return model
