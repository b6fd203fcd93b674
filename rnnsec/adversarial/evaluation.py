"""Robustness evaluation: robust accuracy, robustness curves, and gradient-masking checks.

A robust accuracy is only an upper bound: it holds until a stronger attack is found. The
sanity checks follow Athalye, Carlini, Wagner 2018 and Carlini et al. 2019 ("On evaluating
adversarial robustness"): when a defence masks gradients instead of being robust, more attack
steps or restarts stop helping, a black-box attack beats the white-box one, or even a huge
epsilon does not bring accuracy down to chance. Each check returns pass/fail with its numbers.

Taught in Chapter 2.1 (robustness curves and gradient-masking checks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnsec._validate import as_float_array, as_int_array, check_number
from rnnsec.adversarial.apgd import apgd
from rnnsec.adversarial.blackbox import simba
from rnnsec.adversarial.results import AttackResult
from rnnsec.adversarial.text import embedding_fgm, embedding_pgd
from rnnsec.adversarial.whitebox import fgsm, pgd

__all__ = ["ATTACKS", "run_attack", "robust_accuracy", "RobustnessCurve", "robustness_curve",
           "SanityCheck", "SanityReport", "sanity_checks"]

ATTACKS: dict[str, Callable[..., AttackResult]] = {
    "fgsm": fgsm, "pgd": pgd, "apgd": apgd, "simba": simba,
    "embedding_fgm": embedding_fgm, "embedding_pgd": embedding_pgd,
}


def run_attack(attack, model, x, y, epsilon: float, **kwargs) -> AttackResult:
    """Run an attack given by name (a key of ``ATTACKS``) or as a callable.

    A callable is called as ``attack(model, x, y, epsilon, **kwargs)`` and must return an
    ``AttackResult``.
    """
    if isinstance(attack, str):
        if attack not in ATTACKS:
            allowed = ", ".join(repr(k) for k in ATTACKS)
            raise ValueError(f"attack must be one of {allowed} or a callable, got {attack!r}")
        attack = ATTACKS[attack]
    if not callable(attack):
        raise TypeError(f"attack must be a name or a callable, got {type(attack).__name__}")
    result = attack(model, x, y, epsilon, **kwargs)
    if not isinstance(result, AttackResult):
        raise TypeError(f"attack must return an AttackResult, got {type(result).__name__}")
    return result


def robust_accuracy(model, x, y, attack="pgd", epsilon: float = 0.1, **kwargs) -> float:
    """Accuracy of ``model`` on ``attack``'s adversarial versions of ``(x, y)``.

    Args:
        model: classifier returning logits.
        x, y: inputs and true labels.
        attack: a name in ``ATTACKS`` or a callable ``(model, x, y, epsilon, **kw)``.
        epsilon: the attack budget.
        **kwargs: passed to the attack (``norm``, ``steps``, ``clip_min``, ``seed``, ...).

    Returns:
        The fraction of examples still classified correctly (an upper bound on the true
        robust accuracy).

    Chapter 2.1.
    """
    result = run_attack(attack, model, x, y, epsilon, **kwargs)
    if result.targeted:
        raise ValueError("robust_accuracy needs an untargeted attack (targeted=False)")
    return result.robust_accuracy


@dataclass(frozen=True, repr=False)
class RobustnessCurve:
    """Robust accuracy for several attacks and epsilons: one row per (attack, epsilon).

    Attributes:
        rows: dicts with ``attack``, ``epsilon``, ``norm``, ``clean_accuracy``,
            ``robust_accuracy``, ``success_rate``, ``mean_perturbation_norm`` and
            ``mean_queries`` (None for white-box attacks).
    """

    rows: tuple[dict, ...]

    COLUMNS = ("attack", "epsilon", "norm", "clean_accuracy", "robust_accuracy",
               "success_rate", "mean_perturbation_norm", "mean_queries")

    def as_dict(self) -> dict[str, list]:
        """The table as columns: ``{column: [value per row]}``."""
        return {c: [row[c] for row in self.rows] for c in self.COLUMNS}

    def to_frame(self):
        """The table as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError("to_frame needs pandas; use as_dict() or rows without it") from err
        return pd.DataFrame(list(self.rows), columns=list(self.COLUMNS))

    def accuracy(self, attack: str) -> tuple[np.ndarray, np.ndarray]:
        """``(epsilons, robust accuracies)`` of one attack, in increasing epsilon."""
        rows = sorted((r for r in self.rows if r["attack"] == attack), key=lambda r: r["epsilon"])
        if not rows:
            raise ValueError(f"attack must be one of {sorted({r['attack'] for r in self.rows})}"
                             f", got {attack!r}")
        return (np.array([r["epsilon"] for r in rows]),
                np.array([r["robust_accuracy"] for r in rows]))

    def __repr__(self) -> str:
        lines = [f"{'attack':<14}{'epsilon':>9}{'clean':>8}{'robust':>8}{'queries':>9}"]
        for r in self.rows:
            queries = "-" if r["mean_queries"] is None else f"{r['mean_queries']:.1f}"
            lines.append(f"{r['attack']:<14}{r['epsilon']:>9.4g}{r['clean_accuracy']:>8.3f}"
                         f"{r['robust_accuracy']:>8.3f}{queries:>9}")
        return "RobustnessCurve(\n  " + "\n  ".join(lines) + "\n)"


