"""Is a membership attack's success more than noise? Intervals and the shuffled-label null.

An AUC of 0.55, an advantage of 0.07 or a TPR of 3% at 1% FPR, measured on a few hundred
candidates, can come from an attack that knows nothing: the metrics scatter on finite samples,
and the advantage (a maximum over thresholds) is positive even for random scores. Two numbers
say how far to trust one:

- an **interval**: DeLong's for the AUC (``rnnsec.stats.auc_interval``), a bootstrap that
  resamples members and non-members separately for the advantage and for the TPR at a fixed
  FPR (:func:`tpr_at_fpr_interval`), with the number of false positives the threshold rests
  on: at FPR 1% of 200 non-members, the threshold is set by the top 2 non-member scores;
- the **null**: the same metric with the membership labels shuffled (scores and group sizes
  kept, any link between them destroyed), :func:`membership_null`. Leakage is claimed only
  above the null's upper quantile.

:func:`attack_significance` computes all of them for one attack; its result is attached to
a :class:`~rnnsec.privacy.metrics.MembershipAttackResult` by
``rnnsec.privacy.attacks.MembershipScores.with_significance`` and printed with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnsec._validate import check_number, readonly_float_array
from rnnsec.privacy.metrics import DEFAULT_FPRS, RocResult, _check_scores, roc_curve
from rnnsec.stats import (
    Interval,
    NullDistribution,
    auc_interval,
    bootstrap_draws,
    percentile_interval,
)

__all__ = [
    "TprAtFpr",
    "MembershipNull",
    "MembershipSignificance",
    "tpr_at_fpr_interval",
    "membership_null",
    "attack_significance",
]


@dataclass(frozen=True, kw_only=True)
class TprAtFpr:
    """The TPR of the best threshold with FPR <= ``fpr``, its interval and what it rests on.

    Attributes:
        fpr: the allowed false positive rate.
        interval: :class:`~rnnsec.stats.Interval` of the TPR (stratified bootstrap).
        false_positives: non-members at or above the chosen threshold on the full sample.
        allowed_false_positives: ``floor(fpr * n_nonmembers)``, the most the FPR allows; 0
            means the threshold must lie above every non-member (one score decides it).
        n_nonmembers: the number of non-members.
    """

    fpr: float
    interval: Interval
    false_positives: int
    allowed_false_positives: int
    n_nonmembers: int

    def __str__(self) -> str:
        return (f"TPR at FPR <= {self.fpr:g}: {self.interval} (rests on "
                f"{self.false_positives} false positives of {self.n_nonmembers} non-members)")

    __repr__ = __str__


@dataclass(frozen=True, kw_only=True)
class MembershipNull:
    """The membership metrics under shuffled membership labels.

    Attributes:
        auc, advantage: :class:`~rnnsec.stats.NullDistribution` of each.
        tpr_at_fpr: pairs ``(fpr, NullDistribution)`` of the TPR at each FPR.
    """

    auc: NullDistribution
    advantage: NullDistribution
    tpr_at_fpr: tuple[tuple[float, NullDistribution], ...]

    def __str__(self) -> str:
        parts = [f"AUC {self.auc.text()}", f"advantage {self.advantage.text()}",
                 *(f"TPR@{f:g} {d.text()}" for f, d in self.tpr_at_fpr)]
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"MembershipNull({self}; {self.auc.method})"


@dataclass(frozen=True, kw_only=True)
class MembershipSignificance:
    """Intervals and nulls of one attack's metrics (see :func:`attack_significance`).

    Attributes:
        auc: DeLong's interval of the AUC.
        advantage: stratified bootstrap interval of the advantage (biased upwards like the
            advantage itself: read it against the null).
        tpr_at_fpr: one :class:`TprAtFpr` per FPR.
        null: the :class:`MembershipNull`, or None when it was not computed.
    """

    auc: Interval
    advantage: Interval
    tpr_at_fpr: tuple[TprAtFpr, ...]
    null: MembershipNull | None = None

    def leaks(self, metric: str = "auc") -> bool:
        """True when ``metric`` ("auc" or "advantage") lies above its null's upper quantile."""
        if metric not in ("auc", "advantage"):
            raise ValueError(f"metric must be 'auc' or 'advantage', got {metric!r}")
        if self.null is None:
            raise ValueError("no null was computed; call attack_significance with "
                             "n_permutations > 0")
        return getattr(self.null, metric).exceeded()

    def as_dict(self) -> dict:
        """Interval ends, false-positive counts and null quantiles as one table row."""
        row = {"auc_low": self.auc.low, "auc_high": self.auc.high,
               "advantage_low": self.advantage.low, "advantage_high": self.advantage.high}
        for t in self.tpr_at_fpr:
            row.update({f"tpr@fpr={t.fpr:g}_low": t.interval.low,
                        f"tpr@fpr={t.fpr:g}_high": t.interval.high,
                        f"tpr@fpr={t.fpr:g}_false_positives": t.false_positives})
        if self.null is not None:
            row.update({"auc_null": self.null.auc.threshold,
                        "advantage_null": self.null.advantage.threshold})
            row.update({f"tpr@fpr={f:g}_null": d.threshold for f, d in self.null.tpr_at_fpr})
        return row

    def __str__(self) -> str:
        null = self.null
        lines = [f"AUC {self.auc}" + (f", null {null.auc.threshold:.3f}" if null else ""),
                 f"advantage {self.advantage}"
                 + (f", null {null.advantage.threshold:.3f}" if null else "")]
        for i, t in enumerate(self.tpr_at_fpr):
            lines.append(str(t) + (f", null {null.tpr_at_fpr[i][1].threshold:.3f}"
                                   if null else ""))
        level = f" (nulls: {null.auc.level * 100:g}% quantiles)" if null else ""
        return "\n".join(lines) + level

    def __repr__(self) -> str:
        return "MembershipSignificance(\n  " + str(self).replace("\n", "\n  ") + ")"


