"""How well does a membership inference attack work? ROC, AUC, TPR at low FPR, advantage.

An attack gives each example a score, higher meaning "more likely a training member"; the
metrics here compare the scores with the truth (``is_member``). Carlini et al. 2022 ("Membership
inference attacks from first principles") argue for reporting the TPR at a low FPR (and the ROC
on log-log axes) rather than only the AUC or accuracy, because an attack matters when it is
*confidently* right about a few examples. Yeom et al. 2018 define the membership advantage
``max_t TPR(t) - FPR(t)``. Pure NumPy; no model needed. Chapter 2.2 (membership inference)
teaches these metrics; ``rnnsec.privacy.attacks`` produces the scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnnsec._validate import (
    as_float_array,
    as_int_array,
    check_number,
    check_same_length,
    readonly_float_array,
)

if TYPE_CHECKING:  # the significance module builds on this one
    from rnnsec.privacy.significance import MembershipSignificance

__all__ = [
    "RocResult",
    "MembershipAttackResult",
    "roc_curve",
    "auc",
    "tpr_at_fpr",
    "membership_advantage",
    "evaluate_attack",
]

DEFAULT_FPRS = (0.001, 0.01, 0.1)


@dataclass(frozen=True, eq=False, kw_only=True)
class RocResult:
    """An ROC curve: one point per distinct score threshold, from (0, 0) to (1, 1).

    Attributes:
        fpr: false positive rates, shape [K], non-decreasing, starting at 0.
        tpr: true positive rates, shape [K], non-decreasing, starting at 0.
        thresholds: the score thresholds, shape [K], decreasing; point k predicts "member"
            for scores >= thresholds[k] (thresholds[0] is +inf: nobody is predicted member).
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray

    @property
    def auc(self) -> float:
        """Area under the curve (trapezoidal rule)."""
        return float(np.sum(np.diff(self.fpr) * (self.tpr[1:] + self.tpr[:-1]) / 2))

    def as_dict(self) -> dict:
        """The curve as a dict of lists (``fpr``, ``tpr``, ``thresholds``)."""
        return {"fpr": self.fpr.tolist(), "tpr": self.tpr.tolist(),
                "thresholds": self.thresholds.tolist()}

    def __repr__(self) -> str:
        return f"RocResult({len(self.fpr)} points, auc={self.auc:.4f})"


@dataclass(frozen=True, kw_only=True)
class MembershipAttackResult:
    """Summary of a membership inference attack on a set of members and non-members.

    Attributes:
        name: a label for tables (e.g. ``"loss threshold"``).
        n_members, n_nonmembers: how many examples of each kind were scored.
        auc: area under the ROC curve (0.5 = guessing).
        advantage: membership advantage ``max TPR - FPR`` (Yeom et al. 2018), in [0, 1].
        tpr_at_fpr: pairs ``(fpr, tpr)``: the best TPR at FPR <= fpr.
        roc: the full :class:`RocResult`.
        significance: intervals and shuffled-label nulls of the metrics
            (:class:`~rnnsec.privacy.significance.MembershipSignificance`), or None; see
            ``MembershipScores.with_significance``.
    """

    name: str
    n_members: int
    n_nonmembers: int
    auc: float
    advantage: float
    tpr_at_fpr: tuple[tuple[float, float], ...]
    roc: RocResult
    significance: MembershipSignificance | None = None

    def as_dict(self) -> dict:
        """Scalar fields as one table row; TPRs as ``"tpr@fpr=0.001"`` columns (with interval
        ends and null quantiles when :attr:`significance` is set)."""
        row = {"name": self.name, "n_members": self.n_members,
               "n_nonmembers": self.n_nonmembers, "auc": self.auc, "advantage": self.advantage}
        row.update({f"tpr@fpr={f:g}": t for f, t in self.tpr_at_fpr})
        if self.significance is not None:
            row.update(self.significance.as_dict())
        return row

    def __repr__(self) -> str:
        head = (f"MembershipAttackResult({self.name!r}: {self.n_members} members vs "
                f"{self.n_nonmembers} non-members")
        if self.significance is not None:
            return f"{head}\n  " + str(self.significance).replace("\n", "\n  ") + ")"
        tprs = ", ".join(f"TPR {t:.3f} at FPR {f:g}" for f, t in self.tpr_at_fpr)
        return f"{head}; AUC {self.auc:.3f}, advantage {self.advantage:.3f}; {tprs})"


def as_labels(name: str, value) -> np.ndarray:
    """A 1-D boolean array from 0/1 or True/False values; anything else raises naming ``name``.

    (``rnnsec._validate.as_int_array`` refuses boolean dtype, so booleans are turned into
    0/1 integers first.)
    """
    arr = np.asarray(value)
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    return as_int_array(name, arr, ndim=1, low=0, high=2).astype(bool)


