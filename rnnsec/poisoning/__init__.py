"""Training-time attacks on recurrent networks: backdoors, label flipping, defences, DP bounds.

- Triggers (``rnnsec.poisoning.triggers``): ``SequenceTrigger`` (a pattern over ``k``
  steps of a continuous sequence, at a fixed, final or random position inside the real steps)
  and ``TokenTrigger`` (a rare word or a phrase inserted into text; Dai, Chen & Li 2019;
  Chen et al. 2021), ``alternating_pattern``.
- Poisoning (``rnnsec.poisoning.poison``): ``poison_dataset`` (dirty- or clean-label
  backdoor at an exact rate), ``flip_labels`` (random or targeted label flipping).
- Targeted poisoning (``rnnsec.poisoning.targeted``): ``poison_targets`` (copies of chosen
  test inputs under the attacker's labels; Shafahi et al. 2018).
- Measures (``rnnsec.poisoning.evaluation``): ``evaluate_backdoor`` -> ``BackdoorReport``
  (clean accuracy and attack success rate on triggered non-target inputs, with intervals).
- Defences (``rnnsec.poisoning.defences``): ``spectral_signatures`` (Tran et al. 2018)
  and ``activation_clustering`` (Chen et al. 2018) on ``penultimate_features`` (the RNN's
  final hidden state), scored by ``detection_report`` (TPR and FPR with intervals).
- Model repair (``rnnsec.poisoning.pruning``): ``fine_prune`` (Liu, Dolan-Gavitt & Garg
  2018: prune the final hidden units that clean data leaves least active, then fine-tune on
  clean data), ``pruning_curve``, ``prune_classifier``, ``unit_activity``.
- Test-time filtering for text (``rnnsec.poisoning.onion``): ``onion_scores`` and
  ``onion_filter`` (Qi et al. 2021's outlier-word removal) with a ``BigramLanguageModel``.
- The DP link (``rnnsec.poisoning.bounds``): ``group_privacy_bound`` and
  ``poisoning_success_bound`` (Ma, Zhu & Hsu 2019).

Evasion attacks, which change test inputs only, are in :mod:`rnnsec.adversarial`. Taught in
Chapter 2.4.
"""

from rnnsec.poisoning.bounds import group_privacy_bound, poisoning_success_bound
from rnnsec.poisoning.defences import (
    Detection,
    DetectionReport,
    activation_clustering,
    detection_report,
    penultimate_features,
    spectral_signatures,
)
from rnnsec.poisoning.evaluation import BackdoorReport, evaluate_backdoor
from rnnsec.poisoning.onion import BigramLanguageModel, onion_filter, onion_scores
from rnnsec.poisoning.poison import (
    FlippedLabels,
    PoisonedData,
    flip_labels,
    poison_count,
    poison_dataset,
)
from rnnsec.poisoning.pruning import (
    FinePruned,
    PruningCurve,
    fine_prune,
    prune_classifier,
    pruning_curve,
    unit_activity,
)
from rnnsec.poisoning.targeted import TargetedPoison, poison_targets
from rnnsec.poisoning.triggers import (
    SequenceTrigger,
    TokenTrigger,
    TriggeredBatch,
    alternating_pattern,
)

__all__ = [
    "SequenceTrigger", "TokenTrigger", "TriggeredBatch", "alternating_pattern",
    "PoisonedData", "FlippedLabels", "poison_count", "poison_dataset", "flip_labels",
    "TargetedPoison", "poison_targets",
    "BackdoorReport", "evaluate_backdoor",
    "penultimate_features", "spectral_signatures", "activation_clustering", "Detection",
    "DetectionReport", "detection_report",
    "unit_activity", "PruningCurve", "pruning_curve", "prune_classifier", "FinePruned",
    "fine_prune",
    "BigramLanguageModel", "onion_scores", "onion_filter",
    "group_privacy_bound", "poisoning_success_bound",
]
