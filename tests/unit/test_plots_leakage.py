"""Figures of Chapter 2.2 (privacy leakage): ROC curves, exposure, extracted candidates."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnsec import plots  # noqa: E402
from rnnsec.privacy.metrics import evaluate_attack  # noqa: E402


def _attack(seed):
    rng = np.random.default_rng(seed)
    is_member = rng.random(200) < 0.5
    return evaluate_attack(rng.normal(size=200) + is_member, is_member, name="toy")


def test_roc_curves_take_results_or_pairs_and_draw_the_diagonal():
    result = _attack(0)
    fig = plots.roc_curves({"toy": result, "pair": ([0, 0.5, 1], [0, 0.8, 1])})
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.lines) == 3  # two curves and the random-guess diagonal
    np.testing.assert_allclose(ax.lines[0].get_xdata(), result.roc.fpr)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == f"toy (AUC {result.auc:.3f})" and labels[1] == "pair"
    assert plots.roc_curves({"toy": result}, log_scale=False).axes[0].get_xscale() == "linear"


def test_roc_curves_refuse_bad_curves():
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.roc_curves({})
    with pytest.raises(ValueError, match=r"rates must lie in \[0, 1\]"):
        plots.roc_curves({"bad": ([0, 2], [0, 1])})
    with pytest.raises(ValueError, match="mismatched"):
        plots.roc_curves({"bad": ([0, 0.5, 1], [0, 1])})


def test_exposure_vs_insertions_draws_points_means_and_the_maximum():
    fig = plots.exposure_vs_insertions({"en": ([0, 0, 4, 4, 64], [1, 2, 5, 7, 19])},
                                       max_exposure=19.9)
    ax = fig.axes[0]
    means = ax.lines[0]
    np.testing.assert_allclose(means.get_xdata(), [0, 4, 64])
    np.testing.assert_allclose(means.get_ydata(), [1.5, 6, 19])
    assert ax.get_xscale() == "symlog" and ax.lines[1].get_ydata()[0] == 19.9
    with pytest.raises(ValueError, match="insertions must be >= 0"):
        plots.exposure_vs_insertions({"en": ([-1], [2])})
    with pytest.raises(ValueError, match="max_exposure must be > 0"):
        plots.exposure_vs_insertions({"en": ([1], [2])}, max_exposure=0)


def test_ranked_candidates_highlights_planted_secrets_best_on_top():
    fig = plots.ranked_candidates(["123", "124", "999"], [1.0, 3.0, 4.0], planted={"124"})
    ax = fig.axes[0]
    bars = sorted(ax.patches[:3], key=lambda b: -b.get_y())  # top bar first
    assert [b.get_width() for b in bars] == [1.0, 3.0, 4.0]
    assert bars[1].get_facecolor() != bars[0].get_facecolor()
    ticks = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(),
                     strict=True))
    assert ticks["123"] > ticks["124"] > ticks["999"]  # the best candidate on top
    with pytest.raises(ValueError, match="mismatched"):
        plots.ranked_candidates(["1", "2"], [1.0])
    with pytest.raises(TypeError, match="planted must be a collection"):
        plots.ranked_candidates(["1"], [1.0], planted="1")