def robustness_curve(model, x, y, epsilons: Sequence[float], attacks=("fgsm", "pgd"),
                     attack_kwargs: dict | None = None, **common) -> RobustnessCurve:
    """Robust accuracy of ``model`` for each attack at each epsilon.

    Args:
        model: classifier returning logits.
        x, y: inputs and true labels.
        epsilons: budgets to evaluate (each >= 0).
        attacks: names in ``ATTACKS`` or callables.
        attack_kwargs: per-attack extra arguments, ``{name: {...}}``.
        **common: arguments passed to every attack (``norm``, ``clip_min``, ``mask``, ...).

    Returns:
        A ``RobustnessCurve`` (rows in the order attacks x epsilons).

    Chapter 2.1.
    """
    epsilons = as_float_array("epsilons", list(epsilons), ndim=1)
    if len(epsilons) == 0:
        raise ValueError("epsilons must hold at least one value")
    for eps in epsilons:
        check_number("epsilons", float(eps), low=0)
    if isinstance(attacks, str) or callable(attacks):
        attacks = (attacks,)
    attack_kwargs = attack_kwargs or {}
    rows = []
    for attack in attacks:
        name = attack if isinstance(attack, str) else getattr(attack, "__name__", "attack")
        for eps in epsilons:
            kwargs = {**common, **attack_kwargs.get(name, {})}
            result = run_attack(attack, model, x, y, float(eps), **kwargs)
            summary = result.as_dict()
            rows.append({"attack": name, "epsilon": float(eps), "norm": result.norm,
                         **{k: summary[k] for k in RobustnessCurve.COLUMNS[3:]}})
    return RobustnessCurve(rows=tuple(rows))


@dataclass(frozen=True)
class SanityCheck:
    """One gradient-masking check: its name, whether it passed, and the numbers behind it."""

    name: str
    passed: bool
    details: dict = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        """The check as one flat table row."""
        return {"check": self.name, "passed": self.passed, "message": self.message,
                **self.details}


