"""Tests of the adversarial-training figures in rnnsec.plots (Chapters 3.1 and 5.1)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_clean_vs_robust_draws_two_bars_per_model_with_labels():
    fig = plots.clean_vs_robust({"standard": (0.9, 0.2), "PGD-AT": (0.92, 0.66)}, chance=0.1)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    assert heights == [0.2, 0.66, 0.9, 0.92]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["standard", "PGD-AT"]
    assert ax.get_ylabel() == "test accuracy"
    assert "robust (PGD)" in [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize("results, error", [
    ({}, ValueError),
    ({"a": (0.5,)}, TypeError),
    ({"a": (0.5, 1.2)}, ValueError),
    ({"a": (np.nan, 0.2)}, ValueError),
])
def test_clean_vs_robust_rejects_bad_results(results, error):
    with pytest.raises(error):
        plots.clean_vs_robust(results)


def test_clean_vs_robust_rejects_bad_chance():
    with pytest.raises(ValueError, match="chance"):
        plots.clean_vs_robust({"a": (0.5, 0.2)}, chance=2.0)


def test_overfitting_monitor_marks_the_detected_collapse():
    fig = plots.overfitting_monitor({"FGSM": [0.3, 0.5, 0.05], "PGD": [0.3, 0.5, 0.6]},
                                    stopped={"FGSM": 2})
    ax = fig.axes[0]
    marker = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert len(marker) == 1
    assert marker[0].get_xdata()[0] == 3 and marker[0].get_ydata()[0] == pytest.approx(0.05)
    assert ax.get_xlabel() == "epoch"
    assert len(ax.get_legend().get_texts()) == 3


@pytest.mark.parametrize("series, stopped", [
    ({}, None),
    ({"a": []}, None),
    ({"a": [0.5, 1.5]}, None),
    ({"a": [0.5, 0.4]}, {"b": 1}),
    ({"a": [0.5, 0.4]}, {"a": 2}),
    ({"a": [0.5, 0.4]}, {"a": 0.5}),
])
def test_overfitting_monitor_rejects_bad_inputs(series, stopped):
    with pytest.raises(ValueError):
        plots.overfitting_monitor(series, stopped=stopped)