def _check_fprs(fprs) -> tuple[float, ...]:
    if isinstance(fprs, (str, bytes)) or not isinstance(fprs, Sequence) or len(fprs) == 0:
        raise ValueError(f"fprs must be a non-empty sequence of numbers in (0, 1), got {fprs!r}")
    for f in fprs:
        check_number("fprs", f, low=0, high=1, low_open=True, high_open=True)
    return tuple(float(f) for f in fprs)


def _metrics(roc: RocResult, fprs: tuple[float, ...]) -> np.ndarray:
    """[auc, advantage, tpr@fpr_1, ...] of one ROC curve."""
    tprs = [roc.tpr[roc.fpr <= f].max() for f in fprs]
    return np.array([roc.auc, np.max(roc.tpr - roc.fpr), *tprs])


def _false_positives(roc: RocResult, fpr: float, n_nonmembers: int) -> int:
    """Non-members above the threshold that gives the best TPR at FPR <= fpr."""
    ok = roc.fpr <= fpr
    best = np.flatnonzero(ok)[np.argmax(roc.tpr[ok])]  # first point with the best TPR
    return int(round(roc.fpr[best] * n_nonmembers))


def tpr_at_fpr_interval(scores, is_member, fpr: float, *, n_resamples: int = 1000,
                        seed: int = 0, level: float = 0.95) -> TprAtFpr:
    """Bootstrap interval of the TPR at FPR <= ``fpr``, and the false positives it rests on.

    Members and non-members are resampled separately (their numbers stay fixed, so the FPR's
    resolution ``1 / n_nonmembers`` does too). At a low FPR the threshold is set by the few
    highest-scored non-members: the returned counts say how few.

    Args:
        scores, is_member: as in :func:`rnnsec.privacy.metrics.roc_curve` (at least 2 of each).
        fpr: the allowed false positive rate, in (0, 1).
        n_resamples: bootstrap resamples (>= 100).
        seed: seed of the resampling.
        level: confidence level in (0, 1).

    Returns:
        :class:`TprAtFpr`.

    Carlini et al. 2022, "Membership inference attacks from first principles" (TPR at low
    FPR); Efron & Tibshirani 1993 (the stratified bootstrap).
    """
    return attack_significance(scores, is_member, fprs=(fpr,), n_resamples=n_resamples,
                               n_permutations=0, seed=seed, level=level).tpr_at_fpr[0]


def _null(s: np.ndarray, m: np.ndarray, fprs: tuple[float, ...], observed: np.ndarray, *,
          n_permutations: int, seed: int, level: float) -> MembershipNull:
    rng = np.random.default_rng(seed)
    draws = np.array([_metrics(roc_curve(s, rng.permutation(m)), fprs)
                      for _ in range(n_permutations)])  # [n_permutations, 2 + len(fprs)]
    method = f"{n_permutations} shuffles of the membership labels"

    def dist(name: str, j: int) -> NullDistribution:
        return NullDistribution(name=name, observed=float(observed[j]),
                                draws=readonly_float_array(draws[:, j]), level=level,
                                method=method)

    return MembershipNull(auc=dist("AUC", 0), advantage=dist("advantage", 1),
                          tpr_at_fpr=tuple((f, dist(f"TPR at FPR {f:g}", 2 + i))
                                           for i, f in enumerate(fprs)))


