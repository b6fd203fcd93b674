"""Matplotlib figures used by the chapters: one function per kind of figure.

The only rnnsec module that imports matplotlib. Every function draws on a new figure (or on
the ``ax`` it is given), labels its axes with units, and returns the figure so a notebook can
show or save it. Colours come from the colour-blind-safe Okabe-Ito palette, and curves also
differ by marker so they stay readable in black and white.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rnnsec._validate import as_float_array, check_same_length

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _axes(ax, figsize=(5.5, 3.5)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
        return fig, ax
    return ax.figure, ax


def training_curves(history: dict, metrics=("accuracy", "val_accuracy"), ax=None,
                    title: str = "Training"):
    """Plot Keras ``history.history`` curves against epochs.

    Args:
        history: dict of metric name -> per-epoch values (``model.fit(...).history``).
        metrics: which keys to plot (missing keys are an error).
        ax: axes to draw on, or None for a new figure.
        title: figure title.
    """
    missing = [m for m in metrics if m not in history]
    if missing:
        raise ValueError(f"metrics {missing} are not in history (has {sorted(history)})")
    fig, ax = _axes(ax)
    for i, name in enumerate(metrics):
        values = np.asarray(history[name])
        ax.plot(np.arange(1, len(values) + 1), values, marker=MARKERS[i], color=PALETTE[i],
                label=name.replace("_", " "))
    ax.set(xlabel="epoch", ylabel="value", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def accuracy_vs_epsilon(epsilons, curves: dict, chance: float | None = None, ax=None,
                        xlabel: str = "epsilon", title: str = "Accuracy under attack"):
    """Accuracy (y) against perturbation budget (x), one curve per attack or model.

    Args:
        epsilons: budgets, shared by all curves.
        curves: label -> accuracies (same length as ``epsilons``, values in [0, 1]).
        chance: draw a dashed line at chance accuracy (e.g. 1/num_classes).
        ax: axes to draw on, or None.
        xlabel: x-axis label, with units (e.g. "epsilon (L-inf, standardised units)").
        title: figure title.
    """
    eps = as_float_array("epsilons", epsilons, ndim=1)
    fig, ax = _axes(ax)
    for i, (label, acc) in enumerate(curves.items()):
        acc = as_float_array(f"curves[{label!r}]", acc, ndim=1)
        check_same_length(epsilons=eps, **{"accuracies": acc})
        ax.plot(eps, acc, marker=MARKERS[i % 8], color=PALETTE[i % 8], label=label)
    if chance is not None:
        ax.axhline(chance, ls="--", color="grey", label="chance")
    ax.set(xlabel=xlabel, ylabel="accuracy", ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def sequence_perturbation(x, x_adv, length: int | None = None, feature_label: str = "feature",
                          step_label: str = "time step", title: str = "",
                          value_label: str = "value"):
    """Three heatmaps of one sequence: original, adversarial, and their difference.

    Args:
        x, x_adv: ``[T, D]`` arrays (one example).
        length: real length; padded steps beyond it are hidden.
        feature_label, step_label: axis labels.
        title: figure title.
        value_label: colour-bar label, with units.
    """
    x = as_float_array("x", x, ndim=2)
    x_adv = as_float_array("x_adv", x_adv, ndim=2)
    if x.shape != x_adv.shape:
        raise ValueError(f"x and x_adv must have the same shape, got {x.shape} and "
                         f"{x_adv.shape}")
    length = x.shape[0] if length is None else length
    x, x_adv = x[:length], x_adv[:length]
    diff = x_adv - x
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), constrained_layout=True)
    vmax = float(np.abs(np.concatenate([x, x_adv])).max())
    dmax = float(np.abs(diff).max()) or 1.0
    panels = (("original", x, "RdBu_r", vmax), ("adversarial", x_adv, "RdBu_r", vmax),
              ("difference", diff, "PuOr", dmax))
    for ax, (name, arr, cmap, lim) in zip(axes, panels, strict=True):
        im = ax.imshow(arr.T, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim,
                       origin="lower", interpolation="nearest")
        ax.set(title=name, xlabel=step_label, ylabel=feature_label)
        fig.colorbar(im, ax=ax, label=value_label)
    if title:
        fig.suptitle(title)
    return fig


def images_side_by_side(images, titles, cmap: str = "gray_r", vmin=0.0, vmax=1.0,
                        suptitle: str = ""):
    """A row of small images (e.g. a digit before and after an attack) with titles."""
    images = list(images)
    check_same_length(images=images, titles=list(titles))
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.5),
                             constrained_layout=True)
    for ax, img, title in zip(np.atleast_1d(axes), images, titles, strict=True):
        im = ax.imshow(np.asarray(img), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=list(np.atleast_1d(axes)), shrink=0.8, label="pixel intensity")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def class_probabilities(probabilities, class_names, true_class: int | None = None, ax=None,
                        title: str = "Predicted probabilities"):
    """Bar chart of one prediction's class probabilities, the true class highlighted."""
    p = as_float_array("probabilities", probabilities, ndim=1)
    check_same_length(probabilities=p, class_names=list(class_names))
    fig, ax = _axes(ax, figsize=(6, 3))
    colours = [PALETTE[1] if i == true_class else PALETTE[0] for i in range(len(p))]
    ax.bar(range(len(p)), p, color=colours)
    ax.set_xticks(range(len(p)), class_names, rotation=45, ha="right")
    ax.set(ylabel="probability", ylim=(0, 1), title=title)
    return fig