def _check_scores(scores, is_member) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (scores [N] float64, is_member [N] bool) with both classes present."""
    s = as_float_array("scores", scores, ndim=1).astype(np.float64)
    m = as_labels("is_member", is_member)
    check_same_length(scores=s, is_member=m)
    if m.sum() == 0 or m.sum() == len(m):
        raise ValueError("is_member must contain both members (1) and non-members (0); got "
                         f"{int(m.sum())} members out of {len(m)}")
    return s, m


def roc_curve(scores, is_member) -> RocResult:
    """ROC curve of the rule "predict member when score >= t", over every distinct t.

    Tied scores move together (one point per distinct score), so the curve does not depend on
    the order of the examples; it matches ``sklearn.metrics.roc_curve(...,
    drop_intermediate=False)``.

    Args:
        scores: attack scores, shape [N], finite; higher means "more likely a member".
        is_member: 1/True for training members, 0/False for non-members, shape [N]; both
            classes must be present.

    Returns:
        A :class:`RocResult`.

    Used by the other metrics here and by :func:`evaluate_attack`.
    """
    s, m = _check_scores(scores, is_member)
    order = np.argsort(-s, kind="stable")  # [N], highest score first
    s, m = s[order], m[order]
    last_of_run = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # end of each tie run
    tp = np.cumsum(m)[last_of_run]
    fp = np.cumsum(~m)[last_of_run]
    tpr = np.r_[0.0, tp / m.sum()]
    fpr = np.r_[0.0, fp / (~m).sum()]
    thresholds = np.r_[np.inf, s[last_of_run]]
    return RocResult(fpr=readonly_float_array(fpr), tpr=readonly_float_array(tpr),
                     thresholds=readonly_float_array(thresholds))


def auc(scores, is_member) -> float:
    """Area under the ROC curve: P(member score > non-member score) + P(tie) / 2.

    Args:
        scores, is_member: as in :func:`roc_curve`.

    Returns:
        AUC in [0, 1]; 0.5 is random guessing.

    Hanley & McNeil 1982 (AUC = Mann-Whitney statistic). Chapter 2.2.
    """
    return roc_curve(scores, is_member).auc


def _tpr_at(roc: RocResult, fpr: float) -> float:
    """Largest TPR among the curve's points with FPR <= fpr."""
    return float(roc.tpr[roc.fpr <= fpr].max())


def tpr_at_fpr(scores, is_member, fpr: float) -> float:
    """Best true positive rate of a threshold rule whose false positive rate is <= ``fpr``.

    Only thresholds are used (no randomised mixing of two thresholds), so this is the value a
    reader reads off the ROC step curve at that FPR. With ``N0`` non-members an FPR below
    ``1 / N0`` means "no false positive at all".

    Args:
        scores, is_member: as in :func:`roc_curve`.
        fpr: the allowed false positive rate, in (0, 1).

    Returns:
        TPR in [0, 1].

    Carlini et al. 2022, "Membership inference attacks from first principles". Used by
    :meth:`rnnsec.privacy.attacks.MembershipScores.tpr_at`.
    """
    check_number("fpr", fpr, low=0, high=1, low_open=True, high_open=True)
    return _tpr_at(roc_curve(scores, is_member), fpr)


def membership_advantage(scores, is_member) -> float:
    """Membership advantage ``max_t TPR(t) - FPR(t)`` of the best threshold.

    Args:
        scores, is_member: as in :func:`roc_curve`.

    Returns:
        Advantage in [0, 1] (0 at the trivial thresholds; 1 for perfect separation).

    Yeom, Giacomelli, Fredrikson, Jha 2018, "Privacy risk in machine learning", Definition 4.
    Used by :func:`evaluate_attack` (the ``advantage`` of every attack's result).
    """
    return _advantage(roc_curve(scores, is_member))


def _advantage(roc: RocResult) -> float:
    return float(np.max(roc.tpr - roc.fpr))


def evaluate_attack(scores, is_member, fprs: Sequence[float] = DEFAULT_FPRS,
                    name: str = "attack") -> MembershipAttackResult:
    """All the metrics of one attack at once, as a :class:`MembershipAttackResult`.

    Args:
        scores, is_member: as in :func:`roc_curve`.
        fprs: false positive rates in (0, 1) at which to report the TPR.
        name: a label for tables.

    Returns:
        A :class:`MembershipAttackResult`.

    Used by every attack in :mod:`rnnsec.privacy.attacks` (the ``result`` of its
    :class:`~rnnsec.privacy.attacks.MembershipScores`).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if isinstance(fprs, (str, bytes)) or not isinstance(fprs, Sequence) or len(fprs) == 0:
        raise ValueError(f"fprs must be a non-empty sequence of numbers in (0, 1), got {fprs!r}")
    for f in fprs:
        check_number("fprs", f, low=0, high=1, low_open=True, high_open=True)
    s, m = _check_scores(scores, is_member)
    roc = roc_curve(s, m)
    return MembershipAttackResult(
        name=name, n_members=int(m.sum()), n_nonmembers=int((~m).sum()), auc=roc.auc,
        advantage=_advantage(roc),
        tpr_at_fpr=tuple((float(f), _tpr_at(roc, f)) for f in fprs), roc=roc)
