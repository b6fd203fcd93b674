"""Differential privacy figures (Chapter 4.2): they draw what they are given, refuse bad input."""

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


def test_privacy_curves_draws_each_curve_with_its_own_x_and_marks_points():
    fig = plots.privacy_curves(
        {"analytic": ([0.1, 1.0, 10.0], [30.0, 4.0, 0.5]), "classic": ([0.1, 0.5], [48.0, 9.7])},
        xlabel="epsilon", ylabel="sigma / sensitivity", logx=True, logy=True,
        dashed=["classic"], points={"best": (1.0, 4.0)}, hline=1.0, hline_label="target")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epsilon" and ax.get_ylabel() == "sigma / sensitivity"
    analytic, classic, best = ax.lines[:3]
    np.testing.assert_allclose(analytic.get_xdata(), [0.1, 1.0, 10.0])
    np.testing.assert_allclose(classic.get_ydata(), [48.0, 9.7])
    assert analytic.get_linestyle() == "-" and classic.get_linestyle() == "--"
    assert best.get_linestyle() == "None" and list(best.get_xdata()) == [1.0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["analytic", "classic", "best", "target"]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(curves={}), ValueError, "curves"),
    (dict(curves={"a": ([1, 2], [1, 2, 3])}), ValueError, "mismatched"),
    (dict(curves={"a": [1, 2, 3]}), TypeError, "pair"),
    (dict(curves={"a": ([0, 1], [1, 2])}, logx=True), ValueError, "logarithmic"),
    (dict(curves={"a": ([1, 2], [np.nan, 2])}), ValueError, "NaN"),
    (dict(curves={"a": ([1, 2], [1, 2])}, dashed=["b"]), ValueError, "dashed"),
    (dict(curves={"a": ([1, 2], [1, 2])}, points={"p": 3.0}), TypeError, "points"),
])
def test_privacy_curves_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plots.privacy_curves(xlabel="x", **kwargs)


def test_epsilon_vs_training_colours_settings_and_styles_methods():
    x = np.arange(1, 11)
    curves = {"sigma 1.0": {"RDP": (x, 0.3 * x), "PLD": ([1, 5, 10], [0.2, 1.0, 2.0])},
              "sigma 2.0": {"RDP": (x, 0.1 * x), "PLD": ([1, 10], [0.05, 0.8])}}
    fig = plots.epsilon_vs_training(curves, target=1.0, target_label="budget")
    ax = fig.axes[0]
    data_lines = ax.lines[:4]
    assert data_lines[0].get_color() == data_lines[1].get_color() != data_lines[2].get_color()
    assert data_lines[0].get_linestyle() == data_lines[2].get_linestyle() == "-"
    assert data_lines[1].get_linestyle() == data_lines[3].get_linestyle() == "--"
    np.testing.assert_allclose(data_lines[3].get_ydata(), [0.05, 0.8])
    legends = [a for a in ax.get_children() if isinstance(a, matplotlib.legend.Legend)]
    texts = sorted(t.get_text() for leg in legends for t in leg.get_texts())
    assert texts == ["PLD", "RDP", "budget", "sigma 1.0", "sigma 2.0"]
    assert ax.lines[4].get_ydata()[0] == 1.0 and ax.lines[4].get_linestyle() == ":"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "epsilon"


def test_epsilon_vs_training_rejects_bad_input():
    with pytest.raises(ValueError, match="curves"):
        plots.epsilon_vs_training({})
    with pytest.raises(ValueError, match="curves\\['s'\\]"):
        plots.epsilon_vs_training({"s": {}})
    with pytest.raises(ValueError, match="mismatched"):
        plots.epsilon_vs_training({"s": {"RDP": ([1, 2, 3], [0.1, 0.2])}})


def test_mechanism_histograms_share_bins_and_integrate_to_one():
    rng = np.random.default_rng(0)
    samples = {"M(D)": rng.normal(1.0, 1.0, 5000), "M(D')": rng.normal(0.0, 1.0, 5000)}
    fig = plots.mechanism_histograms(samples, bins=40, vlines={"f(D)": 1.0, "f(D')": 0.0})
    ax = fig.axes[0]
    assert len(ax.patches) == 2 and len(ax.lines) == 2
    everything = np.concatenate(list(samples.values()))
    edges = np.linspace(everything.min(), everything.max(), 41)
    for patch, arr in zip(ax.patches, samples.values(), strict=True):
        verts = patch.get_path().vertices
        # one shared set of bin edges, spanning all samples
        assert verts[:, 0].min() == pytest.approx(edges[0])
        assert verts[:, 0].max() == pytest.approx(edges[-1])
        density, _ = np.histogram(arr, bins=edges, density=True)
        np.testing.assert_allclose(np.unique(verts[:, 1]), np.unique(np.r_[0.0, density]))
    assert ax.get_ylabel() == "density"
    with pytest.raises(ValueError, match="bins"):
        plots.mechanism_histograms(samples, bins=1)
    with pytest.raises(ValueError, match="at least one"):
        plots.mechanism_histograms({"a": []})
    with pytest.raises(ValueError, match="vlines"):
        plots.mechanism_histograms(samples, vlines={"bad": float("nan")})


def test_privacy_loss_histogram_splits_at_epsilon_and_reports_the_tail():
    losses = np.concatenate([np.linspace(-0.5, 0.9, 98), [1.2, 1.5]])
    fig = plots.privacy_loss_histogram(losses, epsilon=1.0, bins=20)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    patches = ax.patches
    left = [p for p in patches if p.get_x() + p.get_width() <= 1.0 + 1e-9]
    right = [p for p in patches if p.get_x() >= 1.0 - 1e-9]
    assert len(left) + len(right) == len(patches), "a bar straddles epsilon"
    assert sum(p.get_height() for p in right) == 2
    assert sum(p.get_height() for p in left) == 98
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("2.0000%" in label for label in labels)


def test_privacy_loss_histogram_rejects_bad_input():
    with pytest.raises(ValueError, match="epsilon"):
        plots.privacy_loss_histogram([0.1, 0.2], epsilon=-1.0)
    with pytest.raises(ValueError, match="losses"):
        plots.privacy_loss_histogram([], epsilon=1.0)
    with pytest.raises(ValueError, match="NaN"):
        plots.privacy_loss_histogram([0.1, np.inf], epsilon=1.0)
