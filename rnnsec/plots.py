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
                          step_label: str = "time step",
                          title: str = "Clean and adversarial sequence",
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
    ax.set(xlabel="class", ylabel="probability", ylim=(0, 1), title=title)
    return fig


# --- Differential privacy figures (Chapter 4.2) ------------------------------------------------

_LINESTYLES = ("-", "--", ":", "-.")


def _xy_pair(name: str, pair, positive_x: bool = False, positive_y: bool = False):
    """Validate one ``(x, y)`` pair of equal-length, finite 1-D arrays; return it as arrays."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{name} must be an (x, y) pair of arrays, got {type(pair).__name__}")
    x = as_float_array(f"{name} x", pair[0], ndim=1)
    y = as_float_array(f"{name} y", pair[1], ndim=1)
    check_same_length(**{"x": x, "y": y})
    if x.size == 0:
        raise ValueError(f"{name} must hold at least one point")
    for axis, arr, positive in (("x", x, positive_x), ("y", y, positive_y)):
        if positive and np.any(arr <= 0):
            raise ValueError(f"{name} {axis} values must be > 0 on a logarithmic axis, "
                             f"got min {arr.min()}")
    return x, y


def _check_mapping(name: str, value) -> None:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{name} must be a non-empty dict of label -> data, got {value!r}")


def privacy_curves(curves: dict, xlabel: str, ylabel: str = "epsilon", *, logx: bool = False,
                   logy: bool = False, dashed=(), points: dict | None = None,
                   hline: float | None = None, hline_label: str = "", ax=None,
                   title: str = "Privacy loss"):
    """Privacy quantities (y) against a parameter (x), one line per method.

    Used for noise calibration (sigma against epsilon), composition (epsilon against the number
    of mechanisms) and Renyi DP (epsilon against the order alpha).

    Args:
        curves: label -> ``(x, y)``, each curve with its own x values (1-D, same length,
            finite; > 0 on a logarithmic axis).
        xlabel, ylabel: axis labels, with units.
        logx, logy: logarithmic x / y axis.
        dashed: labels of curves to draw dashed (a bound outside its proven range, say).
        points: label -> ``(x, y)`` numbers to mark with a large marker (e.g. the best order).
        hline: y value of a dotted grey reference line (e.g. a target epsilon), or None.
        hline_label: legend label of that line.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 4.2.
    """
    _check_mapping("curves", curves)
    unknown = [label for label in dashed if label not in curves]
    if unknown:
        raise ValueError(f"dashed names curves that are not in curves: {unknown}")
    fig, ax = _axes(ax, figsize=(6, 3.8))
    for i, (label, pair) in enumerate(curves.items()):
        x, y = _xy_pair(f"curves[{label!r}]", pair, positive_x=logx, positive_y=logy)
        ax.plot(x, y, color=PALETTE[i % 8], marker=MARKERS[i % 8],
                markevery=max(1, len(x) // 8), ls="--" if label in dashed else "-",
                label=label)
    for j, (label, point) in enumerate((points or {}).items()):
        if not isinstance(point, (tuple, list)) or len(point) != 2:
            raise TypeError(f"points[{label!r}] must be an (x, y) pair of numbers, got {point!r}")
        px, py = _xy_pair(f"points[{label!r}]", ([point[0]], [point[1]]),
                          positive_x=logx, positive_y=logy)
        ax.plot(px, py, ls="none", marker=MARKERS[(j + len(curves)) % 8], ms=10,
                mfc="none", mew=2, color=PALETTE[(j + len(curves)) % 8], label=label)
    if hline is not None:
        ax.axhline(hline, ls=":", color="grey", label=hline_label or None)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def epsilon_vs_training(curves: dict, xlabel: str = "epoch", ylabel: str = "epsilon", *,
                        target: float | None = None, target_label: str = "privacy budget",
                        ax=None, title: str = "Privacy spent during training"):
    """Epsilon spent over training: colour = setting (e.g. noise multiplier), style = accountant.

    Args:
        curves: setting label -> {method label -> ``(x, y)``}; every setting may use the same
            method labels (drawn with the same line style and marker), and a method may have
            fewer points than another (e.g. a slow accountant evaluated at a few epochs).
        xlabel, ylabel: axis labels, with units.
        target: y value of a dotted grey line (a privacy budget), or None.
        target_label: legend label of that line.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure, with two legends (settings by colour, methods by line style). Chapter 4.2.
    """
    from matplotlib.lines import Line2D

    _check_mapping("curves", curves)
    methods: list[str] = []
    for setting, by_method in curves.items():
        _check_mapping(f"curves[{setting!r}]", by_method)
        methods += [m for m in by_method if m not in methods]
    fig, ax = _axes(ax, figsize=(6, 3.8))
    for i, (setting, by_method) in enumerate(curves.items()):
        for method, pair in by_method.items():
            j = methods.index(method)
            x, y = _xy_pair(f"curves[{setting!r}][{method!r}]", pair)
            ax.plot(x, y, color=PALETTE[i % 8], ls=_LINESTYLES[j % 4], marker=MARKERS[j % 8],
                    markevery=max(1, len(x) // 10), ms=5)
    if target is not None:
        ax.axhline(target, ls=":", color="grey")
    colour_keys = [Line2D([], [], color=PALETTE[i % 8], lw=3) for i in range(len(curves))]
    style_keys = [Line2D([], [], color="black", ls=_LINESTYLES[j % 4], marker=MARKERS[j % 8])
                  for j in range(len(methods))]
    style_labels = list(methods)
    if target is not None:
        style_keys.append(Line2D([], [], color="grey", ls=":"))
        style_labels.append(target_label)
    first = ax.legend(colour_keys, list(curves), loc="upper left", fontsize=8)
    ax.add_artist(first)
    ax.legend(style_keys, style_labels, loc="lower right", fontsize=8)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    return fig


def mechanism_histograms(samples: dict, bins: int = 100, xlabel: str = "output",
                         vlines: dict | None = None, ax=None,
                         title: str = "Output distributions of the mechanisms"):
    """Densities of a randomised mechanism's outputs on neighbouring datasets, overlaid.

    Args:
        samples: label (e.g. "M(D)") -> 1-D array of outputs; all share one set of bin edges.
        bins: number of bins, >= 2.
        xlabel: x-axis label, with units.
        vlines: label -> x position of a vertical line (e.g. the true answers f(D), f(D')).
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 4.2.
    """
    from rnnsec._validate import check_number

    _check_mapping("samples", samples)
    check_number("bins", bins, low=2, integer=True)
    arrays = {label: as_float_array(f"samples[{label!r}]", s, ndim=1)
              for label, s in samples.items()}
    if any(a.size == 0 for a in arrays.values()):
        raise ValueError("every entry of samples must hold at least one output")
    everything = np.concatenate(list(arrays.values()))
    edges = np.linspace(everything.min(), everything.max(), bins + 1)  # [bins + 1]
    fig, ax = _axes(ax, figsize=(6, 3.5))
    for i, (label, arr) in enumerate(arrays.items()):
        ax.hist(arr, bins=edges, density=True, histtype="stepfilled", alpha=0.35,
                color=PALETTE[i % 8], edgecolor=PALETTE[i % 8], lw=1.5, label=label)
    for j, (label, x) in enumerate((vlines or {}).items()):
        check_number(f"vlines[{label!r}]", x)
        ax.axvline(x, color=PALETTE[j % 8], ls=_LINESTYLES[(j + 1) % 4], lw=1.5, label=label)
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend(fontsize=8)
    return fig


def privacy_loss_histogram(losses, epsilon: float, bins: int = 100, ax=None,
                           title: str = "Privacy loss distribution",
                           xlabel: str = "privacy loss ln(p_D(o) / p_D'(o))"):
    """Histogram of privacy-loss samples (log count scale) with the epsilon threshold.

    The bars beyond ``epsilon`` are drawn in a second colour and the legend gives their share
    of all samples: the outputs on which the epsilon bound fails, whose weight delta pays for.

    Args:
        losses: 1-D array of privacy-loss values L(o), o drawn from M(D) (finite).
        epsilon: the threshold to mark, >= 0.
        bins: number of bins, >= 2.
        ax: axes to draw on, or None for a new figure.
        title: figure title.
        xlabel: x-axis label.

    Returns:
        The figure. Chapter 4.2 (privacy loss random variable; Dwork & Roth 2014).
    """
    from rnnsec._validate import check_number

    losses = as_float_array("losses", losses, ndim=1)
    if losses.size == 0:
        raise ValueError("losses must hold at least one value")
    check_number("epsilon", epsilon, low=0)
    check_number("bins", bins, low=2, integer=True)
    low, high = float(losses.min()), float(max(losses.max(), epsilon))
    width = (high - low) / bins or 1.0
    # epsilon is a bin edge, so every bar lies wholly on one side of it
    first = int(np.floor((low - epsilon) / width))
    last = int(np.ceil((high - epsilon) / width))
    edges = epsilon + width * np.arange(first, max(last, first + 1) + 1)  # [bins + 1 or so]
    counts, _ = np.histogram(losses, bins=edges)
    beyond = edges[:-1] >= epsilon
    fig, ax = _axes(ax, figsize=(6, 3.5))
    widths = np.diff(edges)
    ax.bar(edges[:-1][~beyond], counts[~beyond], width=widths[~beyond], align="edge",
           color=PALETTE[0], label=f"L <= epsilon ({np.mean(losses <= epsilon):.4%})")
    ax.bar(edges[:-1][beyond], counts[beyond], width=widths[beyond], align="edge",
           color=PALETTE[1], label=f"L > epsilon ({np.mean(losses > epsilon):.4%})")
    ax.axvline(epsilon, color="black", ls="--", label=f"epsilon = {epsilon:g}")
    ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="number of outputs (log scale)", title=title)
    ax.legend(fontsize=8)
    return fig


# --- Secure multi-party computation figures (Chapter 3.3) ----------------------------------------


def approximation_errors(x, exact, approximations: dict, *, function_label: str = "f(x)",
                         xlabel: str = "x", floor: float = 1e-7, reference: float | None = None,
                         reference_label: str = "", title: str = "Approximation error"):
    """A function's MPC approximations against the true function: values (left), errors (right).

    Args:
        x: 1-D grid of inputs (finite).
        exact: the true function on the grid, same length as ``x``.
        approximations: label -> 1-D approximation on the same grid (e.g. the ``approx`` of
            :func:`rnnsec.mpc.approximation_error`), one curve per method or setting.
        function_label: y label of the left panel, e.g. ``"sigmoid(x)"``.
        xlabel: x label of both panels, with units.
        floor: a logarithmic axis cannot show an error of 0, so errors below ``floor`` (> 0) are
            drawn at ``floor`` and the right panel's axis starts there.
        reference: y value (> 0) of a dotted grey line in the right panel (e.g. 2^-16, one
            fixed-point unit), or None.
        reference_label: legend label of that line.
        title: figure title.

    The left panel's y range is the true function's range plus a margin of a quarter of it, so an
    approximation that runs away (a polynomial outside its interval) leaves that panel; the
    right panel shows by how much. One legend below both panels names every curve.

    Returns:
        The figure. Chapter 3.3 (accuracy of CrypTen-style approximations; Knott et al. 2021).
    """
    from rnnsec._validate import check_number

    x = as_float_array("x", x, ndim=1)
    exact = as_float_array("exact", exact, ndim=1)
    check_same_length(x=x, exact=exact)
    if x.size < 2:
        raise ValueError(f"x must hold at least 2 points, got {x.size}")
    _check_mapping("approximations", approximations)
    curves = {}
    for label, approx in approximations.items():
        approx = as_float_array(f"approximations[{label!r}]", approx, ndim=1)
        check_same_length(x=x, **{f"approximations[{label!r}]": approx})
        curves[label] = approx
    check_number("floor", floor, low=0.0, low_open=True)
    if reference is not None:
        check_number("reference", reference, low=0.0, low_open=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    left.plot(x, exact, color="black", lw=2.5, label="exact")
    every = max(1, x.size // 12)
    for i, (label, approx) in enumerate(curves.items()):
        style = dict(color=PALETTE[i % 8], marker=MARKERS[i % 8], markevery=every, ms=5,
                     ls=_LINESTYLES[(i + 1) % 4], label=label)
        left.plot(x, approx, **style)
        right.plot(x, np.maximum(np.abs(approx - exact), floor), **style)
    span = float(exact.max() - exact.min()) or 1.0
    left.set_ylim(float(exact.min()) - span / 4, float(exact.max()) + span / 4)
    left.set(xlabel=xlabel, ylabel=function_label, title="values")
    if reference is not None:
        right.axhline(reference, color="grey", ls=":", lw=1.5, label=reference_label or None)
    right.set_yscale("log")
    right.set_ylim(bottom=floor)
    right.set(xlabel=xlabel, ylabel="absolute error (log scale)", title="error")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    # one legend for both panels, below them, so that it hides no curve
    handles, labels = left.get_legend_handles_labels()
    extra = [(h, lab) for h, lab in zip(*right.get_legend_handles_labels(), strict=True)
             if lab not in labels]
    handles += [h for h, _ in extra]
    labels += [lab for _, lab in extra]
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3),
               fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def time_vs_latency(latency_ms, seconds, *, rounds: int, intercept: float, ax=None,
                    title: str = "Secure inference over an emulated link"):
    """Measured wall time against one-way latency, beside the line ``intercept + rounds x latency``.

    Args:
        latency_ms: one-way latencies in milliseconds.
        seconds: measured wall times in seconds, one per latency.
        rounds: the protocol's rounds (the slope that the link model predicts).
        intercept: the time at zero latency in seconds (e.g. a fitted intercept).
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 3.3 (running the parties apart).
    """
    lat = as_float_array("latency_ms", latency_ms, ndim=1)
    sec = as_float_array("seconds", seconds, ndim=1)
    check_same_length(latency_ms=lat, seconds=sec)
    if not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise ValueError(f"rounds must be a non-negative integer, got {rounds!r}")
    fig, ax = _axes(ax)
    grid = np.linspace(0.0, max(float(lat.max()), 1e-3), 50)
    ax.plot(grid, intercept + rounds * grid / 1e3, color=PALETTE[1], ls="--",
            label=f"{intercept:.2f} s + {rounds} rounds x latency")
    ax.plot(lat, sec, color=PALETTE[0], marker=MARKERS[0], ls="none", label="measured")
    ax.set(xlabel="one-way latency (ms)", ylabel="wall time of one inference (s)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


# --- Privacy leakage figures (Chapter 2.2) ----------------------------------------------------


def _roc_points(label, value) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(fpr, tpr, auc or None) of a RocResult, MembershipAttackResult, MembershipScores, pair."""
    for attr in ("result", "roc"):
        value = getattr(value, attr, value)
    if hasattr(value, "fpr") and hasattr(value, "tpr"):
        fpr, tpr = _xy_pair(f"curves[{label!r}]", (value.fpr, value.tpr))
        return fpr, tpr, getattr(value, "auc", None)
    fpr, tpr = _xy_pair(f"curves[{label!r}]", value)
    return fpr, tpr, None


def roc_curves(curves: dict, *, log_scale: bool = True, ax=None,
               title: str = "Membership inference ROC"):
    """ROC curves of membership attacks, on log-log axes by default (Carlini et al. 2022).

    On log-log axes the low-FPR corner, where an attack is confidently right about a few
    records, takes most of the figure; the dashed diagonal is random guessing. Points with
    FPR or TPR 0 cannot be drawn on log axes and are left out.

    Args:
        curves: label -> a ``RocResult``, a ``MembershipAttackResult``, a ``MembershipScores``
            or an ``(fpr, tpr)`` pair of 1-D arrays in [0, 1]. The AUC, when known, joins the
            label.
        log_scale: log-log axes (True) or linear ones.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 2.2.
    """
    _check_mapping("curves", curves)
    fig, ax = _axes(ax, figsize=(5.2, 4.2))
    smallest = 1.0
    for i, (label, value) in enumerate(curves.items()):
        fpr, tpr, area = _roc_points(label, value)
        if np.any((fpr < 0) | (fpr > 1) | (tpr < 0) | (tpr > 1)):
            raise ValueError(f"curves[{label!r}] rates must lie in [0, 1]")
        name = label if area is None else f"{label} (AUC {area:.3f})"
        ax.step(fpr, tpr, where="post", color=PALETTE[i % 8], ls=_LINESTYLES[i % 4], lw=1.8,
                label=name)
        if np.any(fpr > 0):
            smallest = min(smallest, float(fpr[fpr > 0].min()))
    low = smallest / 2 if log_scale else 0.0
    grid = np.linspace(low, 1, 200) if not log_scale else np.logspace(np.log10(low), 0, 200)
    ax.plot(grid, grid, color="grey", ls="--", lw=1, label="random guess")
    if log_scale:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(low, 1)
        ax.set_ylim(low, 1.05)
    ax.set(xlabel="false positive rate" + (" (log scale)" if log_scale else ""),
           ylabel="true positive rate" + (" (log scale)" if log_scale else ""), title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def exposure_vs_insertions(series: dict, max_exposure: float | None = None, ax=None,
                           title: str = "Canary exposure against insertions"):
    """Exposure (bits) of each canary against how often it was inserted, with the mean per count.

    The x axis is symmetric-log so that never-inserted canaries (0) sit beside 1, 4, 16, 64.

    Args:
        series: label -> ``(insertions, exposures)``: one point per canary (insertions >= 0).
        max_exposure: ``log2 |R|``, drawn as a dotted line (the exposure of a canary ranked
            first), or None.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 2.2 (Carlini et al. 2019).
    """
    from rnnsec._validate import check_number

    _check_mapping("series", series)
    fig, ax = _axes(ax, figsize=(6, 3.8))
    ticks: set[float] = set()
    for i, (label, pair) in enumerate(series.items()):
        reps, exposure = _xy_pair(f"series[{label!r}]", pair)
        if np.any(reps < 0):
            raise ValueError(f"series[{label!r}] insertions must be >= 0")
        counts = np.unique(reps)
        ticks.update(counts.tolist())
        means = [exposure[reps == c].mean() for c in counts]
        ax.scatter(reps, exposure, color=PALETTE[i % 8], marker=MARKERS[i % 8], alpha=0.6,
                   label=f"{label}: one canary")
        ax.plot(counts, means, color=PALETTE[i % 8], ls=_LINESTYLES[i % 4], lw=1.5,
                label=f"{label}: mean")
    if max_exposure is not None:
        check_number("max_exposure", max_exposure, low=0, low_open=True)
        ax.axhline(max_exposure, color="grey", ls=":", label=f"maximum ({max_exposure:.1f} bits)")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(sorted(ticks), [f"{t:g}" for t in sorted(ticks)])
    ax.set_xlim(-0.3, max(ticks) * 1.4 + 0.5)
    ax.set(xlabel="insertions into the training text (symlog scale)",
           ylabel="exposure (bits)", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def ranked_candidates(candidates, log_perplexities, planted=(), ax=None,
                      title: str = "Beam search: most likely secrets"):
    """Horizontal bars of extracted candidates' log-perplexities, best at the top.

    Args:
        candidates: the candidate secrets (strings), best first.
        log_perplexities: their log-perplexities in bits (same length, finite).
        planted: secrets that were really in the training data; their bars are highlighted.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 2.2.
    """
    names = [str(c) for c in candidates]
    lp = as_float_array("log_perplexities", log_perplexities, ndim=1)
    check_same_length(candidates=names, log_perplexities=lp)
    if not names:
        raise ValueError("candidates must hold at least one secret")
    if isinstance(planted, str):
        raise TypeError("planted must be a collection of secrets, not a single string")
    planted = set(planted)
    fig, ax = _axes(ax, figsize=(6, 0.35 * len(names) + 1.2))
    colours = [PALETTE[1] if n in planted else PALETTE[0] for n in names]
    positions = np.arange(len(names))[::-1]  # best at the top
    ax.barh(positions, lp, color=colours)
    ax.set_yticks(positions, names, fontfamily="monospace", fontsize=8)
    ax.set(xlabel="log-perplexity (bits; lower = more likely)", ylabel="candidate secret",
           title=title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=PALETTE[1]),
               plt.Rectangle((0, 0), 1, 1, color=PALETTE[0])]
    # the best (shortest) bars are at the top, so the upper right corner is free
    ax.legend(handles, ["planted in the training text", "not planted"], fontsize=8,
              loc="upper right")
    ax.grid(alpha=0.3, axis="x")
    return fig


# --- DP training figures (Chapter 3.2) --------------------------------------------------------


def gradient_norm_histogram(norms: dict, clip: float | None = None, bins: int = 40, ax=None,
                            title: str = "Per-example gradient norms"):
    """Histograms of per-example gradient L2 norms on a logarithmic axis, one per label.

    Args:
        norms: label -> 1-D array of norms (finite, > 0), e.g. one entry per training stage.
        clip: draw the clipping norm C as a dashed vertical line (and give the share of norms
            above it per label in the legend), or None.
        bins: number of logarithmically spaced bins (>= 2), shared by all histograms.
        ax: axes to draw on, or None for a new figure.
        title: figure title.

    Returns:
        The figure. Chapter 3.2 (where to clip).
    """
    from rnnsec._validate import check_number

    _check_mapping("norms", norms)
    check_number("bins", bins, low=2, integer=True)
    if clip is not None:
        check_number("clip", clip, low=0, low_open=True)
    arrays = {}
    for label, values in norms.items():
        arr = as_float_array(f"norms[{label!r}]", values, ndim=1)
        if arr.size == 0 or np.any(arr <= 0):
            raise ValueError(f"norms[{label!r}] must hold at least one norm, all > 0 "
                             f"(a logarithmic axis)")
        arrays[label] = arr
    low = min(a.min() for a in arrays.values())
    high = max(a.max() for a in arrays.values())
    if clip is not None:
        low, high = min(low, clip), max(high, clip)
    edges = np.geomspace(low / 1.05, high * 1.05, bins + 1)
    fig, ax = _axes(ax, figsize=(6, 3.6))
    for i, (label, arr) in enumerate(arrays.items()):
        text = label if clip is None else f"{label} ({np.mean(arr > clip):.0%} above C)"
        ax.hist(arr, bins=edges, histtype="stepfilled", alpha=0.35, color=PALETTE[i % 8],
                edgecolor=PALETTE[i % 8], linewidth=1.5, label=text)
    if clip is not None:
        ax.axvline(clip, color="black", ls="--", label=f"clipping norm C = {clip:g}")
    ax.set_xscale("log")
    ax.set(xlabel="L2 norm of one example's gradient (log scale)", ylabel="examples",
           title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def privacy_utility(series: dict, labels: dict | None = None, baseline: float | None = None,
                    baseline_label: str = "non-private", chance: float | None = None, ax=None,
                    xlabel: str = "epsilon (delta fixed; log scale)",
                    ylabel: str = "test accuracy", title: str = "Privacy-utility trade-off"):
    """Test accuracy (y) against epsilon (x) of DP training runs, one line per sweep.

    Args:
        series: sweep label -> ``(epsilons, accuracies)`` (epsilons > 0, accuracies in [0, 1]),
            e.g. ``{"noise sweep, C = 1": (eps, acc), "clip sweep, sigma = 1": ...}``.
        labels: sweep label -> one text per point (e.g. ``"sigma=2"``) written beside it.
        baseline: accuracy of non-private training, drawn as a dotted line, or None.
        baseline_label: legend label of that line.
        chance: chance accuracy, drawn as a grey dash-dot line, or None.
        ax: axes to draw on, or None for a new figure.
        xlabel, ylabel, title: axis labels (with units) and figure title.

    Returns:
        The figure. Chapter 3.2.
    """
    _check_mapping("series", series)
    labels = labels or {}
    unknown = [k for k in labels if k not in series]
    if unknown:
        raise ValueError(f"labels names series that are not in series: {unknown}")
    for name, value in (("baseline", baseline), ("chance", chance)):
        if value is not None and not (np.isfinite(value) and 0 <= value <= 1):
            raise ValueError(f"{name} must be an accuracy in [0, 1], got {value!r}")
    fig, ax = _axes(ax, figsize=(6, 3.8))
    for i, (name, pair) in enumerate(series.items()):
        eps, acc = _xy_pair(f"series[{name!r}]", pair, positive_x=True)
        if np.any((acc < 0) | (acc > 1)):
            raise ValueError(f"series[{name!r}] accuracies must lie in [0, 1]")
        order = np.argsort(eps)
        ax.plot(eps[order], acc[order], color=PALETTE[i % 8], marker=MARKERS[i % 8],
                ls=_LINESTYLES[i % 4], label=name)
        texts = labels.get(name)
        if texts is not None:
            if len(texts) != len(eps):
                raise ValueError(f"labels[{name!r}] needs one text per point ({len(eps)}), "
                                 f"got {len(texts)}")
            for x, y, text in zip(eps, acc, texts, strict=True):
                left = i % 2 == 1  # alternate sides so sweeps that share an x stay readable
                ax.annotate(str(text), (x, y), textcoords="offset points",
                            xytext=(-5 if left else 4, 4), ha="right" if left else "left",
                            fontsize=7, color=PALETTE[i % 8])
    if baseline is not None:
        ax.axhline(baseline, ls=":", color="black", label=baseline_label)
    if chance is not None:
        ax.axhline(chance, ls="-.", color="grey", label="chance")
    ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def loss_along_directions(steps, curves: dict, epsilon: float | None = None, ax=None,
                          xlabel: str = "step size t (L-inf, input units)",
                          ylabel: str = "cross-entropy loss", title: str = "Loss landscape"):
    """Loss (y) at ``x + t * d`` against the step ``t`` (x), one curve per direction ``d``.

    A 1-D curve is drawn as it is; a 2-D array ``[examples, steps]`` is drawn as its median
    with the band between the 25th and 75th percentiles, so one unusual example cannot hide
    the typical shape.

    Args:
        steps: step sizes ``t`` (1-D, increasing), in input units of the direction's norm.
        curves: direction label -> losses ``[steps]`` or ``[examples, steps]`` (finite).
        epsilon: the attack budget, drawn as a dotted vertical line, or None.
        ax: axes to draw on, or None for a new figure.
        xlabel, ylabel, title: axis labels (with units) and figure title.

    Returns:
        The figure. Chapter 4.1 (loss along the gradient-sign and a random direction).
    """
    _check_mapping("curves", curves)
    t = as_float_array("steps", steps, ndim=1)
    if len(t) < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("steps must hold at least two strictly increasing step sizes")
    if epsilon is not None:
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number)):
            raise TypeError(f"epsilon must be a number or None, got {type(epsilon).__name__}")
        if not np.isfinite(epsilon) or epsilon < 0:
            raise ValueError(f"epsilon must be a finite number >= 0, got {epsilon!r}")
    fig, ax = _axes(ax, figsize=(6, 3.8))
    for i, (label, values) in enumerate(curves.items()):
        arr = as_float_array(f"curves[{label!r}]", values, ndim=(1, 2))
        if arr.shape[-1] != len(t):
            raise ValueError(f"curves[{label!r}] needs one loss per step ({len(t)}) in its "
                             f"last axis, got shape {arr.shape}")
        color, marker = PALETTE[i % 8], MARKERS[i % 8]
        if arr.ndim == 2:
            low, mid, high = np.percentile(arr, [25, 50, 75], axis=0)
            ax.fill_between(t, low, high, color=color, alpha=0.2, linewidth=0)
            label = f"{label} (median, 25-75%)"
        else:
            mid = arr
        ax.plot(t, mid, color=color, marker=marker, markevery=max(1, len(t) // 8),
                label=label)
    if epsilon is not None:
        ax.axvline(epsilon, color="black", ls=":", label=f"epsilon = {epsilon:g}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def bounds_vs_epsilon(epsilons, lower, upper, exact=None, ax=None, *, logy: bool = True,
                      logx: bool = False,
                      lower_label: str = "attack (lower bound)",
                      upper_label: str = "certificate (upper bound)",
                      xlabel: str = "epsilon (L-inf, input units)",
                      ylabel: str = "worst-case loss", title: str = "Lower and upper bounds"):
    """Lower bounds (attacks) and upper bounds (certificates) of the inner maximum vs epsilon.

    The true worst-case value lies in the shaded band between the two curves; where it is
    known in closed form it can be drawn too.

    Args:
        epsilons: budgets (1-D, increasing, >= 0).
        lower: attack values, one per budget (finite).
        upper: certified bounds, one per budget; each must be >= the matching ``lower``.
        exact: the exact worst case, one per budget, or None.
        ax: axes to draw on, or None for a new figure.
        logy: logarithmic y axis (then every value must be > 0).
        logx: logarithmic x axis (then every epsilon must be > 0).
        lower_label, upper_label: legend labels.
        xlabel, ylabel, title: axis labels (with units) and figure title.

    Returns:
        The figure. Chapter 4.1 (attacks versus interval bound propagation).
    """
    eps = as_float_array("epsilons", epsilons, ndim=1)
    if len(eps) < 1 or np.any(eps < 0) or np.any(np.diff(eps) <= 0):
        raise ValueError("epsilons must be >= 0 and strictly increasing")
    lo = as_float_array("lower", lower, ndim=1)
    hi = as_float_array("upper", upper, ndim=1)
    check_same_length(epsilons=eps, lower=lo, upper=hi)
    if np.any(hi < lo - 1e-9 * np.maximum(1.0, np.abs(lo))):
        raise ValueError("upper must be >= lower at every epsilon (a certificate below an "
                         "attack means a bug)")
    series = {lower_label: lo, upper_label: hi}
    if exact is not None:
        ex = as_float_array("exact", exact, ndim=1)
        check_same_length(epsilons=eps, exact=ex)
        series["exact"] = ex
    if logy and any(np.any(v <= 0) for v in series.values()):
        raise ValueError("with logy=True every value must be > 0")
    if logx and np.any(eps <= 0):
        raise ValueError("with logx=True every epsilon must be > 0")
    fig, ax = _axes(ax, figsize=(6, 3.8))
    ax.fill_between(eps, lo, hi, color="grey", alpha=0.2, linewidth=0,
                    label="where the true worst case lies")
    for i, (label, values) in enumerate(series.items()):
        ax.plot(eps, values, color=PALETTE[i % 8], marker=MARKERS[i % 8],
                ls=_LINESTYLES[i % 4], label=label)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return fig


def audit_bounds(runs: dict, *, ax=None, ylabel: str = "epsilon (delta fixed)",
                 title: str = "Accountant's epsilon and the audit's lower bound"):
    """Per training run: the accountant's epsilon (upper bound) over the audit's lower bound.

    Each run is one x position. A bar from the lower bound up to the accountant's epsilon
    shows the gap that the audit could not close; a run without a finite epsilon (non-private
    training) gets an upward arrow at the top of the axes instead of a bar end.

    Args:
        runs: run label -> ``(accountant_epsilon, lower_bounds)`` where ``accountant_epsilon``
            is > 0 (``inf`` for non-private training) and ``lower_bounds`` maps an audit's
            label (e.g. ``"one run"``) to its lower bound (finite, >= 0). Every run must name
            the same audits, and no lower bound may exceed its run's epsilon (that would be a
            bug in the training code or the accounting, not a figure to draw).
        ax: axes to draw on, or None for a new figure.
        ylabel, title: y-axis label (with units) and figure title.

    Returns:
        The figure. Chapter 6.1 (Jagielski et al. 2020; Steinke, Nasr, Jagielski 2023).
    """
    _check_mapping("runs", runs)
    audit_names = None
    parsed = []
    for label, value in runs.items():
        if not isinstance(value, tuple | list) or len(value) != 2:
            raise TypeError(f"runs[{label!r}] must be (accountant_epsilon, lower_bounds), "
                            f"got {type(value).__name__}")
        upper, lowers = float(value[0]), value[1]
        if not upper > 0:  # also catches NaN
            raise ValueError(f"runs[{label!r}] accountant epsilon must be > 0 (inf allowed), "
                             f"got {value[0]!r}")
        _check_mapping(f"runs[{label!r}] lower_bounds", lowers)
        if audit_names is None:
            audit_names = list(lowers)
        elif list(lowers) != audit_names:
            raise ValueError(f"every run must name the same audits {audit_names}, "
                             f"runs[{label!r}] names {list(lowers)}")
        for name, lb in lowers.items():
            lb = float(lb)
            if not (np.isfinite(lb) and lb >= 0):
                raise ValueError(f"runs[{label!r}] lower bound {name!r} must be finite and "
                                 f">= 0, got {lb!r}")
            if lb > upper:
                raise ValueError(f"runs[{label!r}] lower bound {name!r} = {lb:g} exceeds the "
                                 f"accountant's epsilon {upper:g}: a bug, not a result")
        parsed.append((str(label), upper, {k: float(v) for k, v in lowers.items()}))
    finite = [u for _, u, _ in parsed if np.isfinite(u)]
    highest = max(finite + [lb for _, _, lows in parsed for lb in lows.values()] + [1.0])
    top = 1.25 * highest
    fig, ax = _axes(ax, figsize=(6, 3.8))
    xs = np.arange(len(parsed))
    width = 0.7 / len(audit_names)
    for j, name in enumerate(audit_names):
        offsets = xs - 0.35 + width * (j + 0.5)
        for k, (_, upper, lows) in enumerate(parsed):
            lb, hi = lows[name], (upper if np.isfinite(upper) else top)
            ax.bar(offsets[k], hi - lb, bottom=lb, width=width * 0.9, color=PALETTE[j % 8],
                   alpha=0.2, edgecolor=PALETTE[j % 8], label=None if k else
                   f"{name}: gap the audit cannot close")
            ax.plot(offsets[k], lb, marker=MARKERS[j % 8], color=PALETTE[j % 8], ms=8, ls="",
                    label=None if k else f"{name}: audit lower bound")
    for k, (_, upper, _) in enumerate(parsed):
        if np.isfinite(upper):
            ax.hlines(upper, xs[k] - 0.4, xs[k] + 0.4, color="black", lw=2,
                      label=None if k != _finite_index(parsed) else "accountant's epsilon")
        else:
            ax.annotate("no DP: epsilon = inf", (xs[k], top), xytext=(xs[k], 0.8 * top),
                        ha="center", fontsize=8,
                        arrowprops={"arrowstyle": "->", "color": "black"})
    ax.set_xticks(xs, [label for label, _, _ in parsed])
    ax.set(xlabel="training run", ylabel=ylabel, title=title, ylim=(0, top))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper right")
    return fig


def _finite_index(parsed) -> int:
    """Index of the first run with a finite epsilon (-1 if none); a helper of audit_bounds."""
    return next((k for k, (_, upper, _) in enumerate(parsed) if np.isfinite(upper)), -1)


def tradeoff_scatter(rows: dict, x: str, ys, *, labels: dict | None = None,
                     references: dict | None = None, title: str = "Trade-offs between defences"):
    """One panel per metric in ``ys`` against metric ``x``, one marker per model.

    Shows where each model (standard, adversarially trained, DP, ...) sits between
    robustness, accuracy and privacy leakage (Chapter 2.3).

    Args:
        rows: model name -> dict of metric name -> finite value (every row names ``x`` and
            every metric of ``ys``).
        x: the metric on the horizontal axis of every panel (e.g. ``"robust_accuracy"``).
        ys: the metrics, one panel each (non-empty sequence of names).
        labels: metric name -> axis label with units; missing names label themselves.
        references: metric name -> value drawn as a dashed line (e.g. AUC 0.5 of guessing)
            in the panels whose vertical axis is that metric.
        title: figure title.

    Returns:
        The figure.
    """
    _check_mapping("rows", rows)
    ys = [ys] if isinstance(ys, str) else list(ys)
    if not ys:
        raise ValueError("ys must name at least one metric")
    labels, references = labels or {}, references or {}
    for name, row in rows.items():
        if not isinstance(row, dict):
            raise TypeError(f"rows[{name!r}] must be a dict of metric -> value, "
                            f"got {type(row).__name__}")
        for metric in (x, *ys):
            if metric not in row:
                raise ValueError(f"rows[{name!r}] has no metric {metric!r} (has {sorted(row)})")
            if not np.isfinite(float(row[metric])):
                raise ValueError(f"rows[{name!r}][{metric!r}] must be finite, got "
                                 f"{row[metric]!r}")
    fig, axes = plt.subplots(1, len(ys), figsize=(4.2 * len(ys), 3.6), squeeze=False,
                             constrained_layout=True)
    for ax, metric in zip(axes[0], ys, strict=True):
        for i, (name, row) in enumerate(rows.items()):
            ax.plot(float(row[x]), float(row[metric]), ls="", marker=MARKERS[i % 8], ms=9,
                    color=PALETTE[i % 8], label=str(name))
        if metric in references:
            ax.axhline(float(references[metric]), color="gray", ls="--", lw=1,
                       label=f"reference ({float(references[metric]):g})")
        ax.set(xlabel=labels.get(x, x), ylabel=labels.get(metric, metric))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def clean_vs_robust(results: dict, *, attack_label: str = "PGD", chance: float | None = None,
                    ax=None, ylabel: str = "test accuracy",
                    title: str = "Clean and robust accuracy"):
    """Grouped bars: clean and robust accuracy of each model (adversarial training results).

    Args:
        results: model label -> ``(clean_accuracy, robust_accuracy)``, each in [0, 1], e.g.
            ``{"standard": (0.91, 0.21), "PGD-AT": (0.92, 0.66)}``.
        attack_label: name of the attack that measured robust accuracy (legend text).
        chance: chance accuracy, drawn as a grey dash-dot line, or None.
        ax: axes to draw on, or None for a new figure.
        ylabel, title: axis label and figure title.

    Returns:
        The figure. Chapters 3.1 and 5.1.
    """
    _check_mapping("results", results)
    values = {}
    for name, pair in results.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"results[{name!r}] must be a (clean, robust) pair, got {pair!r}")
        acc = as_float_array(f"results[{name!r}]", pair, ndim=1)
        if np.any((acc < 0) | (acc > 1)):
            raise ValueError(f"results[{name!r}] accuracies must lie in [0, 1], got {pair!r}")
        values[name] = acc
    if chance is not None and not (np.isfinite(chance) and 0 <= chance <= 1):
        raise ValueError(f"chance must be an accuracy in [0, 1], got {chance!r}")
    fig, ax = _axes(ax, figsize=(max(4.5, 1.2 * len(values) + 2), 3.6))
    pos = np.arange(len(values))
    width = 0.38
    for j, (label, hatch) in enumerate((("clean", ""), (f"robust ({attack_label})", "//"))):
        heights = [acc[j] for acc in values.values()]
        bars = ax.bar(pos + (j - 0.5) * width, heights, width, color=PALETTE[j], hatch=hatch,
                      edgecolor="white", label=label)
        for bar, h in zip(bars, heights, strict=True):
            ax.annotate(f"{h:.0%}", (bar.get_x() + bar.get_width() / 2, h),
                        textcoords="offset points", xytext=(0, 2), ha="center", fontsize=7)
    if chance is not None:
        ax.axhline(chance, ls="-.", color="grey", label="chance")
    ax.set_xticks(pos)
    ax.set_xticklabels(list(values), fontsize=8)
    ax.set(xlabel="model", ylabel=ylabel, title=title, ylim=(0, 1.1))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper right", ncol=3)
    return fig


def overfitting_monitor(series: dict, stopped: dict | None = None, ax=None,
                        xlabel: str = "epoch", ylabel: str = "accuracy on a training slice",
                        title: str = "Catastrophic-overfitting monitor"):
    """Per-epoch accuracies of adversarial training runs, with detected collapses marked.

    Args:
        series: label -> per-epoch values in [0, 1] (e.g. the monitor's ``history`` of PGD
            accuracy, or the training log's FGSM accuracy); epochs are numbered from 1.
        stopped: label -> epoch (0-based, as ``CatastrophicOverfittingMonitor.stopped_epoch``)
            at which a collapse was detected, or None; drawn as a cross.
        ax: axes to draw on, or None for a new figure.
        xlabel, ylabel, title: axis labels and figure title.

    Returns:
        The figure. Chapter 3.1.
    """
    _check_mapping("series", series)
    stopped = stopped or {}
    unknown = [k for k in stopped if k not in series]
    if unknown:
        raise ValueError(f"stopped names series that are not in series: {unknown}")
    fig, ax = _axes(ax, figsize=(6, 3.6))
    for i, (name, values) in enumerate(series.items()):
        acc = as_float_array(f"series[{name!r}]", values, ndim=1)
        if acc.size == 0 or np.any((acc < 0) | (acc > 1)):
            raise ValueError(f"series[{name!r}] must hold at least one accuracy in [0, 1]")
        epochs = np.arange(1, acc.size + 1)
        ax.plot(epochs, acc, color=PALETTE[i % 8], marker=MARKERS[i % 8],
                ls=_LINESTYLES[i % 4], label=name)
        at = stopped.get(name)
        if at is not None:
            if not isinstance(at, (int, np.integer)) or not 0 <= at < acc.size:
                raise ValueError(f"stopped[{name!r}] must be an epoch index in [0, {acc.size}), "
                                 f"got {at!r}")
            ax.plot(at + 1, acc[at], marker="X", ms=12, color="black", ls="none",
                    label=f"collapse detected ({name})")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def success_vs_queries(series: dict, reference: dict | None = None, ax=None,
                       xlabel: str = "query budget per example (model evaluations)",
                       ylabel: str = "attack success rate",
                       title: str = "Black-box attack success against its query budget"):
    """Success rate (y) of query-based attacks against the query budget (x).

    Args:
        series: label -> ``(budgets, success rates)`` (budgets >= 0, rates in [0, 1]), e.g.
            from ``np.mean(result.success & (result.queries <= q))`` for each budget ``q``.
        reference: label -> one success rate drawn as a horizontal dashed line (e.g. the
            white-box attack at the same epsilon), or None.
        ax: axes to draw on, or None for a new figure.
        xlabel, ylabel, title: axis labels (with units) and figure title.

    Returns:
        The figure. Guo et al. 2019 (SimBA); Chapter 2.1.
    """
    _check_mapping("series", series)
    reference = reference or {}
    if not isinstance(reference, dict):
        raise TypeError("reference must be a dict of label -> rate, got "
                        f"{type(reference).__name__}")
    fig, ax = _axes(ax)
    for i, (name, pair) in enumerate(series.items()):
        budgets, rates = _xy_pair(f"series[{name!r}]", pair)
        if np.any(budgets < 0):
            raise ValueError(f"series[{name!r}] budgets must be >= 0")
        if np.any((rates < 0) | (rates > 1)):
            raise ValueError(f"series[{name!r}] success rates must lie in [0, 1]")
        order = np.argsort(budgets)
        ax.plot(budgets[order], rates[order], color=PALETTE[i % 8], marker=MARKERS[i % 8],
                markevery=max(1, len(budgets) // 10), label=name)
    for j, (name, rate) in enumerate(reference.items(), start=len(series)):
        if not (isinstance(rate, (int, float, np.floating)) and 0 <= rate <= 1):
            raise ValueError(f"reference[{name!r}] must be a success rate in [0, 1], got {rate!r}")
        ax.axhline(float(rate), ls="--", color=PALETTE[j % 8], label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def defence_panels(rows: dict, metrics, *, labels: dict | None = None,
                   references: dict | None = None,
                   title: str = "What each defence buys, and what it costs"):
    """One bar panel per metric, one bar per model: what each defence bought and cost.

    The capstone's summary figure (Chapter 6.2): the same models (baseline, adversarially
    trained, DP, ...) side by side on clean accuracy, robust accuracy, membership advantage,
    training time and so on, each bar labelled with its value.

    Args:
        rows: model name -> dict of metric name -> finite value (every row names every metric).
        metrics: the metrics, one panel each (a name or a non-empty sequence of names).
        labels: metric name -> axis label with units; missing names label themselves.
        references: metric name -> value drawn as a dashed line in that metric's panel (e.g. 1
            for a time ratio to the baseline, 0 for the advantage of guessing).
        title: figure title.

    Returns:
        The figure.
    """
    _check_mapping("rows", rows)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one metric")
    labels, references = labels or {}, references or {}
    for name, row in rows.items():
        if not isinstance(row, dict):
            raise TypeError(f"rows[{name!r}] must be a dict of metric -> value, "
                            f"got {type(row).__name__}")
        for metric in metrics:
            if metric not in row:
                raise ValueError(f"rows[{name!r}] has no metric {metric!r} (has {sorted(row)})")
            if not np.isfinite(float(row[metric])):
                raise ValueError(f"rows[{name!r}][{metric!r}] must be finite, got "
                                 f"{row[metric]!r}")
    names = [str(name) for name in rows]
    positions = np.arange(len(names))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.4), squeeze=False,
                             constrained_layout=True)
    for ax, metric in zip(axes[0], metrics, strict=True):
        values = [float(row[metric]) for row in rows.values()]
        bars = ax.bar(positions, values, color=[PALETTE[i % 8] for i in positions],
                      edgecolor="black", lw=0.6)
        for i, bar in enumerate(bars):
            bar.set_label(names[i])
            bar.set_hatch(("", "//", "..", "xx", "\\\\", "++", "oo", "--")[i % 8])
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        if metric in references:
            ax.axhline(float(references[metric]), color="gray", ls="--", lw=1)
        ax.set_xticks(positions, names, rotation=30, ha="right", fontsize=8)
        ax.set(xlabel="model", ylabel=labels.get(metric, metric))
        ax.margins(y=0.15)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def rates_with_intervals(series: dict, *, xlabel: str, ylabel: str, title: str,
                         logx: bool = False, lines: dict | None = None, ax=None):
    """Proportions (y) with their confidence intervals against a setting (x), one line per
    series: e.g. a backdoor's attack success rate against the poisoning rate.

    Args:
        series: label -> ``(x values, intervals)``, the intervals ``rnnsec.stats.Interval``
            objects of proportions in [0, 1], one per x value.
        xlabel, ylabel, title: axis labels (with units) and figure title.
        logx: a symmetric-log x axis (linear near 0, for rates that include 0).
        lines: label -> ``(x values, y values)``, curves drawn dashed without error bars
            beside the measured series: e.g. the group-privacy bound on the success rate.
        ax: axes to draw on, or None for a new figure.

    Returns:
        The figure; each point has an error bar from ``low`` to ``high``. Chapter 2.4.
    """
    from rnnsec.stats import Interval

    _check_mapping("series", series)
    fig, ax = _axes(ax, figsize=(6, 3.8))
    for i, (name, pair) in enumerate(series.items()):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"series[{name!r}] must be a pair (x values, intervals)")
        xs = as_float_array(f"series[{name!r}] x values", pair[0], ndim=1)
        intervals = list(pair[1])
        if not all(isinstance(iv, Interval) for iv in intervals):
            raise TypeError(f"series[{name!r}] intervals must be rnnsec.stats.Interval objects")
        check_same_length(x=xs, intervals=intervals)
        est = np.array([iv.estimate for iv in intervals])
        err = np.array([[iv.estimate - iv.low for iv in intervals],
                        [iv.high - iv.estimate for iv in intervals]])
        err = np.maximum(err, 0.0)  # Wilson ends at 0 or 1 can miss the estimate by rounding
        ax.errorbar(xs, est, yerr=err, color=PALETTE[i % 8], marker=MARKERS[i % 8],
                    ls=_LINESTYLES[i % 4], capsize=3, label=name)
    if lines is not None:
        _check_mapping("lines", lines)
    for j, (name, pair) in enumerate((lines or {}).items(), start=len(series)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"lines[{name!r}] must be a pair (x values, y values)")
        xs = as_float_array(f"lines[{name!r}] x values", pair[0], ndim=1)
        ys = as_float_array(f"lines[{name!r}] y values", pair[1], ndim=1)
        check_same_length(x=xs, y=ys)
        ax.plot(xs, ys, color=PALETTE[j % 8], ls="--", marker="_", label=name)
    if logx:
        ax.set_xscale("symlog", linthresh=0.01)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(-0.02, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
