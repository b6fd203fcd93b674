"""DP training figures (Chapter 3.2): they draw what they are given and refuse bad input."""

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


def test_gradient_norm_histogram_uses_log_bins_and_reports_the_clipped_share():
    norms = {"start": np.array([0.1, 0.2, 2.0, 4.0]), "end": np.array([0.05, 0.5])}
    fig = plots.gradient_norm_histogram(norms, clip=1.0, bins=10)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "examples"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["start (50% above C)", "end (0% above C)", "clipping norm C = 1"]
    assert ax.lines[0].get_xdata()[0] == 1.0  # the clip line
    assert len(ax.patches) == 2  # one filled step patch per histogram


def test_privacy_utility_sorts_by_epsilon_and_labels_points():
    series = {"noise": ([8.0, 0.5, 2.0], [0.8, 0.4, 0.6]), "clip": ([2.0], [0.7])}
    fig = plots.privacy_utility(series, labels={"noise": ["s=0.5", "s=4", "s=1"]},
                                baseline=0.95, chance=0.1)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.5, 2.0, 8.0])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.4, 0.6, 0.8])
    assert sorted(t.get_text() for t in ax.texts) == ["s=0.5", "s=1", "s=4"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["noise", "clip", "non-private", "chance"]


@pytest.mark.parametrize("call, error, match", [
    (lambda: plots.gradient_norm_histogram({}), ValueError, "norms"),
    (lambda: plots.gradient_norm_histogram({"a": [0.0, 1.0]}), ValueError, "> 0"),
    (lambda: plots.gradient_norm_histogram({"a": [1.0]}, clip=0), ValueError, "clip"),
    (lambda: plots.gradient_norm_histogram({"a": [1.0]}, bins=1), ValueError, "bins"),
    (lambda: plots.gradient_norm_histogram({"a": [np.nan]}), ValueError, "NaN"),
    (lambda: plots.privacy_utility({}), ValueError, "series"),
    (lambda: plots.privacy_utility({"a": ([0.0], [0.5])}), ValueError, "logarithmic"),
    (lambda: plots.privacy_utility({"a": ([1.0], [1.5])}), ValueError, r"\[0, 1\]"),
    (lambda: plots.privacy_utility({"a": ([1.0], [0.5])}, labels={"b": ["x"]}), ValueError,
     "labels"),
    (lambda: plots.privacy_utility({"a": ([1.0, 2.0], [0.5, 0.6])}, labels={"a": ["x"]}),
     ValueError, "one text per point"),
    (lambda: plots.privacy_utility({"a": ([1.0], [0.5])}, baseline=2.0), ValueError,
     "baseline"),
])
def test_dp_training_figures_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
