"""Secure multi-party computation figures (Chapter 3.3): they draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import mpc, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_approximation_errors_draws_values_and_floored_errors():
    x = np.linspace(-4.0, 4.0, 9)
    exact = np.tanh(x)
    good = exact + 1e-3
    exact_copy = exact.copy()  # its error (0) must be drawn at the floor
    fig = plots.approximation_errors(x, exact, {"good": good, "exact copy": exact_copy},
                                     function_label="tanh(x)", floor=1e-6,
                                     reference=2.0 ** -16, reference_label="one unit")
    left, right = fig.axes
    assert left.get_ylabel() == "tanh(x)" and right.get_yscale() == "log"
    exact_line, good_left, copy_left = left.lines
    np.testing.assert_allclose(exact_line.get_ydata(), exact)
    np.testing.assert_allclose(good_left.get_ydata(), good)
    good_err, copy_err, ref = right.lines
    np.testing.assert_allclose(good_err.get_ydata(), 1e-3, rtol=1e-9)
    np.testing.assert_allclose(copy_err.get_ydata(), 1e-6)
    assert list(ref.get_ydata()) == [2.0 ** -16, 2.0 ** -16]
    assert right.get_ylim()[0] == pytest.approx(1e-6)
    assert good_err.get_color() == good_left.get_color() != copy_err.get_color()
    assert right.get_legend() is None and left.get_legend() is None
    (legend,) = fig.legends  # one legend for both panels
    assert [t.get_text() for t in legend.get_texts()] == ["exact", "good", "exact copy",
                                                          "one unit"]


def test_runaway_approximation_stays_out_of_the_values_panel():
    x = np.linspace(-10.0, 10.0, 21)
    exact = 1.0 / (1.0 + np.exp(-x))
    runaway = exact + x ** 3  # like a polynomial used outside its interval
    fig = plots.approximation_errors(x, exact, {"runaway": runaway})
    low, high = fig.axes[0].get_ylim()
    assert low < exact.min() and high > exact.max() and high < runaway.max()
    assert fig.axes[1].lines[0].get_ydata().max() == pytest.approx(1000.0)


def test_approximation_errors_accepts_an_mpc_report():
    report = mpc.approximation_error("sigmoid", "poly", -6.0, 6.0, num=41)
    fig = plots.approximation_errors(report.x, report.exact, {"poly": report.approx},
                                     function_label="sigmoid(x)")
    errors = fig.axes[1].lines[0].get_ydata()
    assert errors.max() == pytest.approx(report.max_abs_error)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(approximations={}), ValueError, "approximations"),
    (dict(approximations={"a": np.zeros(4)}), ValueError, "mismatched"),
    (dict(approximations={"a": np.full(5, np.nan)}), ValueError, "NaN"),
    (dict(approximations={"a": np.zeros(5)}, floor=0.0), ValueError, "floor"),
    (dict(approximations={"a": np.zeros(5)}, reference=-1.0), ValueError, "reference"),
    (dict(approximations={"a": np.zeros((5, 2))}), ValueError, "approximations"),
])
def test_approximation_errors_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.approximation_errors(np.arange(5.0), np.zeros(5), **kwargs)


def test_approximation_errors_rejects_mismatched_grid():
    with pytest.raises(ValueError, match="mismatched"):
        plots.approximation_errors(np.arange(5.0), np.zeros(4), {"a": np.zeros(5)})
    with pytest.raises(ValueError, match="at least 2"):
        plots.approximation_errors([1.0], [1.0], {"a": [1.0]})


def test_time_vs_latency_draws_points_and_the_model_line():
    fig = plots.time_vs_latency([0.0, 1.0, 2.0], [0.3, 0.8, 1.3], rounds=500, intercept=0.3)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and "500 rounds" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="mismatched lengths"):
        plots.time_vs_latency([0.0, 1.0], [0.3], rounds=5, intercept=0.0)
    with pytest.raises(ValueError, match="rounds"):
        plots.time_vs_latency([0.0], [0.3], rounds=-1, intercept=0.0)
