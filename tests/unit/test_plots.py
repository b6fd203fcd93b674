"""Figures: they draw what they are given and refuse mismatched inputs."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402


def test_accuracy_vs_epsilon_draws_one_line_per_curve_plus_chance():
    fig = plots.accuracy_vs_epsilon([0, 0.1, 0.2], {"FGSM": [0.9, 0.5, 0.2],
                                                     "PGD": [0.9, 0.3, 0.1]}, chance=0.1)
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and ax.get_ylabel() == "accuracy"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.9, 0.3, 0.1])


def test_accuracy_vs_epsilon_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="mismatched"):
        plots.accuracy_vs_epsilon([0, 0.1], {"FGSM": [1.0, 0.5, 0.2]})


def test_sequence_perturbation_hides_padding_and_checks_shapes():
    x = np.random.rand(10, 3)
    fig = plots.sequence_perturbation(x, x + 0.1, length=6)
    assert fig.axes[0].images[0].get_array().shape == (3, 6)
    with pytest.raises(ValueError, match="same shape"):
        plots.sequence_perturbation(x, x[:5])


def test_training_curves_requires_the_metrics():
    with pytest.raises(ValueError, match="not in history"):
        plots.training_curves({"loss": [1, 0.5]})
    fig = plots.training_curves({"accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]})
    assert len(fig.axes[0].lines) == 2


def test_images_and_probabilities():
    fig = plots.images_side_by_side([np.zeros((8, 8))] * 2, ["a", "b"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
    fig = plots.class_probabilities([0.2, 0.8], ["x", "y"], true_class=1)
    assert len(fig.axes[0].patches) == 2
