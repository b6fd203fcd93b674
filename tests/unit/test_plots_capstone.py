"""Figures of Chapter 6.2 (capstone): one bar panel per metric."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402

ROWS = {"baseline": {"clean": 0.95, "robust": 0.3, "time": 1.0},
        "AT": {"clean": 0.97, "robust": 0.8, "time": 2.5},
        "DP": {"clean": 0.85, "robust": 0.5, "time": 1.7}}


def test_defence_panels_draws_one_panel_per_metric_and_one_bar_per_model():
    fig = plots.defence_panels(ROWS, ["clean", "time"], labels={"time": "time (x baseline)"},
                               references={"time": 1.0}, title="costs")
    left, right = fig.axes
    assert left.get_ylabel() == "clean" and right.get_ylabel() == "time (x baseline)"
    np.testing.assert_allclose([p.get_height() for p in left.patches], [0.95, 0.97, 0.85])
    np.testing.assert_allclose([p.get_height() for p in right.patches], [1.0, 2.5, 1.7])
    assert [t.get_text() for t in left.get_xticklabels()] == ["baseline", "AT", "DP"]
    assert len(right.lines) == 1 and right.lines[0].get_ydata()[0] == 1.0
    assert len(left.lines) == 0                       # the reference only where asked
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["baseline", "AT", "DP"]
    colours = {tuple(p.get_facecolor()) for p in left.patches}
    assert len(colours) == 3
    assert fig._suptitle.get_text() == "costs"


def test_defence_panels_accepts_a_single_metric_name():
    fig = plots.defence_panels(ROWS, "robust")
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) == 3


@pytest.mark.parametrize("rows, metrics, error", [
    ({}, ["clean"], ValueError),
    (ROWS, [], ValueError),
    ({"a": [0.1]}, ["clean"], TypeError),
    ({"a": {"clean": 0.1}}, ["robust"], ValueError),
    ({"a": {"clean": float("nan")}}, ["clean"], ValueError),
    ({"a": {"clean": float("inf")}}, ["clean"], ValueError),
])
def test_defence_panels_rejects_bad_input(rows, metrics, error):
    with pytest.raises(error):
        plots.defence_panels(rows, metrics)
