"""Figures of Chapter 2.3 (robustness and security): the trade-off scatter."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402

ROWS = {"standard": {"robust": 0.2, "auc": 0.6, "clean": 0.9},
        "adversarial": {"robust": 0.8, "auc": 0.55, "clean": 0.95}}


def test_tradeoff_scatter_draws_one_panel_per_metric_and_one_marker_per_model():
    fig = plots.tradeoff_scatter(ROWS, "robust", ["auc", "clean"],
                                 labels={"robust": "PGD accuracy"}, references={"auc": 0.5})
    left, right = fig.axes
    assert left.get_xlabel() == "PGD accuracy" and left.get_ylabel() == "auc"
    assert right.get_ylabel() == "clean"
    points = [(line.get_xdata()[0], line.get_ydata()[0]) for line in left.lines[:2]]
    np.testing.assert_allclose(points, [(0.2, 0.6), (0.8, 0.55)])
    assert left.lines[2].get_ydata()[0] == 0.5 and len(right.lines) == 2  # reference left only
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels[:2] == ["standard", "adversarial"]
    assert left.lines[0].get_marker() != left.lines[1].get_marker()


def test_tradeoff_scatter_accepts_a_single_metric_name():
    fig = plots.tradeoff_scatter(ROWS, "robust", "auc", title="t")
    assert len(fig.axes) == 1 and fig._suptitle.get_text() == "t"


def test_tradeoff_scatter_refuses_bad_rows():
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.tradeoff_scatter({}, "robust", ["auc"])
    with pytest.raises(ValueError, match="has no metric 'missing'"):
        plots.tradeoff_scatter(ROWS, "robust", ["missing"])
    with pytest.raises(ValueError, match="must be finite"):
        plots.tradeoff_scatter({"a": {"robust": 0.1, "auc": float("inf")}}, "robust", ["auc"])
    with pytest.raises(TypeError, match="must be a dict"):
        plots.tradeoff_scatter({"a": [0.1, 0.2]}, "robust", ["auc"])
    with pytest.raises(ValueError, match="at least one metric"):
        plots.tradeoff_scatter(ROWS, "robust", [])
