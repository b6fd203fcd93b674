"""Fixtures shared by the unit tests: a trained toy LSTM; figure accessibility checks."""

import numpy as np
import pytest

from rnnsec import set_seed
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier


def _global_draws() -> list[float]:
    """One draw from each global random stream: Python, NumPy, TensorFlow, Keras."""
    import random

    import tensorflow as tf

    from rnnsec.compat import KERAS3

    draws = [random.random(), float(np.random.random()), float(tf.random.uniform(())),
             # an unseeded initialiser draws from Keras's global seed (Keras 2) or from
             # Python's random (Keras 3)
             float(keras.initializers.GlorotUniform()((2, 2))[0, 0])]
    if KERAS3:
        draws.append(float(keras.random.uniform(())))
    return draws


@pytest.fixture()
def assert_global_streams_untouched():
    """``check(fn, *args, **kwargs)``: after ``set_seed(0); fn(...)`` every global stream
    draws what it draws after ``set_seed(0)`` alone. Returns ``fn``'s result."""

    def check(fn, *args, **kwargs):
        set_seed(0)
        expected = _global_draws()
        set_seed(0)
        out = fn(*args, **kwargs)
        assert _global_draws() == expected, f"{fn.__name__} changed a global random stream"
        return out

    return check


@pytest.fixture(scope="session")
def trained_toy_lstm():
    """A small LSTM trained to tell which of 3 features has the largest mean over 6 steps.

    Returns ``(model, x, y)`` with 300 sequences; the model was trained on the first 200.
    """
    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 6, 3)).astype("float32")
    y = x.mean(axis=1).argmax(axis=1)
    model = sequence_classifier((6, 3), 3, units=16)
    model.compile(keras.optimizers.Adam(0.02),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:200], y[:200], epochs=30, batch_size=32, verbose=0)
    return model, x, y


_OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442",
              "#000000"}


def figure_problems(fig) -> list[str]:
    """Why a figure would be hard to read: missing title, axis labels, legend, or colours
    outside the colour-blind-safe palette (greys are allowed for reference lines)."""
    from matplotlib.colors import to_hex

    problems = []
    if not any(ax.has_data() for ax in fig.axes):
        return problems  # nothing drawn (e.g. a test of bad input)
    titled = bool(fig._suptitle is not None and fig._suptitle.get_text())
    for ax in fig.axes:
        if not ax.has_data() or ax.get_label() == "<colorbar>":
            continue
        titled = titled or bool(ax.get_title())
        if not ax.images:  # an image panel needs no axis labels
            if not ax.get_xlabel():
                problems.append(f"axes {ax.get_title()!r}: no x label")
            if not ax.get_ylabel() and not ax.get_yticklabels() == []:
                problems.append(f"axes {ax.get_title()!r}: no y label")
        labelled = [a for a in ax.lines + ax.collections + ax.patches
                    if a.get_label() and not a.get_label().startswith("_")]
        legend = fig.legends or any(a.get_legend() is not None for a in fig.axes)
        if len(labelled) > 1 and not legend:
            problems.append(f"axes {ax.get_title()!r}: {len(labelled)} labelled series, no legend")
        for line in ax.lines:
            colour = to_hex(line.get_color())
            r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            if colour not in _OKABE_ITO and not (r == g == b):
                problems.append(f"axes {ax.get_title()!r}: line colour {colour} not Okabe-Ito")
    if not titled:
        problems.append("no title on the figure or any of its axes")
    return problems


@pytest.fixture(autouse=True)
def _figures_are_accessible(request, monkeypatch):
    """In the plot tests, every figure an rnnsec.plots function returns must pass
    :func:`figure_problems` (figures left half-drawn by a refused input are not checked)."""
    if not request.node.path.name.startswith("test_plots"):
        yield
        return
    import functools
    import inspect

    import matplotlib.pyplot as plt

    from rnnsec import plots

    returned = []

    def recording(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            figure = function(*args, **kwargs)
            returned.append((function.__name__, figure))
            return figure
        return wrapper

    for name, function in inspect.getmembers(plots, inspect.isfunction):
        if not name.startswith("_") and function.__module__ == plots.__name__:
            monkeypatch.setattr(plots, name, recording(function))
    yield
    try:
        for name, figure in returned:
            if hasattr(figure, "axes"):
                problems = figure_problems(figure)
                assert not problems, f"plots.{name}: {problems}"
    finally:
        plt.close("all")


@pytest.fixture(scope="session")
def trained_digits_lstm():
    """An LSTM(16) trained for 5 epochs on the row-wise digits (10 classes, inputs in [0, 1]).

    Returns ``(model, x, y)``: 60 test digits, a stratified seeded subset of the test split.
    """
    from rnnsec import data

    set_seed(0)
    digits = data.load_digits_sequences()
    model = sequence_classifier((8, 8), 10, units=16)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(digits.x_train, digits.y_train, epochs=5, batch_size=64, verbose=0)
    idx = data.stratified_subset(digits.y_test, 60, seed=0)
    return model, digits.x_test[idx], digits.y_test[idx]


@pytest.fixture(scope="session")
def trained_vowels_masked():
    """A masked LSTM(16) trained on JapaneseVowels (9 speakers, zero-padded to 29 frames).

    Returns ``(model, x, y, mask)``: 60 test utterances, a stratified seeded subset of the
    speaker-sorted test split, with their step masks (1 = real frame).
    """
    from rnnsec import data

    set_seed(0)
    vowels = data.load_japanese_vowels()
    model = sequence_classifier(vowels.x_train.shape[1:], 9, units=16, masking=True)
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(vowels.x_train, vowels.y_train, epochs=15, batch_size=32, verbose=0)
    idx = data.stratified_subset(vowels.y_test, 60, seed=0)
    return model, vowels.x_test[idx], vowels.y_test[idx], vowels.mask("test")[idx]


@pytest.fixture()
def chinese_hint(monkeypatch):
    """``chinese_hint(exercise_id, answer, **context)``: check a wrong answer with the feedback
    in Chinese and assert the hint is the checker's Chinese twin (not the English fallback)."""
    from rnnsec import check
    from rnnsec.check import _core

    monkeypatch.delenv(check.STRICT_ENV, raising=False)
    monkeypatch.setattr(_core, "_CHOSEN", ["zh"])

    def run(exercise_id, answer, **context):
        result = check.exercise(exercise_id, answer, **context)
        assert result.passed is False and result.language == "zh", result
        assert result.message.startswith("提示："), result
        assert any("\u4e00" <= c <= "\u9fff" for c in result.message[len("提示："):]), result
        return result

    return run
