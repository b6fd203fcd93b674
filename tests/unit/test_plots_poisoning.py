"""The training-time attack figure: proportions with interval bars, bad input refused."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402
from rnnsec.stats import proportion_interval  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _ivs(*rates):
    return [proportion_interval(r, n=100) for r in rates]


def test_rates_with_intervals_draws_one_bar_per_point():
    fig = plots.rates_with_intervals({"non-private": ([0, 0.01, 0.05], _ivs(0.0, 0.9, 1.0)),
                                      "DP": ([0, 0.05], _ivs(0.01, 0.1))},
                                     xlabel="poisoning rate", ylabel="attack success rate",
                                     title="Backdoor", logx=True)
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["non-private", "DP"]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.0, 0.9, 1.0])


@pytest.mark.parametrize("series, error, match", [
    ({}, ValueError, "series"),
    ({"a": ([0.1], [0.5])}, TypeError, "Interval"),
    ({"a": ([0.1, 0.2], _ivs(0.5))}, ValueError, "mismatched lengths"),
    ({"a": [0.1]}, ValueError, "pair"),
])
def test_rates_with_intervals_refuses_bad_series(series, error, match):
    with pytest.raises(error, match=match):
        plots.rates_with_intervals(series, xlabel="x", ylabel="y", title="t")
