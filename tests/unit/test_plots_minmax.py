"""Min-max figures (Chapter 4.1): loss along directions and attack/certificate bounds."""

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


def test_loss_along_directions_draws_median_band_and_plain_curves():
    t = np.linspace(0.0, 0.1, 5)
    per_example = np.array([[0.1, 0.2, 0.3, 0.4, 0.5],
                            [0.1, 0.3, 0.5, 0.7, 0.9],
                            [0.1, 0.4, 0.7, 1.0, 1.3]])
    flat = np.full(5, 0.1)
    fig = plots.loss_along_directions(t, {"gradient sign": per_example, "random": flat},
                                      epsilon=0.05)
    (ax,) = fig.axes
    sign_line, random_line, eps_line = ax.lines
    np.testing.assert_allclose(sign_line.get_xdata(), t)
    np.testing.assert_allclose(sign_line.get_ydata(), per_example[1])  # the median row
    np.testing.assert_allclose(random_line.get_ydata(), flat)
    assert list(eps_line.get_xdata()) == [0.05, 0.05]
    assert len(ax.collections) == 1  # one band, for the 2-D curve only
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1) and band.max() == pytest.approx(1.1)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["gradient sign (median, 25-75%)", "random", "epsilon = 0.05"]
    assert sign_line.get_color() != random_line.get_color()
    assert "step" in ax.get_xlabel() and "loss" in ax.get_ylabel()


@pytest.mark.parametrize("kwargs, error", [
    ({"steps": [0.0, 0.0, 0.1]}, ValueError),
    ({"curves": {"a": np.ones(4)}}, ValueError),
    ({"curves": {"a": [1.0, np.nan, 1.0]}}, ValueError),
    ({"curves": {}}, ValueError),
    ({"epsilon": -0.1}, ValueError),
    ({"epsilon": "0.1"}, TypeError),
])
def test_loss_along_directions_rejects_bad_inputs(kwargs, error):
    args = {"steps": [0.0, 0.05, 0.1], "curves": {"a": [1.0, 2.0, 3.0]}, "epsilon": None}
    args.update(kwargs)
    with pytest.raises(error):
        plots.loss_along_directions(args["steps"], args["curves"], epsilon=args["epsilon"])


def test_bounds_vs_epsilon_shades_the_gap_between_attack_and_certificate():
    eps = [0.01, 0.02, 0.04]
    lower, upper, exact = [0.1, 0.2, 0.4], [0.1, 0.5, 2.0], [0.1, 0.3, 1.0]
    fig = plots.bounds_vs_epsilon(eps, lower, upper, exact=exact)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    low_line, up_line, exact_line = ax.lines
    np.testing.assert_allclose(low_line.get_ydata(), lower)
    np.testing.assert_allclose(up_line.get_ydata(), upper)
    np.testing.assert_allclose(exact_line.get_ydata(), exact)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1) and band.max() == pytest.approx(2.0)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "where the true worst case lies" and labels[-1] == "exact"


def test_bounds_vs_epsilon_refuses_a_certificate_below_the_attack():
    with pytest.raises(ValueError, match="upper must be >= lower"):
        plots.bounds_vs_epsilon([0.1, 0.2], [1.0, 2.0], [1.5, 1.9])


@pytest.mark.parametrize("kwargs", [
    {"epsilons": [0.2, 0.1]},
    {"epsilons": [-0.1, 0.1]},
    {"lower": [1.0]},
    {"exact": [1.0]},
    {"lower": [0.0, 1.0], "upper": [1.0, 2.0]},  # zero on a log axis
])
def test_bounds_vs_epsilon_rejects_bad_inputs(kwargs):
    args = {"epsilons": [0.1, 0.2], "lower": [1.0, 2.0], "upper": [1.5, 2.5], "exact": None}
    args.update(kwargs)
    with pytest.raises(ValueError):
        plots.bounds_vs_epsilon(args["epsilons"], args["lower"], args["upper"],
                                exact=args["exact"])


def test_bounds_vs_epsilon_linear_axis_accepts_zero():
    fig = plots.bounds_vs_epsilon([0.0, 0.1], [0.0, 1.0], [0.0, 2.0], logy=False)
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[0].get_xscale() == "linear"


def test_bounds_vs_epsilon_log_x_needs_positive_budgets():
    fig = plots.bounds_vs_epsilon([1e-6, 1e-3], [0.1, 0.2], [0.2, 20.0], logx=True)
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="logx"):
        plots.bounds_vs_epsilon([0.0, 1e-3], [0.1, 0.2], [0.2, 20.0], logx=True)
