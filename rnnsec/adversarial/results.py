"""The result of an adversarial attack: one frozen dataclass shared by every attack.

White-box attacks (FGSM, PGD, embedding-space FGM, gradient-guided word substitution) leave
``queries`` as None; black-box attacks report the model queries each example used. Text attacks
that substitute words fill ``words_changed``. Returned by the attacks of
:mod:`rnnsec.adversarial` (:func:`~rnnsec.adversarial.fgsm`, :func:`~rnnsec.adversarial.pgd`,
:func:`~rnnsec.adversarial.simba`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec.adversarial._core import attack_succeeded, per_example_norm


@dataclass(frozen=True, repr=False, eq=False)
class AttackResult:
    """Adversarial examples and what they achieved, one entry per example.

    Attributes:
        attack: the attack's name (``"fgsm"``, ``"pgd"``, ...).
        x_adv: adversarial inputs, same shape as the clean inputs (float ``[B, T, D]``, token
            ids ``[B, L]``, or perturbed embeddings ``[B, L, E]`` for embedding attacks).
        success: ``[B]`` bool. Untargeted: the adversarial prediction differs from the label
            (an example the model already got wrong counts as a success). Targeted: the
            adversarial prediction equals the target.
        perturbation_norm: ``[B]`` size of ``x_adv - x`` in the attack's norm, over the whole
            sequence (for word substitutions: the number of words changed).
        y: ``[B]`` the labels the attack was given (true labels, or targets when ``targeted``).
        pred_clean: ``[B]`` the model's predictions on the clean inputs.
        pred_adv: ``[B]`` its predictions on ``x_adv``.
        norm: ``"inf"``, ``"2"`` or ``"words"``.
        epsilon: the attack budget in that norm.
        targeted: whether ``y`` holds targets.
        queries: ``[B]`` model queries used per example (black-box attacks), else None.
        words_changed: ``[B]`` words substituted per example (word attacks), else None.
    """

    attack: str
    x_adv: np.ndarray
    success: np.ndarray
    perturbation_norm: np.ndarray
    y: np.ndarray
    pred_clean: np.ndarray
    pred_adv: np.ndarray
    norm: str
    epsilon: float
    targeted: bool = False
    queries: np.ndarray | None = None
    words_changed: np.ndarray | None = None

    @property
    def num_examples(self) -> int:
        """Number of attacked examples."""
        return int(len(self.success))

    @property
    def success_rate(self) -> float:
        """Fraction of examples on which the attack succeeded."""
        return float(np.mean(self.success)) if self.num_examples else 0.0

    @property
    def clean_accuracy(self) -> float | None:
        """Accuracy on the clean inputs; None for targeted attacks, where ``y`` holds targets."""
        return None if self.targeted else float(np.mean(self.pred_clean == self.y))

    @property
    def robust_accuracy(self) -> float | None:
        """Accuracy on the adversarial inputs (None for targeted attacks)."""
        return None if self.targeted else float(np.mean(self.pred_adv == self.y))

    @property
    def mean_queries(self) -> float | None:
        """Mean queries per example (None for white-box attacks)."""
        return None if self.queries is None else float(np.mean(self.queries))

    @property
    def mean_words_changed(self) -> float | None:
        """Mean words changed over the successful examples (None if not a word attack)."""
        if self.words_changed is None:
            return None
        hits = self.words_changed[self.success]
        return float(np.mean(hits)) if len(hits) else 0.0

    def as_dict(self, arrays: bool = False) -> dict:
        """Summary numbers as a dict (one table row); ``arrays=True`` adds the per-example arrays.

        Args:
            arrays: include ``x_adv``, ``success``, ``perturbation_norm``, predictions,
                ``queries`` and ``words_changed``.
        """
        row = {
            "attack": self.attack,
            "norm": self.norm,
            "epsilon": float(self.epsilon),
            "targeted": self.targeted,
            "num_examples": self.num_examples,
            "success_rate": self.success_rate,
            "clean_accuracy": self.clean_accuracy,
            "robust_accuracy": self.robust_accuracy,
            "mean_perturbation_norm": float(np.mean(self.perturbation_norm)),
            "max_perturbation_norm": float(np.max(self.perturbation_norm)),
            "mean_queries": self.mean_queries,
            "mean_words_changed": self.mean_words_changed,
        }
        if arrays:
            row.update(x_adv=self.x_adv, success=self.success,
                       perturbation_norm=self.perturbation_norm, y=self.y,
                       pred_clean=self.pred_clean, pred_adv=self.pred_adv,
                       queries=self.queries, words_changed=self.words_changed)
        return row

    def __repr__(self) -> str:
        parts = [f"attack={self.attack!r}", f"n={self.num_examples}", f"norm={self.norm!r}",
                 f"epsilon={self.epsilon:g}", f"success_rate={self.success_rate:.3f}"]
        if not self.targeted:
            parts += [f"clean_accuracy={self.clean_accuracy:.3f}",
                      f"robust_accuracy={self.robust_accuracy:.3f}"]
        else:
            parts.append("targeted=True")
        if self.queries is not None:
            parts.append(f"mean_queries={self.mean_queries:.1f}")
        if self.words_changed is not None:
            parts.append(f"mean_words_changed={self.mean_words_changed:.2f}")
        return f"AttackResult({', '.join(parts)})"


def make_result(attack: str, x: np.ndarray, x_adv: np.ndarray, y: np.ndarray,
                pred_clean: np.ndarray, pred_adv: np.ndarray, *, norm: str, epsilon: float,
                targeted: bool, queries: np.ndarray | None = None,
                words_changed: np.ndarray | None = None,
                perturbation_norm: np.ndarray | None = None) -> AttackResult:
    """Build an ``AttackResult``, computing success and (unless given) the perturbation norm."""
    if perturbation_norm is None:
        perturbation_norm = per_example_norm(x_adv - x, norm)
    return AttackResult(
        attack=attack, x_adv=x_adv, success=attack_succeeded(pred_adv, y, targeted),
        perturbation_norm=np.asarray(perturbation_norm, dtype=np.float64), y=y,
        pred_clean=pred_clean, pred_adv=pred_adv, norm=norm, epsilon=float(epsilon),
        targeted=targeted, queries=queries, words_changed=words_changed)