def membership_null(scores, is_member, *, fprs: Sequence[float] = DEFAULT_FPRS,
                    n_permutations: int = 200, seed: int = 0,
                    level: float = 0.95) -> MembershipNull:
    """AUC, advantage and TPR at each FPR under shuffled membership labels.

    The scores and the numbers of members and non-members are kept; shuffling which candidates
    are called members makes the scores uninformative. A measured metric is leakage only above
    the null's upper ``level`` quantile (``.threshold``), which for the advantage is well above
    0: about ``1.22 / sqrt(n_members * n_nonmembers / N)`` at 95% for continuous scores (the
    one-sided Kolmogorov-Smirnov limit).

    Args:
        scores, is_member: as in :func:`rnnsec.privacy.metrics.roc_curve`.
        fprs: false positive rates in (0, 1) for the TPR.
        n_permutations: number of shuffles (>= 20).
        seed: seed of the shuffles.
        level: the quantile reported as each null's ``threshold``, in (0, 1).

    Returns:
        :class:`MembershipNull`.

    Good 2005 (permutation tests); Yeom et al. 2018 (the advantage).
    """
    check_number("n_permutations", n_permutations, low=20, integer=True)
    check_number("seed", seed, low=0, integer=True)
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    fprs = _check_fprs(fprs)
    s, m = _check_scores(scores, is_member)
    return _null(s, m, fprs, _metrics(roc_curve(s, m), fprs), n_permutations=n_permutations,
                 seed=seed, level=float(level))


def attack_significance(scores, is_member, *, fprs: Sequence[float] = DEFAULT_FPRS,
                        n_resamples: int = 1000, n_permutations: int = 200, seed: int = 0,
                        level: float = 0.95) -> MembershipSignificance:
    """Intervals of an attack's AUC, advantage and TPRs at low FPR, and their null.

    Args:
        scores, is_member: as in :func:`rnnsec.privacy.metrics.roc_curve`; at least 2 members
            and 2 non-members.
        fprs: false positive rates in (0, 1) for the TPR.
        n_resamples: bootstrap resamples for the advantage and TPR intervals (>= 100).
        n_permutations: label shuffles for the null (>= 20), or 0 for no null.
        seed: seed of the resampling and of the shuffles.
        level: confidence level of the intervals and quantile level of the nulls.

    Returns:
        :class:`MembershipSignificance`; ``str()`` of it is a small table.

    DeLong et al. 1988 (the AUC's interval); Efron & Tibshirani 1993 (stratified bootstrap);
    Good 2005 (permutation null); Carlini et al. 2022 (TPR at low FPR).
    """
    check_number("level", level, low=0, high=1, low_open=True, high_open=True)
    check_number("n_permutations", n_permutations, low=0, integer=True)
    if 0 < n_permutations < 20:
        raise ValueError(f"n_permutations must be 0 (no null) or >= 20, got {n_permutations}")
    fprs = _check_fprs(fprs)
    s, m = _check_scores(scores, is_member)
    if min(m.sum(), (~m).sum()) < 2:
        raise ValueError(f"is_member must hold at least 2 members and 2 non-members for the "
                         f"bootstrap, got {int(m.sum())} and {int((~m).sum())}")
    roc = roc_curve(s, m)
    observed = _metrics(roc, fprs)  # [2 + len(fprs)]
    draws = bootstrap_draws(lambda a, b: _metrics(roc_curve(a, b), fprs), s, m,
                            n_resamples=n_resamples, seed=seed, strata=m)
    method = f"bootstrap, {n_resamples} resamples within members and non-members"
    n0 = int((~m).sum())
    tprs = tuple(TprAtFpr(
        fpr=f, interval=percentile_interval(draws[:, 2 + i], observed[2 + i], level=level,
                                            method=method),
        false_positives=_false_positives(roc, f, n0),
        allowed_false_positives=int(np.floor(f * n0 + 1e-9)), n_nonmembers=n0)
        for i, f in enumerate(fprs))
    null = (_null(s, m, fprs, observed, n_permutations=n_permutations, seed=seed,
                  level=float(level)) if n_permutations else None)
    return MembershipSignificance(
        auc=auc_interval(s, m, level=level),
        advantage=percentile_interval(draws[:, 1], observed[1], level=level, method=method),
        tpr_at_fpr=tprs, null=null)
