"""Privacy-audit figure (Chapter 6.1): it draws what it is given and refuses bad input."""

import math

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


RUNS = {"no DP": (math.inf, {"one run": 1.5, "Jagielski": 2.0}),
        "eps 8": (8.0, {"one run": 0.4, "Jagielski": 0.0}),
        "eps 2": (2.0, {"one run": 0.0, "Jagielski": 0.1})}


def test_audit_bounds_draws_bars_from_lower_bound_to_accountant_epsilon():
    fig = plots.audit_bounds(RUNS)
    ax = fig.axes[0]
    bars = ax.patches  # 2 audits x 3 runs
    assert len(bars) == 6
    top = ax.get_ylim()[1]
    assert top == pytest.approx(1.25 * 8.0)
    # first audit's bars, in run order: bottom = lower bound, top = epsilon (or the axis top)
    bottoms = [b.get_y() for b in bars[:3]]
    tops = [b.get_y() + b.get_height() for b in bars[:3]]
    np.testing.assert_allclose(bottoms, [1.5, 0.4, 0.0])
    np.testing.assert_allclose(tops, [top, 8.0, 2.0])
    markers = [line for line in ax.lines if line.get_marker() in plots.MARKERS]
    np.testing.assert_allclose([m.get_ydata()[0] for m in markers], [1.5, 0.4, 0.0, 2.0, 0.0, 0.1])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["no DP", "eps 8", "eps 2"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "accountant's epsilon" in legend and "one run: audit lower bound" in legend
    assert any("inf" in t.get_text() for t in ax.texts)
    assert ax.get_ylabel()


def test_audit_bounds_refuses_a_lower_bound_above_the_accountant():
    with pytest.raises(ValueError, match="exceeds the accountant"):
        plots.audit_bounds({"eps 1": (1.0, {"one run": 1.2})})


@pytest.mark.parametrize("runs, error", [
    ({}, ValueError),
    ({"a": (0.0, {"x": 0.0})}, ValueError),
    ({"a": (float("nan"), {"x": 0.0})}, ValueError),
    ({"a": (1.0, {"x": -0.1})}, ValueError),
    ({"a": (1.0, {"x": 0.1}), "b": (2.0, {"y": 0.1})}, ValueError),
    ({"a": 1.0}, TypeError),
])
def test_audit_bounds_validates_runs(runs, error):
    with pytest.raises(error):
        plots.audit_bounds(runs)
