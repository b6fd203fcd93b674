"""Adversarial robustness of recurrent networks: attacks, adversarial training, evaluation.

- White-box attacks on continuous sequences: ``fgsm``, ``pgd`` (Chapter 2.1), and ``apgd``
  (Croce & Hein 2020's auto-PGD with the CE or DLR loss).
- White-box attacks on text: ``embedding_fgm``, ``embedding_pgd`` (embedding space, Miyato et
  al. 2017) and ``word_substitution`` (gradient-guided word swaps) (Chapter 2.1);
  ``same_class_candidates`` keeps only the swaps that keep a word's sentiment class.
- Black-box attacks, every query counted: ``simba``, ``greedy_word_substitution``,
  ``transfer_attack`` (Chapter 2.1); ``square_attack`` (Andriushchenko et al. 2020), the
  gradient-free check of white-box evaluations (Chapter 3.1).
- Evaluation: ``robust_accuracy``, ``robustness_curve``, ``sanity_checks`` (Chapter 2.1);
  the book's robust-accuracy protocol ``evaluate_robustness`` (PGD with restarts on the CE and
  margin losses, APGD-CE and APGD-DLR, per-example worst case) -> ``RobustnessReport``.
- Adversarial training with ``fit``: ``AdversarialTrainer(model, method)`` with a method
  object: the per-example input transforms ``PGD`` and ``FGSMRS`` (which also compose with DP
  training: ``make_private(..., adversary=PGD(...))``), and ``Free``, ``TRADES``,
  ``EmbeddingAT``, ``EmbeddingVAT``; ``CatastrophicOverfittingMonitor`` (Chapter 3.1).

The attacks and the training methods take the same PGD step (``_steps``: steepest direction,
projection, range clipping, random start uniform in the ball).

Every attack validates its inputs, never changes padded steps, and returns an ``AttackResult``.
"""

from rnnsec.adversarial.apgd import apgd, apgd_checkpoints
from rnnsec.adversarial.blackbox import (
    LabelOracle,
    QueryBudgetExceeded,
    ScoreOracle,
    SubstituteTraining,
    TransferResult,
    greedy_word_substitution,
    simba,
    transfer_attack,
)
from rnnsec.adversarial.constraints import same_class_candidates
from rnnsec.adversarial.evaluation import (
    ATTACKS,
    RobustnessCurve,
    SanityCheck,
    SanityReport,
    robust_accuracy,
    robustness_curve,
    run_attack,
    sanity_checks,
)
from rnnsec.adversarial.methods import TRADES, EmbeddingAT, EmbeddingVAT, Free, TrainingMethod
from rnnsec.adversarial.protocol import RobustnessReport, evaluate_robustness
from rnnsec.adversarial.results import AttackResult
from rnnsec.adversarial.square import square_attack
from rnnsec.adversarial.text import (
    TextModelParts,
    embedding_fgm,
    embedding_pgd,
    nearest_neighbors,
    split_text_model,
    word_substitution,
)
from rnnsec.adversarial.training import AdversarialTrainer, CatastrophicOverfittingMonitor
from rnnsec.adversarial.transforms import FGSMRS, PGD, InputTransform
from rnnsec.adversarial.whitebox import fgsm, pgd

__all__ = [
    "AttackResult", "fgsm", "pgd", "apgd", "apgd_checkpoints", "square_attack",
    "embedding_fgm", "embedding_pgd", "word_substitution", "nearest_neighbors",
    "same_class_candidates",
    "split_text_model", "TextModelParts",
    "simba", "greedy_word_substitution", "transfer_attack", "SubstituteTraining",
    "TransferResult",
    "ScoreOracle", "LabelOracle", "QueryBudgetExceeded",
    "ATTACKS", "run_attack", "robust_accuracy", "robustness_curve", "RobustnessCurve",
    "sanity_checks", "SanityReport", "SanityCheck", "evaluate_robustness", "RobustnessReport",
    "AdversarialTrainer", "CatastrophicOverfittingMonitor", "TrainingMethod", "InputTransform",
    "PGD", "FGSMRS", "Free", "TRADES", "EmbeddingAT", "EmbeddingVAT",
]
