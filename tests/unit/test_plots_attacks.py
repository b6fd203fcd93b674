"""Figures of Chapter 2.1 (adversarial attacks): black-box success against the query budget."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402


def test_success_vs_queries_sorts_budgets_and_draws_reference_lines():
    fig = plots.success_vs_queries({"SimBA": ([100, 0, 50], [0.6, 0.0, 0.4])},
                                   reference={"PGD (white-box)": 0.7})
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0, 50, 100])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.0, 0.4, 0.6])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.7, 0.7])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["SimBA", "PGD (white-box)"]
    assert ax.get_ylabel() == "attack success rate" and "query" in ax.get_xlabel()


def test_success_vs_queries_refuses_bad_inputs():
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.success_vs_queries({})
    with pytest.raises(ValueError, match=r"success rates must lie in \[0, 1\]"):
        plots.success_vs_queries({"bad": ([0, 1], [0.0, 1.5])})
    with pytest.raises(ValueError, match="budgets must be >= 0"):
        plots.success_vs_queries({"bad": ([-1, 1], [0.0, 0.5])})
    with pytest.raises(ValueError, match="mismatched|same length|length"):
        plots.success_vs_queries({"bad": ([0, 1, 2], [0.0, 0.5])})
    with pytest.raises(ValueError, match="reference"):
        plots.success_vs_queries({"ok": ([0, 1], [0.0, 0.5])}, reference={"white": 2.0})
    with pytest.raises(TypeError, match="reference"):
        plots.success_vs_queries({"ok": ([0, 1], [0.0, 0.5])}, reference=[0.5])
