"""How well a backdoor works: clean accuracy and attack success rate, with intervals.

A backdoor attack has two goals at once, so it is measured twice on held-out data (Gu et al.
2017; Chen et al. 2021):

- **clean accuracy**: the poisoned model's accuracy on clean test inputs (the attack should
  leave it where the clean model had it, or nobody notices the model is poisoned);
- **attack success rate (ASR)**: the fraction of triggered test inputs *of every class but the
  target* that the model assigns to the target (inputs of the target class would count the
  model's ordinary accuracy as success).

Both are proportions, reported with Wilson intervals (``rnnsec.stats.proportion_interval``).
The same ASR measured on a model trained without poison is the attack's baseline: what the
trigger does to a model that never saw it. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number, check_same_length
from rnnsec.poisoning.triggers import SequenceTrigger, TokenTrigger, _rng
from rnnsec.privacy.attacks import model_logits
from rnnsec.stats import Interval, proportion_interval

__all__ = ["BackdoorReport", "evaluate_backdoor"]


@dataclass(frozen=True)
class BackdoorReport:
    """Clean accuracy and attack success of a (possibly) backdoored model.

    Attributes:
        clean_accuracy: accuracy on the clean test inputs (Wilson interval, n = all of them).
        attack_success: fraction of triggered non-target test inputs classified as the target.
        per_class_success: the same, for each source class ``{class: Interval}``.
        target: the backdoor's target label.
    """

    clean_accuracy: Interval
    attack_success: Interval
    per_class_success: dict
    target: int

    def as_dict(self) -> dict:
        """Point estimates and interval ends as plain floats, for tables."""
        out = {"target": self.target}
        for name in ("clean_accuracy", "attack_success"):
            iv = getattr(self, name)
            out.update({name: iv.estimate, f"{name}_low": iv.low, f"{name}_high": iv.high})
        return out

    def __repr__(self) -> str:
        return (f"BackdoorReport(clean accuracy {self.clean_accuracy.text()}, attack success "
                f"{self.attack_success.text()} to class {self.target})")


def _rate(hits: np.ndarray) -> Interval:
    return proportion_interval(float(hits.mean()), n=len(hits))


def evaluate_backdoor(model, x, y, *, trigger, target: int, lengths=None, seed=0,
                      batch_size: int = 256) -> BackdoorReport:
    """Clean accuracy on ``(x, y)`` and attack success of ``trigger`` on its non-target inputs.

    Args:
        model: a Keras classifier returning logits ``[N, C]``.
        x: clean test inputs (``[N, T, D]`` floats or ``[N, L]`` token ids).
        y: their labels ``[N]``; at least one must differ from ``target``.
        trigger: the :class:`~rnnsec.poisoning.SequenceTrigger` or
            :class:`~rnnsec.poisoning.TokenTrigger` the attacker adds at test time.
        target: the backdoor's target label.
        lengths: real length of each test input ``[N]`` (None: all steps, or the non-zero
            ids of text).
        seed: seed of the trigger positions.
        batch_size: prediction batch size.

    Returns:
        :class:`BackdoorReport` with Wilson intervals.

    Gu et al. 2017 (BadNets); Chen et al. 2021 (BadNL). Chapter 2.4.
    """
    if not isinstance(trigger, (SequenceTrigger, TokenTrigger)):
        raise TypeError("trigger must be a SequenceTrigger or a TokenTrigger, got "
                        f"{type(trigger).__name__}")
    y = as_int_array("y", y, ndim=1, low=0)
    check_same_length(x=x, y=y)
    check_number("target", target, low=0, integer=True)
    others = np.flatnonzero(y != target)
    if len(others) == 0:
        raise ValueError(f"y must contain examples of classes other than target={target}")
    x = np.asarray(x)
    clean_pred = model_logits(model, x, batch_size).argmax(axis=1)
    sub_lengths = None if lengths is None else np.asarray(lengths)[others]
    triggered = trigger.apply(x[others], lengths=sub_lengths, seed=_rng(seed)).x
    hits = model_logits(model, triggered, batch_size).argmax(axis=1) == target  # [N_others]
    per_class = {int(c): _rate(hits[y[others] == c]) for c in np.unique(y[others])}
    return BackdoorReport(_rate(clean_pred == y), _rate(hits), per_class, int(target))
