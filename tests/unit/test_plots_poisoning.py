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


def test_rates_with_intervals_draws_bound_lines_beside_the_series():
    fig = plots.rates_with_intervals({"measured": ([0.6, 2.0, 5.7], _ivs(0.0, 0.1, 0.2))},
                                     xlabel="epsilon", ylabel="attack success rate",
                                     title="Backdoor vs epsilon",
                                     lines={"bound": ([0.6, 2.0, 5.7], [0.3, 1.0, 1.0])})
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["bound", "measured"]
    bound = ax.lines[-1]
    assert bound.get_linestyle() == "--"
    assert list(bound.get_ydata()) == pytest.approx([0.3, 1.0, 1.0])


@pytest.mark.parametrize("lines, match", [
    ({"bound": ([0.1, 0.2], [0.5])}, "mismatched lengths"),
    ({"bound": [0.1]}, "pair"),
    ({}, "lines"),
])
def test_rates_with_intervals_refuses_bad_lines(lines, match):
    with pytest.raises(ValueError, match=match):
        plots.rates_with_intervals({"a": ([0.1], _ivs(0.5))}, xlabel="x", ylabel="y",
                                   title="t", lines=lines)