@dataclass(frozen=True, repr=False)
class SanityReport:
    """All the sanity checks of one evaluation."""

    checks: tuple[SanityCheck, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    def __getitem__(self, name: str) -> SanityCheck:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; have {[c.name for c in self.checks]}")

    def as_dict(self) -> dict:
        """``{"passed": bool, "checks": [row per check]}``."""
        return {"passed": self.passed, "checks": [c.as_dict() for c in self.checks]}

    def __repr__(self) -> str:
        lines = [f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.message}" for c in self.checks]
        return "SanityReport(\n  " + "\n  ".join(lines) + "\n)"


def sanity_checks(model, x, y, epsilon: float, *, norm: str = "inf",
                  clip_min: float | None = None, clip_max: float | None = None, mask=None,
                  steps: int = 10, more_steps: int = 50, restarts: int = 5,
                  large_epsilons: Sequence[float] | None = None, max_queries: int = 500,
                  tolerance: float = 0.03, seed: int = 0,
                  progress: bool = False) -> SanityReport:
    """Check an evaluation for signs of gradient masking (Carlini et al. 2019, Section 5).

    Checks (accuracies are robust accuracies, ``tolerance`` is in accuracy):

    - ``more_steps``: PGD with ``more_steps`` steps is not weaker than with ``steps``.
    - ``more_restarts``: PGD with ``restarts`` random restarts is not weaker than with one.
    - ``iterative_vs_single_step``: PGD is at least as strong as FGSM.
    - ``black_box_vs_white_box``: the black-box SimBA does not beat white-box PGD.
    - ``large_epsilon_to_chance``: as epsilon grows (``large_epsilons``; default
      ``epsilon * [1, 2, 4, 8, 16]``, or up to the whole input range when it is bounded) PGD
      accuracy does not rise and ends at or below chance (the majority class's share).

    Args:
        model: classifier returning logits (continuous inputs ``[B, T, D]``).
        x, y: inputs and true labels.
        epsilon: the budget of the evaluation being checked (> 0).
        norm, clip_min, clip_max, mask: as in ``pgd``.
        steps, more_steps: PGD steps of the base and the longer attack.
        restarts: restarts of the restarted attack (>= 2).
        large_epsilons: increasing budgets for the last check.
        max_queries: SimBA's query budget per example.
        tolerance: slack for the comparisons, in accuracy (>= 0).
        seed: seed of every attack.
        progress: show progress bars.

    Returns:
        A ``SanityReport``; ``report.passed`` is True when every check passed.

    Chapter 2.1.
    """
    check_number("epsilon", epsilon, low=0, low_open=True)
    check_number("steps", steps, low=1, integer=True)
    check_number("more_steps", more_steps, low=steps + 1, integer=True)
    check_number("restarts", restarts, low=2, integer=True)
    check_number("tolerance", tolerance, low=0, high=1)
    y_arr = as_int_array("y", y, ndim=1, low=0)
    common = dict(norm=norm, clip_min=clip_min, clip_max=clip_max, mask=mask,
                  progress=progress)
    base = pgd(model, x, y, epsilon, steps=steps, seed=seed, **common)
    checks = [
        _not_weaker("more_steps", base, pgd(model, x, y, epsilon, steps=more_steps, seed=seed,
                                            **common), f"{steps} steps", f"{more_steps} steps",
                    tolerance),
        _not_weaker("more_restarts", base, pgd(model, x, y, epsilon, steps=steps,
                                               restarts=restarts, seed=seed, **common),
                    "1 restart", f"{restarts} restarts", tolerance),
        _not_weaker("iterative_vs_single_step", fgsm(model, x, y, epsilon, **common), base,
                    "FGSM", f"PGD-{steps}", tolerance),
        _black_box_check(base, simba(model, x, y, epsilon, max_queries=max_queries, seed=seed,
                                     **common), tolerance),
    ]
    if large_epsilons is None:
        top = (clip_max - clip_min) if (clip_min is not None and clip_max is not None
                                        and norm == "inf") else 16 * epsilon
        large_epsilons = np.geomspace(epsilon, max(top, epsilon), 5)
    large_epsilons = [float(e) for e in as_float_array("large_epsilons", list(large_epsilons),
                                                       ndim=1)]
    accs = [pgd(model, x, y, e, steps=steps, seed=seed, **common).robust_accuracy
            for e in large_epsilons]
    checks.append(_chance_check(large_epsilons, accs, y_arr, tolerance))
    return SanityReport(checks=tuple(checks))


def _not_weaker(name, weak: AttackResult, strong: AttackResult, weak_label, strong_label,
                tolerance) -> SanityCheck:
    passed = strong.robust_accuracy <= weak.robust_accuracy + tolerance
    details = {"weaker_attack": weak_label, "weaker_accuracy": weak.robust_accuracy,
               "stronger_attack": strong_label, "stronger_accuracy": strong.robust_accuracy}
    msg = (f"robust accuracy {weak.robust_accuracy:.3f} ({weak_label}) -> "
           f"{strong.robust_accuracy:.3f} ({strong_label})")
    return SanityCheck(name, bool(passed), details, msg)


def _black_box_check(white: AttackResult, black: AttackResult, tolerance) -> SanityCheck:
    passed = black.success_rate <= white.success_rate + tolerance
    details = {"white_box_success": white.success_rate, "black_box_success": black.success_rate,
               "black_box_mean_queries": black.mean_queries}
    msg = (f"success white-box PGD {white.success_rate:.3f}, black-box SimBA "
           f"{black.success_rate:.3f} ({black.mean_queries:.0f} queries on average)")
    return SanityCheck("black_box_vs_white_box", bool(passed), details, msg)


def _chance_check(epsilons, accs, y, tolerance) -> SanityCheck:
    chance = float(np.bincount(y).max() / len(y))
    monotone = all(b <= a + tolerance for a, b in zip(accs, accs[1:], strict=False))
    reaches = accs[-1] <= chance + tolerance
    details = {"epsilons": list(epsilons), "accuracies": list(accs), "chance": chance,
               "non_increasing": monotone}
    msg = (f"accuracy {' -> '.join(f'{a:.3f}' for a in accs)} for epsilon "
           f"{epsilons[0]:.3g} .. {epsilons[-1]:.3g}; chance {chance:.3f}")
    return SanityCheck("large_epsilon_to_chance", bool(monotone and reaches), details, msg)
