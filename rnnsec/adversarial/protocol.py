"""The book's robust-accuracy protocol: several strong attacks, the per-example worst case.

A robust accuracy is an upper bound that holds until a stronger attack is found, so one weak
attack (PGD-10, one start) can make a model look robust when it is not. Following Carlini et
al. 2019 ("On evaluating adversarial robustness") and Croce & Hein 2020 (AutoAttack), the book
counts an example as robust only if it survives every attack of a diverse set:

- PGD with >= 50 steps and >= 3 random restarts on the cross-entropy and on the CW margin
  (the margin does not saturate where the cross-entropy's gradient vanishes);
- APGD-CE and APGD-DLR (step sizes chosen by the attack; DLR is invariant to rescaled logits).

:func:`evaluate_robustness` runs them and returns a :class:`RobustnessReport`: clean and
robust accuracy with Wilson 95% intervals, each attack's accuracy, the worst-case
adversarial input of every example and the CPU seconds each attack took.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import check_number
from rnnsec.adversarial._core import (
    check_attack_inputs,
    check_batching,
    check_norm,
    logits_of,
    make_rng,
)
from rnnsec.adversarial._losses import attack_loss_numpy, check_loss
from rnnsec.adversarial.apgd import apgd as _apgd
from rnnsec.adversarial.whitebox import pgd
from rnnsec.stats import Interval, proportion_interval
from rnnsec.timing import cpu_seconds

__all__ = ["RobustnessReport", "evaluate_robustness"]


@dataclass(frozen=True, repr=False, eq=False)
class RobustnessReport:
    """The result of :func:`evaluate_robustness`.

    Attributes:
        epsilon, norm: the threat model (ball radius in ``norm``, in input units).
        n: number of evaluated examples.
        clean_accuracy, robust_accuracy: accuracies on clean inputs and under the worst case
            of all attacks (an example is robust only if it survives every attack).
        clean_interval, robust_interval: their Wilson intervals (``rnnsec.stats``).
        attack_accuracies: ``{attack: accuracy}`` of each attack on its own, over all ``n``
            examples; None for an attack that ``cascade`` ran only on the survivors of the
            attacks before it.
        cumulative_accuracies: ``{attack: accuracy}`` of the worst case over this attack and
            every attack before it (non-increasing; the last equals ``robust_accuracy``).
        attacked: ``{attack: examples it ran on}``.
        cpu_seconds: ``{attack: CPU seconds}`` of each attack run.
        robust: ``[n]`` bool, per example.
        x_adv: ``[n, T, D]`` the worst-case input of each example: one that is misclassified
            if any attack found one, else the one with the largest CW margin
            ``max_{j != y} z_j - z_y`` (the clean input when nothing came closer).
        steps, restarts: the PGD budget (APGD runs ``steps`` steps, one restart).
        cascade: whether later attacks ran only on the examples still robust.
    """

    epsilon: float
    norm: str
    n: int
    clean_accuracy: float
    robust_accuracy: float
    clean_interval: Interval
    robust_interval: Interval
    attack_accuracies: dict
    cumulative_accuracies: dict
    attacked: dict
    cpu_seconds: dict
    robust: np.ndarray
    x_adv: np.ndarray
    steps: int
    restarts: int
    cascade: bool

    @property
    def attacks(self) -> tuple[str, ...]:
        """The attacks in the order they ran."""
        return tuple(self.cumulative_accuracies)

    @property
    def total_cpu_seconds(self) -> float:
        """CPU seconds of all attacks together."""
        return float(sum(self.cpu_seconds.values()))

    def as_dict(self) -> dict:
        """The summary numbers as one flat table row (no per-example arrays)."""
        row = {"epsilon": self.epsilon, "norm": self.norm, "n": self.n,
               "clean_accuracy": self.clean_accuracy, "robust_accuracy": self.robust_accuracy,
               "robust_low": self.robust_interval.low, "robust_high": self.robust_interval.high,
               "steps": self.steps, "restarts": self.restarts, "cascade": self.cascade,
               "cpu_seconds": self.total_cpu_seconds}
        row.update({f"accuracy[{a}]": v for a, v in self.attack_accuracies.items()})
        return row

    def summary(self) -> str:
        """A readable table: one line per attack, then the worst case with its interval."""
        lines = [f"Robustness at epsilon={self.epsilon:g} (L{self.norm}), n={self.n}, "
                 f"PGD {self.steps} steps x {self.restarts} restarts, APGD {self.steps} steps"
                 f"{', cascade' if self.cascade else ''}",
                 f"  clean accuracy {self.clean_interval.text()} (95% Wilson)",
                 f"  {'attack':<12}{'alone':>8}{'so far':>8}{'attacked':>10}{'CPU s':>8}"]
        for name, cumulative in self.cumulative_accuracies.items():
            alone = self.attack_accuracies[name]
            alone_text = "-" if alone is None else f"{alone:.3f}"
            lines.append(f"  {name:<12}{alone_text:>8}{cumulative:>8.3f}"
                         f"{self.attacked[name]:>10}{self.cpu_seconds[name]:>8.1f}")
        lines.append(f"  robust accuracy (worst case) {self.robust_interval.text()} "
                     f"(95% Wilson)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"RobustnessReport(\n{self.summary()}\n)"


def evaluate_robustness(model, x, y, epsilon: float, *, norm: str = "inf", steps: int = 50,
                        restarts: int = 3, losses=("ce", "margin"), apgd: bool = True,
                        mask=None, clip_min: float | None = None, clip_max: float | None = None,
                        seed=0, batch_size: int = 256, cascade: bool = True,
                        progress: bool = False) -> RobustnessReport:
    """Robust accuracy by the book's protocol: the per-example worst case of strong attacks.

    Runs PGD (``steps`` steps, ``restarts`` random restarts, step ``2.5 * epsilon / steps``)
    once per loss in ``losses``, then (``apgd=True``) APGD-CE and APGD-DLR with ``steps``
    steps (APGD on the margin loss instead of DLR when the model has only 2 classes). An
    example counts as robust only if it is classified correctly when clean and under every
    attack. With ``cascade`` (as AutoAttack does) each attack runs only on the examples still
    robust, which gives the same robust accuracy for less work; per-attack accuracies of the
    later attacks are then unknown (None). Each attack gets its own seed drawn from ``seed``.

    Args:
        model: a Keras model mapping ``[B, T, D]`` to logits ``[B, C]``.
        x: clean inputs ``[B, T, D]``.
        y: true integer labels ``[B]``.
        epsilon: ball radius (>= 0) in ``norm``, in input units.
        norm: ``"inf"`` or ``"2"`` (over the whole sequence of each example).
        steps: PGD and APGD steps (>= 1; the book uses >= 50).
        restarts: PGD random restarts (>= 1; the book uses >= 3).
        losses: PGD's losses, distinct names among ``"ce"``, ``"margin"``, ``"dlr"``.
        apgd: also run APGD-CE and APGD-DLR.
        mask: ``[B, T]``, 1 = real step, 0 = padding (never changed); None = all real.
        clip_min, clip_max: valid input range (None = unbounded).
        seed: int, ``np.random.Generator`` or None (NumPy's global state).
        batch_size: examples attacked together.
        cascade: run each attack only on the examples that are still robust.
        progress: show progress bars.

    Returns:
        A :class:`RobustnessReport`.

    Carlini et al. 2019; Croce & Hein 2020; Madry et al. 2018 (PGD). Chapter 5.1 scores
    every model with it.
    """
    check_number("epsilon", epsilon, low=0)
    check_norm(norm)
    check_batching(batch_size, progress)
    check_number("steps", steps, low=1, integer=True)
    check_number("restarts", restarts, low=1, integer=True)
    for name, flag in (("apgd", apgd), ("cascade", cascade)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    x, y, mask, classes = check_attack_inputs(model, x, y, targeted=False, mask=mask,
                                              clip_min=clip_min, clip_max=clip_max)
    losses = _check_losses(losses, classes)
    if not losses and not apgd:
        raise ValueError("losses must name at least one loss when apgd=False (no attack "
                         "would run)")
    rng = make_rng(seed)
    common = dict(norm=norm, clip_min=clip_min, clip_max=clip_max, batch_size=batch_size,
                  progress=progress)
    runs = [(f"pgd-{loss}", pgd, dict(steps=steps, restarts=restarts, loss=loss))
            for loss in losses]
    if apgd:
        runs += [(f"apgd-{loss}", _apgd, dict(steps=steps, loss=loss))
                 for loss in ("ce", "dlr" if classes >= 3 else "margin")]
    worst = _WorstCase(model, x, y, batch_size)
    table = {"alone": {}, "cumulative": {}, "attacked": {}, "seconds": {}}
    for name, attack, kwargs in runs:
        idx = np.flatnonzero(worst.robust) if cascade else np.arange(len(x))
        seconds, pred_adv = 0.0, np.empty(0, dtype=np.int64)
        if len(idx):
            result, seconds = cpu_seconds(attack, model, x[idx], y[idx], epsilon,
                                          mask=mask[idx], seed=int(rng.integers(2**31 - 1)),
                                          **kwargs, **common)
            worst.update(idx, result.x_adv, result.pred_adv)
            pred_adv = result.pred_adv
        complete = len(idx) == len(x) or (not table["alone"] and cascade)
        alone = (np.sum(pred_adv == y[idx]) / len(x)) if complete else None
        table["alone"][name] = None if alone is None else float(alone)
        table["cumulative"][name] = float(worst.robust.mean())
        table["attacked"][name], table["seconds"][name] = int(len(idx)), float(seconds)
    return _report(worst, epsilon, norm, steps, restarts, cascade, table)


def _check_losses(losses, classes: int) -> tuple[str, ...]:
    if isinstance(losses, str) or not hasattr(losses, "__iter__"):
        raise TypeError(f"losses must be a tuple of loss names, got {losses!r}")
    losses = tuple(losses)
    if len(set(losses)) != len(losses):
        raise ValueError(f"losses must be distinct, got {losses!r}")
    for loss in losses:
        check_loss(loss, classes)
    return losses


class _WorstCase:
    """Per example: is any input found misclassified, and the worst input so far."""

    def __init__(self, model, x, y, batch_size):
        self.model, self.y, self.batch_size = model, y, batch_size
        logits = logits_of(model, x, batch_size)  # [n, C]
        self.clean_correct = np.argmax(logits, axis=1) == y
        self.robust = self.clean_correct.copy()
        self.margin = attack_loss_numpy(logits, y, "margin")  # [n], > 0: misclassified
        self.x = x.copy()

    def update(self, idx, x_adv, pred_adv) -> None:
        """Fold one attack's inputs for the examples ``idx`` into the worst case."""
        margin = attack_loss_numpy(logits_of(self.model, x_adv, self.batch_size), self.y[idx],
                                   "margin")
        broken = pred_adv != self.y[idx]
        old_broken = ~self.robust[idx]
        # a misclassified input beats a correct one; otherwise the larger margin wins
        take = (broken & ~old_broken) | ((broken == old_broken) & (margin > self.margin[idx]))
        self.x[idx[take]] = x_adv[take]
        self.margin[idx[take]] = margin[take]
        self.robust[idx[broken]] = False


def _report(worst: _WorstCase, epsilon, norm, steps, restarts, cascade, table):
    n = len(worst.y)
    clean, robust = float(worst.clean_correct.mean()), float(worst.robust.mean())
    return RobustnessReport(
        epsilon=float(epsilon), norm=norm, n=n, clean_accuracy=clean, robust_accuracy=robust,
        clean_interval=proportion_interval(clean, n=n),
        robust_interval=proportion_interval(robust, n=n),
        attack_accuracies=table["alone"], cumulative_accuracies=table["cumulative"],
        attacked=table["attacked"], cpu_seconds=table["seconds"], robust=worst.robust.copy(),
        x_adv=worst.x, steps=steps, restarts=restarts, cascade=cascade)
