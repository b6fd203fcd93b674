"""Membership inference: was this record in the model's training set?

Three attacks, from the simplest to the strongest, all scoring each candidate record so that a
higher score means "more likely a training member":

- :func:`loss_threshold_attack` (Yeom et al. 2018): a member has a lower loss. Needs only the
  target model's outputs.
- :func:`shadow_model_attack` (Shokri et al. 2017): train *shadow* models that imitate the
  target on data the attacker holds, then a classifier (logistic regression) that tells the
  shadows' members from their non-members by their output vectors.
- :func:`lira_attack` (Carlini et al. 2022, the likelihood-ratio attack, LiRA): for every
  record, fit one Gaussian to the logit-scaled confidence ``log(p / (1 - p))`` of shadow models
  that trained on it (IN) and one to those that did not (OUT), and score the target's
  confidence by the likelihood ratio (online) or by how far it lies above the OUT Gaussian
  (offline).

:func:`train_shadow_models` trains the shadows once (each candidate is IN for exactly half of
them) so that the shadow and LiRA attacks share them. Every attack returns
:class:`MembershipScores`: the per-example scores (to ask *which* records leak most) and the
:class:`~rnnsec.privacy.metrics.MembershipAttackResult` of
:func:`~rnnsec.privacy.metrics.evaluate_attack` (ROC, AUC, advantage, TPR at low FPR). Models
output logits (as every ``rnnsec.models`` model does). Chapter 2.2 ("Privacy leakage") teaches
these attacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from rnnsec._validate import (
    as_float_array,
    as_int_array,
    check_choice,
    check_number,
    check_same_length,
)
from rnnsec.privacy.metrics import (
    DEFAULT_FPRS,
    MembershipAttackResult,
    as_labels,
    evaluate_attack,
    tpr_at_fpr,
)
from rnnsec.privacy.significance import attack_significance

__all__ = [
    "MembershipScores",
    "ShadowModels",
    "FEATURES",
    "model_logits",
    "per_example_loss",
    "logit_confidence",
    "membership_candidates",
    "loss_threshold_attack",
    "loss_threshold_attack_from_losses",
    "train_shadow_models",
    "shadow_model_attack",
    "lira_scores",
    "lira_attack",
]

#: Feature sets of the shadow-model attack classifier (see :func:`shadow_model_attack`).
FEATURES = ("sorted", "loss", "sorted+loss")


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MembershipScores:
    """Per-example scores of one membership attack, and how well they separate members.

    Attributes:
        name: the attack's label (used in tables and legends).
        scores: float64 ``[N]``; higher means "more likely a training member".
        is_member: bool ``[N]``, the truth (used only to evaluate, never by the attack).
        result: the :class:`~rnnsec.privacy.metrics.MembershipAttackResult` (ROC, AUC,
            advantage, TPR at low FPR).
    """

    name: str
    scores: np.ndarray
    is_member: np.ndarray
    result: MembershipAttackResult

    @property
    def auc(self) -> float:
        """Area under the ROC curve (0.5 = guessing)."""
        return self.result.auc

    def tpr_at(self, fpr: float) -> float:
        """Best TPR of a threshold on the scores whose FPR is <= ``fpr`` (in (0, 1))."""
        return tpr_at_fpr(self.scores, self.is_member, fpr)

    def most_exposed(self, k: int = 5, members_only: bool = True) -> np.ndarray:
        """Indices of the ``k`` highest-scored examples: the records the attack is surest of.

        Args:
            k: how many (1 <= k <= number of eligible examples).
            members_only: rank only true members (the records that leak most); False ranks
                every candidate.

        Returns:
            int64 ``[k]`` indices into ``scores``, highest score first (ties by index).
        """
        pool = np.flatnonzero(self.is_member) if members_only else np.arange(len(self.scores))
        check_number("k", k, low=1, high=len(pool), integer=True)
        order = np.lexsort((pool, -self.scores[pool]))  # score descending, then index
        return pool[order[:k]].astype(np.int64)

    def with_significance(self, *, n_resamples: int = 1000, n_permutations: int = 200,
                          seed: int = 0, level: float = 0.95) -> MembershipScores:
        """These scores with intervals and shuffled-label nulls attached to ``result``.

        Args:
            n_resamples, n_permutations, seed, level: as in
                :func:`rnnsec.privacy.significance.attack_significance` (the FPRs are the
                result's).

        Returns:
            A new :class:`MembershipScores` whose ``result.significance`` holds DeLong's AUC
            interval, bootstrap intervals of the advantage and the TPRs (with the false
            positives each threshold rests on) and the nulls; printing it shows them.
        """
        sig = attack_significance(self.scores, self.is_member,
                                  fprs=[f for f, _ in self.result.tpr_at_fpr],
                                  n_resamples=n_resamples, n_permutations=n_permutations,
                                  seed=seed, level=level)
        return replace(self, result=replace(self.result, significance=sig))

    def as_dict(self) -> dict:
        """The attack's metrics as one table row (see ``MembershipAttackResult.as_dict``)."""
        return self.result.as_dict()

    def __repr__(self) -> str:
        return f"MembershipScores({self.result!r})"


def _scores(name: str, scores: np.ndarray, is_member: np.ndarray,
            fprs: Sequence[float]) -> MembershipScores:
    result = evaluate_attack(scores, is_member, fprs=fprs, name=name)
    scores = np.array(scores, dtype=np.float64)
    members = np.array(is_member, dtype=bool)
    scores.setflags(write=False)
    members.setflags(write=False)
    return MembershipScores(name=name, scores=scores, is_member=members, result=result)


# --- statistics of model outputs ------------------------------------------------------------


def model_logits(model, x, batch_size: int = 256) -> np.ndarray:
    """The model's logits on ``x``, as float64 ``[N, C]``.

    Args:
        model: a Keras classifier whose output is logits ``[N, C]``.
        x: its inputs (first dimension N >= 1).
        batch_size: prediction batch size (>= 1).

    Returns:
        float64 logits ``[N, C]``. Chapter 2.2.
    """
    check_number("batch_size", batch_size, low=1, integer=True)
    if not callable(model) or not hasattr(model, "layers"):
        raise TypeError(f"model must be a Keras model, got {type(model).__name__}")
    x = np.asarray(x)
    if len(x) == 0:
        raise ValueError("x must hold at least one example")
    # Eager calls in batches: unlike model.predict, they trace no new tf.function per model,
    # which keeps many shadow models fast and quiet.
    logits = np.concatenate([np.asarray(model(x[lo: lo + batch_size], training=False),
                                        dtype=np.float64) for lo in range(0, len(x), batch_size)])
    if logits.ndim != 2 or logits.shape[0] != len(x):
        raise ValueError(f"model must output logits of shape [N, C]; got {logits.shape} for "
                         f"{len(x)} inputs")
    if not np.all(np.isfinite(logits)):
        raise ValueError("model output contains NaN or infinite values")
    return logits


def _logits_and_labels(logits, y) -> tuple[np.ndarray, np.ndarray]:
    z = as_float_array("logits", logits, ndim=2).astype(np.float64)  # [N, C]
    labels = as_int_array("y", y, ndim=1, low=0, high=z.shape[1])  # [N]
    check_same_length(logits=z, y=labels)
    if z.shape[1] < 2:
        raise ValueError(f"logits must have at least 2 classes, got shape {z.shape}")
    return z, labels


def per_example_loss(logits, y) -> np.ndarray:
    """Cross-entropy ``-log p_y`` of each example, from logits (numerically stable).

    Args:
        logits: ``[N, C]`` class logits.
        y: int labels ``[N]`` in ``0 .. C - 1``.

    Returns:
        float64 ``[N]``, in nats, >= 0.

    The statistic of the loss-threshold attack (Yeom et al. 2018). Chapter 2.2.
    """
    z, labels = _logits_and_labels(logits, y)
    return logsumexp(z, axis=1) - z[np.arange(len(labels)), labels]


def logit_confidence(logits, y) -> np.ndarray:
    """Logit-scaled confidence ``log(p_y / (1 - p_y))`` of the true class, stably from logits.

    ``log p_y - log(1 - p_y) = z_y - logsumexp_{j != y} z_j``, so it stays finite (and
    keeps its resolution) even when ``p_y`` rounds to 1 in floating point. Carlini et al.
    2022 show that this statistic is close to Gaussian across shadow models, which is what
    LiRA's Gaussian fits assume.

    Args:
        logits: ``[N, C]`` class logits.
        y: int labels ``[N]``.

    Returns:
        float64 ``[N]``; large for confident correct predictions.

    Carlini, Chien, Nasr, Song, Terzis, Tramer 2022 (logit scaling of the confidence).
    The statistic of :func:`lira_attack`; Chapter 6.1 audits with it (an exercise).
    """
    z, labels = _logits_and_labels(logits, y)
    rows = np.arange(len(labels))
    others = z.copy()
    others[rows, labels] = -np.inf  # [N, C] logits of the wrong classes
    return z[rows, labels] - logsumexp(others, axis=1)


def _check_member_data(x, y, is_member) -> tuple[np.ndarray, np.ndarray]:
    labels = as_int_array("y", y, ndim=1, low=0)
    members = as_labels("is_member", is_member)
    check_same_length(x=x, y=labels, is_member=members)
    if members.all() or not members.any():
        raise ValueError("is_member must mark both members (1) and non-members (0); got "
                         f"{int(members.sum())} members out of {len(members)}")
    return labels, members


def membership_candidates(x_members, y_members, x_nonmembers, y_nonmembers,
                          n: int | None = None, seed: int = 0):
    """Stack members and non-members into one candidate set ``(x, y, is_member)``.

    Args:
        x_members, y_members: training records of the target model (inputs, labels).
        x_nonmembers, y_nonmembers: records from the same distribution it never saw.
        n: if given, keep ``n`` random members and ``n`` random non-members (a balanced
            subsample, 1 <= n <= the smaller group); None keeps everything.
        seed: seed of that subsample.

    Returns:
        ``(x, y, is_member)``: members first, then non-members, each in their input order.

    Chapter 2.2.
    """
    y_in = as_int_array("y_members", y_members, ndim=1, low=0)
    y_out = as_int_array("y_nonmembers", y_nonmembers, ndim=1, low=0)
    check_same_length(x_members=x_members, y_members=y_in)
    check_same_length(x_nonmembers=x_nonmembers, y_nonmembers=y_out)
    if len(y_in) == 0 or len(y_out) == 0:
        raise ValueError("x_members and x_nonmembers must each hold at least one record")
    x_in, x_out = np.asarray(x_members), np.asarray(x_nonmembers)
    if x_in.shape[1:] != x_out.shape[1:]:
        raise ValueError(f"x_members and x_nonmembers must have the same shape per record, got "
                         f"{x_in.shape[1:]} and {x_out.shape[1:]}")
    if n is not None:
        check_number("n", n, low=1, high=min(len(y_in), len(y_out)), integer=True)
        check_number("seed", seed, low=0, integer=True)
        rng = np.random.default_rng(seed)
        keep_in = np.sort(rng.choice(len(y_in), n, replace=False))
        keep_out = np.sort(rng.choice(len(y_out), n, replace=False))
        x_in, y_in, x_out, y_out = x_in[keep_in], y_in[keep_in], x_out[keep_out], y_out[keep_out]
    x = np.concatenate([x_in, x_out])
    y = np.concatenate([y_in, y_out])
    is_member = np.r_[np.ones(len(y_in), bool), np.zeros(len(y_out), bool)]
    return x, y, is_member


# --- loss threshold (Yeom et al. 2018) -----------------------------------------------------


def loss_threshold_attack_from_losses(losses, is_member, *, fprs: Sequence[float] = DEFAULT_FPRS,
                                      name: str = "loss threshold") -> MembershipScores:
    """Loss-threshold attack on precomputed per-example losses: score = ``-loss``.

    Args:
        losses: per-example losses ``[N]`` (finite), e.g. from :func:`per_example_loss`.
        is_member: bool/0-1 ``[N]``, both classes present.
        fprs: false positive rates in (0, 1) at which to report the TPR.
        name: the label of the result.

    Returns:
        :class:`MembershipScores`.

    Yeom, Giacomelli, Fredrikson, Jha 2018, "Privacy risk in machine learning: analyzing the
    connection to overfitting". Chapter 2.2.
    """
    loss = as_float_array("losses", losses, ndim=1).astype(np.float64)
    members = as_labels("is_member", is_member)
    check_same_length(losses=loss, is_member=members)
    return _scores(name, -loss, members, fprs)


def loss_threshold_attack(model, x, y, is_member, *, batch_size: int = 256,
                          fprs: Sequence[float] = DEFAULT_FPRS,
                          name: str = "loss threshold") -> MembershipScores:
    """Loss-threshold attack against a model: members are the records with low loss.

    The attack predicts "member" when ``loss(x, y) <= t``; sweeping ``t`` gives the ROC. It
    needs no shadow model, only the target's output on each candidate.

    Args:
        model: the target Keras classifier (outputs logits ``[N, C]``).
        x, y: the candidate records and their labels ``[N]``.
        is_member: bool/0-1 ``[N]``: which candidates were training members (for evaluation).
        batch_size: prediction batch size.
        fprs: false positive rates in (0, 1) at which to report the TPR.
        name: the label of the result.

    Returns:
        :class:`MembershipScores` with ``scores = -loss``.

    Yeom et al. 2018. Chapter 2.2.
    """
    labels, members = _check_member_data(x, y, is_member)
    loss = per_example_loss(model_logits(model, x, batch_size), labels)
    return loss_threshold_attack_from_losses(loss, members, fprs=fprs, name=name)


# --- shadow models --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ShadowModels:
    """What the attacker learned from its shadow models: their outputs and training sets.

    Attributes:
        logits: float32 ``[S, N, C]``: shadow model s's logits on pool record n.
        keep: bool ``[S, N]``: whether pool record n was in shadow model s's training set.
        y: int64 labels ``[N]`` of the pool records.
        seed: the seed that drew the training sets and initialised the models.
    """

    logits: np.ndarray
    keep: np.ndarray
    y: np.ndarray
    seed: int

    @property
    def n_shadow(self) -> int:
        """Number of shadow models S."""
        return int(self.keep.shape[0])

    def statistic(self, kind: str = "logit_confidence") -> np.ndarray:
        """Per-model, per-record statistic ``[S, N]``: ``"logit_confidence"`` or ``"loss"``."""
        check_choice("kind", kind, ("logit_confidence", "loss"))
        fn = logit_confidence if kind == "logit_confidence" else per_example_loss
        return np.stack([fn(z, self.y) for z in self.logits])

    def accuracy(self) -> tuple[float, float]:
        """Mean accuracy of the shadows on their own training records and on the others."""
        correct = self.logits.argmax(axis=2) == self.y[None, :]  # [S, N]
        return float(correct[self.keep].mean()), float(correct[~self.keep].mean())

    def __repr__(self) -> str:
        acc_in, acc_out = self.accuracy()
        return (f"ShadowModels({self.n_shadow} models on {self.keep.shape[1]} records, "
                f"{self.logits.shape[2]} classes; accuracy IN {acc_in:.3f}, OUT {acc_out:.3f})")


def _balanced_keep(n_shadow: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``[S, N]`` training-set indicator in which every record is IN for exactly S/2 models."""
    return np.argsort(rng.random((n_shadow, n)), axis=0) < n_shadow // 2


def train_shadow_models(model, x, y, n_shadow: int = 4, *, epochs: int = 10,
                        batch_size: int = 32, seed: int = 0, predict_batch_size: int = 256,
                        progress: bool = True) -> ShadowModels:
    """Train ``n_shadow`` shadow models on random halves of the attacker's records ``(x, y)``.

    Every record is in the training set of exactly ``n_shadow / 2`` shadow models (and out of
    the others), the balanced design of Carlini et al. 2022; each shadow's training half and
    held-out half are disjoint. The shadows' logits on *every* record are kept, so that
    :func:`shadow_model_attack` can learn from the IN/OUT labels and :func:`lira_attack` can fit
    per-record IN and OUT distributions. Each shadow is a copy of ``model``'s architecture and
    compile settings (:func:`rnnsec.seeding.seeded_clone`) with fresh weights, trained on
    batches shuffled by its own generator (:func:`rnnsec.seeding.fit_seeded`): the result
    depends only on ``seed``, and no global random stream (Python, NumPy, TensorFlow, Keras)
    is read or reset.

    Args:
        model: a compiled Functional or Sequential Keras model with the target's architecture
            and training recipe, outputting logits. Only its architecture and compile settings
            are used (not its weights); it is not changed.
        x, y: the records the attacker holds (inputs and int labels ``[N]``, N >= 2). For
            LiRA they are the candidates whose membership is asked.
        n_shadow: number of shadow models, even and >= 2.
        epochs, batch_size: training of each shadow.
        seed: seed of the training halves, of each model's weights and of its batches (>= 0).
        predict_batch_size: batch size of the shadows' predictions.
        progress: show a progress bar over the shadow models.

    Returns:
        :class:`ShadowModels`.

    Shokri, Stronati, Song, Shmatikov 2017, "Membership inference attacks against machine
    learning models" (shadow training); Carlini et al. 2022 (balanced IN/OUT design).
    Chapter 2.2.
    """
    from rnnsec.seeding import fit_seeded, seeded_clone

    _check_shadow_template(model)
    labels = as_int_array("y", y, ndim=1, low=0)
    check_same_length(x=x, y=labels)
    check_number("n_shadow", n_shadow, low=2, integer=True)
    if n_shadow % 2:
        raise ValueError(f"n_shadow must be even (each record is IN for half the shadows), got "
                         f"{n_shadow}")
    if len(labels) < 2:
        raise ValueError(f"x must hold at least 2 records, got {len(labels)}")
    check_number("epochs", epochs, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    check_number("seed", seed, low=0, high=2**32 - 1, integer=True)
    x = np.asarray(x)
    keep_rng, *model_rngs = np.random.default_rng(seed).spawn(n_shadow + 1)
    keep = _balanced_keep(n_shadow, len(labels), keep_rng)  # [S, N]
    logits = []
    steps = range(n_shadow)
    if progress:  # imported only when shown: tqdm.auto warns in notebooks without ipywidgets
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="shadow models")
    for s in steps:
        shadow = seeded_clone(model, model_rngs[s])
        fit_seeded(shadow, x[keep[s]], labels[keep[s]], epochs=epochs, batch_size=batch_size,
                   rng=model_rngs[s])
        logits.append(model_logits(shadow, x, predict_batch_size).astype(np.float32))
    logits = np.stack(logits)  # [S, N, C]
    if labels.max() >= logits.shape[2]:
        raise ValueError(f"y holds label {labels.max()} but the models output only "
                         f"{logits.shape[2]} classes")
    for arr in (logits, keep, labels):
        arr.setflags(write=False)
    return ShadowModels(logits=logits, keep=keep, y=labels, seed=int(seed))


def _check_shadow_template(model) -> None:
    from rnnsec.compat import keras

    if not isinstance(model, keras.Model):
        hint = (" (pass the compiled model itself: build_model() instead of build_model)"
                if callable(model) else "")
        raise TypeError(f"model must be a compiled keras.Model with the target's architecture, "
                        f"got {type(model).__name__}{hint}")
    if getattr(model, "optimizer", None) is None:
        raise TypeError("model must be compiled (model.compile(...)): the shadows copy its "
                        "optimizer, loss and metrics")


def _attack_features(logits: np.ndarray, y: np.ndarray, features: str) -> np.ndarray:
    """Attack-classifier features ``[N, F]`` from logits ``[N, C]``."""
    z, labels = _logits_and_labels(logits, y)
    log_probs = z - logsumexp(z, axis=1, keepdims=True)  # [N, C]
    parts = []
    if features in ("sorted", "sorted+loss"):
        parts.append(-np.sort(-log_probs, axis=1))  # [N, C], most likely class first
    if features in ("loss", "sorted+loss"):
        parts.append(-log_probs[np.arange(len(labels)), labels][:, None])  # [N, 1]
    return np.concatenate(parts, axis=1)


def _attack_classifier(seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))


def shadow_model_attack(model, x, y, is_member, shadows: ShadowModels, *,
                        features: str = "sorted+loss", per_class: bool = False,
                        batch_size: int = 256, fprs: Sequence[float] = DEFAULT_FPRS,
                        name: str | None = None) -> MembershipScores:
    """Shadow-model attack: a classifier learns "member or not" from the shadows' outputs.

    Each shadow's outputs on its own training half are labelled *in*, those on its held-out
    half *out*; a logistic regression (after standardising the features) is fitted to them
    and then scores the target model's outputs on the candidates. Features:

    - ``"sorted"``: the log-probabilities sorted from the most to the least likely class
      (label-free, as in Shokri et al.'s confidence vectors);
    - ``"loss"``: the cross-entropy of the true label;
    - ``"sorted+loss"``: both.

    ``per_class=True`` fits one classifier per true label, as Shokri et al. do.

    Args:
        model: the target Keras classifier (outputs logits).
        x, y, is_member: the candidates, their labels and the truth (for evaluation only).
        shadows: from :func:`train_shadow_models` on the attacker's own records (which may be
            the candidates themselves or a disjoint set from the same distribution).
        features: one of :data:`FEATURES`.
        per_class: one attack classifier per class.
        batch_size: prediction batch size.
        fprs: false positive rates in (0, 1) at which to report the TPR.
        name: the label of the result (default ``"shadow models (k)"``).

    Returns:
        :class:`MembershipScores` whose scores are the classifier's log-odds of "member".

    Shokri, Stronati, Song, Shmatikov 2017. Chapter 2.2.
    """
    check_choice("features", features, FEATURES)
    if not isinstance(shadows, ShadowModels):
        raise TypeError(f"shadows must be a ShadowModels (from train_shadow_models), got "
                        f"{type(shadows).__name__}")
    labels, members = _check_member_data(x, y, is_member)
    target = model_logits(model, x, batch_size)
    if target.shape[1] != shadows.logits.shape[2]:
        raise ValueError(f"the target model has {target.shape[1]} classes but the shadows have "
                         f"{shadows.logits.shape[2]}")
    train_x = np.concatenate([_attack_features(z, shadows.y, features) for z in shadows.logits])
    train_y = shadows.keep.reshape(-1).astype(np.int64)  # [S * N] 1 = in
    train_cls = np.tile(shadows.y, shadows.n_shadow)  # [S * N]
    test_x = _attack_features(target, labels, features)
    scores = np.empty(len(labels))
    groups = np.unique(labels) if per_class else [None]
    for c in groups:
        tr = np.ones(len(train_y), bool) if c is None else train_cls == c
        te = np.ones(len(labels), bool) if c is None else labels == c
        if len(np.unique(train_y[tr])) < 2:
            raise ValueError(f"shadows hold no in/out pair for class {c}; train more shadows or "
                             "use per_class=False")
        clf = _attack_classifier(shadows.seed).fit(train_x[tr], train_y[tr])
        scores[te] = clf.decision_function(test_x[te])
    label = name or f"shadow models ({shadows.n_shadow})"
    return _scores(label, scores, members, fprs)


# --- LiRA (Carlini et al. 2022) ------------------------------------------------------------


def lira_scores(target_statistic, shadow_statistic, keep, *, online: bool = True,
                fix_variance: bool = True) -> np.ndarray:
    """Likelihood-ratio scores of each record from Gaussian fits to shadow statistics.

    For record n, the IN (OUT) statistics are those of the shadow models that did (did not)
    train on it; their median is the Gaussian's mean. The standard deviation is, with
    ``fix_variance=True``, one global value (the spread of every statistic around its record's
    median: more stable with a handful of shadows), else one per record.

    - online: ``log N(t; mu_in, s_in) - log N(t; mu_out, s_out)``, the log-likelihood ratio;
    - offline (OUT models only): ``(t - mu_out) / s_out``, the one-sided test of how far the
      target's statistic lies above what a model that never saw the record gives (a monotone
      transform of Carlini et al.'s ``Phi((t - mu_out) / s_out)``, kept unsquashed so that
      tail scores do not tie at 1.0).

    Args:
        target_statistic: the target model's statistic (usually :func:`logit_confidence`)
            on each record, ``[N]``.
        shadow_statistic: the shadows' statistics ``[S, N]``.
        keep: bool ``[S, N]``: whether shadow s trained on record n. Online needs at least one
            IN and one OUT model per record; offline needs at least one OUT model; with
            ``fix_variance=False`` two of each.
        online: use IN and OUT models (True) or OUT models only (False).
        fix_variance: one global standard deviation (True) or one per record.

    Returns:
        float64 ``[N]``; higher means "more likely a member".

    Carlini, Chien, Nasr, Song, Terzis, Tramer 2022, "Membership inference attacks from first
    principles" (online and offline LiRA). Used by :func:`lira_attack`.
    """
    target = as_float_array("target_statistic", target_statistic, ndim=1).astype(np.float64)
    stat = as_float_array("shadow_statistic", shadow_statistic, ndim=2).astype(np.float64)
    inside = np.asarray(keep)
    if inside.dtype != bool:
        raise TypeError(f"keep must be a boolean array, got dtype {inside.dtype}")
    if inside.shape != stat.shape:
        raise ValueError(f"keep must have the shape of shadow_statistic {stat.shape}, got "
                         f"{inside.shape}")
    check_same_length(target_statistic=target, **{"shadow_statistic[0]": stat[0]})
    needed = 1 if fix_variance else 2
    groups = [("OUT", ~inside)] + ([("IN", inside)] if online else [])
    fits = {}
    for label, mask in groups:
        counts = mask.sum(axis=0)
        if counts.min() < needed:
            raise ValueError(f"keep gives record {int(counts.argmin())} only "
                             f"{int(counts.min())} {label} shadow model(s); need >= {needed}")
        values = np.where(mask, stat, np.nan)  # [S, N]
        mu = np.nanmedian(values, axis=0)  # [N]
        if fix_variance:
            sigma = np.full_like(mu, np.nanstd(values - mu[None, :]))
        else:
            sigma = np.nanstd(values, axis=0)
        if np.any(sigma <= 0):
            raise ValueError(f"the {label} shadow statistics have zero spread; train more "
                             "(or more varied) shadow models")
        fits[label] = (mu, sigma)
    mu_out, s_out = fits["OUT"]
    if not online:
        return (target - mu_out) / s_out
    mu_in, s_in = fits["IN"]
    return (stats.norm.logpdf(target, mu_in, s_in) - stats.norm.logpdf(target, mu_out, s_out))


def lira_attack(model, x, y, is_member, shadows: ShadowModels, *, online: bool = True,
                fix_variance: bool = True, batch_size: int = 256,
                fprs: Sequence[float] = DEFAULT_FPRS, name: str | None = None) -> MembershipScores:
    """LiRA against a model, with shadow models trained on random halves of the candidates.

    The statistic is the logit-scaled confidence :func:`logit_confidence` of the true class.
    ``shadows`` must come from :func:`train_shadow_models` on exactly these candidates
    ``(x, y)`` (it holds each candidate's IN and OUT models); the offline variant uses only the
    OUT models.

    Args:
        model: the target Keras classifier (outputs logits).
        x, y, is_member: the candidates, labels, and truth (for evaluation only).
        shadows: :class:`ShadowModels` trained on ``(x, y)``.
        online: likelihood ratio of IN and OUT fits (True) or offline one-sided test (False).
        fix_variance: one global standard deviation (see :func:`lira_scores`).
        batch_size: prediction batch size.
        fprs: false positive rates in (0, 1) at which to report the TPR.
        name: the label of the result (default ``"LiRA online (k)"``).

    Returns:
        :class:`MembershipScores`.

    Carlini et al. 2022. Chapter 2.2.
    """
    if not isinstance(shadows, ShadowModels):
        raise TypeError(f"shadows must be a ShadowModels (from train_shadow_models), got "
                        f"{type(shadows).__name__}")
    labels, members = _check_member_data(x, y, is_member)
    if len(labels) != len(shadows.y) or np.any(labels != shadows.y):
        raise ValueError("shadows must be trained on these candidates: train_shadow_models("
                         "build_model, x, y, ...) with the same x and y")
    target = logit_confidence(model_logits(model, x, batch_size), labels)
    scores = lira_scores(target, shadows.statistic("logit_confidence"), shadows.keep,
                         online=online, fix_variance=fix_variance)
    label = name or f"LiRA {'online' if online else 'offline'} ({shadows.n_shadow})"
    return _scores(label, scores, members, fprs)
