"""Black-box attacks: the attacker only queries the model, and every query is counted.

- ``simba``: score-based attack on continuous sequences (Guo et al. 2019): try one coordinate
  at a time, keep the step if the true class's probability drops.
- ``greedy_word_substitution``: score-based attack on text in the spirit of TextFooler (Jin et
  al. 2020): rank words by how much masking them lowers the true class's score, then swap the
  most important ones for candidate words.
- ``transfer_attack``: train a substitute on the victim's labels, optionally grown with
  Jacobian-based augmentation, attack the substitute white-box and send the result to the
  victim (Papernot et al. 2017). How the substitute is trained (architecture, epochs,
  augmentation, label budget) is one ``SubstituteTraining`` object.

The model is reached only through ``ScoreOracle``/``LabelOracle``, which count queries and
refuse any query over the budget, so a budget cannot be exceeded by mistake.
Taught in Chapter 2.1 (Black-box attacks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from rnnsec._validate import as_float_array, as_int_array, check_choice, check_number
from rnnsec.adversarial._core import (
    attack_succeeded,
    batches,
    check_attack_inputs,
    check_batching,
    check_clip,
    check_inside_range,
    check_norm,
    logits_of,
    make_rng,
    softmax,
)
from rnnsec.adversarial._steps import clip_to_range, project
from rnnsec.adversarial.results import AttackResult, make_result
from rnnsec.adversarial.text import check_candidates
from rnnsec.adversarial.whitebox import fgsm, pgd
from rnnsec.compat import keras
from rnnsec.models import sequence_classifier
from rnnsec.seeding import draw_seed, fit_seeded, seeded_clone

__all__ = ["QueryBudgetExceeded", "ScoreOracle", "LabelOracle", "simba",
           "greedy_word_substitution", "SubstituteTraining", "TransferResult",
           "transfer_attack"]


class QueryBudgetExceeded(RuntimeError):
    """Raised when a query would go over the budget (an attack bug, never silent)."""


class ScoreOracle:
    """The victim as a black-box attacker sees it: probabilities out, queries counted.

    Each example (indexed ``0 .. n-1``) has its own budget of ``max_queries`` model
    evaluations. ``scores(x, idx)`` evaluates the rows of ``x`` and charges one query to each
    example named in ``idx`` (an example may appear several times: several queries).

    Args:
        model: Keras model returning logits.
        num_examples: number of attacked examples n.
        max_queries: budget per example (>= 1).
    """

    def __init__(self, model, num_examples: int, max_queries: int):
        check_number("max_queries", max_queries, low=1, integer=True)
        self.model = model
        self.max_queries = int(max_queries)
        self.queries = np.zeros(num_examples, dtype=np.int64)

    def remaining(self, idx=None) -> np.ndarray:
        """Queries left per example (all examples, or those in ``idx``)."""
        left = self.max_queries - self.queries
        return left if idx is None else left[idx]

    def scores(self, x: np.ndarray, idx) -> np.ndarray:
        """Softmax probabilities ``[len(x), C]`` of ``x``, charging one query per row to ``idx``."""
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx) != len(x):
            raise ValueError(f"idx must name one example per row of x, got {len(idx)} for "
                             f"{len(x)} rows")
        if len(x) == 0:
            return np.zeros((0, 0))
        wanted = np.bincount(idx, minlength=len(self.queries))
        if np.any(self.queries + wanted > self.max_queries):
            raise QueryBudgetExceeded(f"query budget of {self.max_queries} per example "
                                      "would be exceeded")
        self.queries += wanted
        return softmax(logits_of(self.model, x))


class LabelOracle:
    """A victim that answers only labels, with one total budget (substitute training).

    Args:
        model: Keras model returning logits.
        max_queries: total number of inputs it will label (>= 1).
    """

    def __init__(self, model, max_queries: int):
        check_number("max_queries", max_queries, low=1, integer=True)
        self.model = model
        self.max_queries = int(max_queries)
        self.queries = 0

    def labels(self, x: np.ndarray) -> np.ndarray:
        """The victim's predicted labels ``[len(x)]``, one query each."""
        if self.queries + len(x) > self.max_queries:
            raise QueryBudgetExceeded(f"labelling {len(x)} inputs would exceed the budget "
                                      f"of {self.max_queries} queries ({self.queries} used)")
        self.queries += len(x)
        return logits_of(self.model, x).argmax(axis=1)


def simba(model, x, y, epsilon: float, norm: str = "inf", max_queries: int = 500,
          step_size: float | None = None, targeted: bool = False,
          clip_min: float | None = None, clip_max: float | None = None, mask=None, seed=None,
          *, batch_size: int = 256, progress: bool = True) -> AttackResult:
    """Simple black-box attack (SimBA, Guo et al. 2019) in the coordinate basis.

    Coordinates (one feature of one real time step) are visited in a random order. For each,
    the attack queries ``x - step q`` and, if that does not lower the probability of the true
    class (raise it for the target), ``x + step q``, and keeps a step that helps. It stops at
    success or when the example's query budget is spent. One query = one model evaluation of
    one sequence; the first query reads the clean probabilities.

    L-inf: each coordinate moves at most once by ``step_size <= epsilon``, so the result is
    always inside the ball. L2: each accepted step is projected back onto the ball (over the
    whole sequence).

    Args:
        model: Keras model ``[B, T, D] -> logits`` (only its probabilities are used).
        x: clean inputs ``[B, T, D]``.
        y: labels ``[B]`` (targets when ``targeted``).
        epsilon: radius (>= 0) in the chosen norm.
        norm: ``"inf"`` or ``"2"``.
        max_queries: query budget per example (>= 1).
        step_size: change per coordinate (> 0); default ``epsilon`` (L-inf, at most epsilon)
            or ``epsilon / 3`` (L2).
        targeted: raise the probability of class ``y`` until it is predicted.
        clip_min, clip_max: valid input range.
        mask: ``[B, T]``, 1 = real step, 0 = padding (never changed).
        seed: int, Generator or None.
        batch_size: examples attacked together.
        progress: show a progress bar over batches.

    Returns:
        An ``AttackResult`` with ``queries`` per example (each <= ``max_queries``).

    Chapter 2.1.
    """
    check_number("epsilon", epsilon, low=0)
    check_norm(norm)
    check_number("max_queries", max_queries, low=1, integer=True)
    check_batching(batch_size, progress)
    x, y, mask, _ = check_attack_inputs(model, x, y, targeted=targeted, mask=mask,
                                        clip_min=clip_min, clip_max=clip_max)
    if step_size is None:
        step_size = epsilon if norm == "inf" else epsilon / 3
    else:
        high = epsilon if norm == "inf" else None
        check_number("step_size", step_size, low=0, low_open=True, high=high)
    rng = make_rng(seed)
    oracle = ScoreOracle(model, len(x), max_queries)
    x_adv = x.copy()
    pred_clean = np.empty(len(x), dtype=np.int64)
    pred_adv = np.empty(len(x), dtype=np.int64)
    for s in batches(len(x), batch_size, progress, "simba"):
        idx = np.arange(len(x))[s]
        x_adv[s], pred_clean[s], pred_adv[s] = _simba_batch(
            oracle, idx, x[s], y[s], mask[s], epsilon, norm, step_size, targeted, clip_min,
            clip_max, rng)
    return make_result("simba", x, x_adv, y, pred_clean, pred_adv, norm=norm, epsilon=epsilon,
                       targeted=targeted, queries=oracle.queries.copy())


def _simba_batch(oracle, idx, x, y, mask, epsilon, norm, step, targeted, clip_min, clip_max,
                 rng):
    """SimBA on one batch; returns ``(x_adv, pred_clean, pred_adv)``."""
    b, steps, feats = x.shape
    rows = np.arange(b)
    # Random visiting order of the real coordinates; padded ones sort last.
    keys = rng.uniform(size=(b, steps * feats))
    keys[np.repeat(mask, feats, axis=1) == 0] = np.inf
    order = np.argsort(keys, axis=1)  # [b, T*D]
    n_real = (mask.sum(axis=1) * feats).astype(int)
    probs = oracle.scores(x, idx)  # [b, C]
    pred_clean = probs.argmax(axis=1)
    cur, p_cur, pred = x.copy(), probs[rows, y], pred_clean.copy()
    sign = 1.0 if targeted else -1.0  # direction in which p[y] should move
    for i in range(order.shape[1]):
        active = ~attack_succeeded(pred, y, targeted) & (i < n_real)
        if not active.any():
            break
        for delta in (-step, step):
            active &= oracle.remaining(idx) > 0
            if not active.any():
                break
            cand = cur[active].reshape(active.sum(), -1).copy()
            coord = order[active, i]
            cand[np.arange(len(cand)), coord] += delta
            cand = _into_ball(cand.reshape(-1, steps, feats), x[active], epsilon, norm,
                              clip_min, clip_max)
            moved = np.any(cand != cur[active], axis=(1, 2))
            act_rows = rows[active][moved]
            if len(act_rows) == 0:
                continue
            p_new = oracle.scores(cand[moved], idx[act_rows])
            better = sign * (p_new[np.arange(len(act_rows)), y[act_rows]] - p_cur[act_rows]) > 0
            take = act_rows[better]
            cur[take] = cand[moved][better]
            p_cur[take] = p_new[better, y[take]]
            pred[take] = p_new[better].argmax(axis=1)
            active[take] = False  # this coordinate is done for them
    return cur, pred_clean, pred


def _into_ball(x_new, x, epsilon, norm, clip_min, clip_max):
    return clip_to_range(x + project(x_new - x, epsilon, norm), clip_min=clip_min,
                         clip_max=clip_max).numpy()


def greedy_word_substitution(model, tokens, y, candidates, max_words: int = 3,
                             max_queries: int = 200, *, unk_id: int = 1,
                             progress: bool = True) -> AttackResult:
    """Score-based greedy word substitution (TextFooler-like, Jin et al. 2020), untargeted.

    1. Word importance: for each real position, query the sentence with that word replaced by
       ``unk_id`` and measure how much the true class's probability drops.
    2. In decreasing importance, query every candidate for that word; stop at the first
       candidate (nearest first) that flips the prediction, else keep the candidate that
       lowers the true class's probability most (if any does) and go on, changing at most
       ``max_words`` words.

    Only output probabilities are used. The candidate sets come from the attacker (e.g.
    ``nearest_neighbors`` of public word vectors, or of a substitute model's embeddings);
    using the victim's own embedding table would leak white-box knowledge.

    Args:
        model: text classifier ``tokens [B, L] -> logits``.
        tokens: token ids ``[B, L]`` (0 = padding, never changed).
        y: true labels ``[B]``.
        candidates: ``[V, K]`` substitute ids per token id (-1 = none).
        max_words: most words changed per sentence (>= 1).
        max_queries: query budget per sentence (>= 1); the clean query counts.
        unk_id: id used to mask a word when measuring its importance.
        progress: show a progress bar over sentences.

    Returns:
        An ``AttackResult`` with adversarial token ids, ``queries`` and ``words_changed``.

    Chapter 2.1.
    """
    check_number("max_words", max_words, low=1, integer=True)
    check_number("max_queries", max_queries, low=1, integer=True)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    candidates = as_int_array("candidates", candidates, ndim=2, low=-1)
    vocab = len(candidates)  # one row per token id
    candidates = check_candidates(candidates, vocab)
    tokens, y, _, _ = check_attack_inputs(model, tokens, y, targeted=False, integer_x=True,
                                          x_name="tokens", vocab_size=vocab)
    check_number("unk_id", unk_id, low=0, high=vocab - 1, integer=True)
    oracle = ScoreOracle(model, len(tokens), max_queries)
    x_adv = tokens.copy()
    pred_clean = np.empty(len(tokens), dtype=np.int64)
    pred_adv = np.empty(len(tokens), dtype=np.int64)
    for i in tqdm(range(len(tokens)), desc="greedy_word_substitution", disable=not progress,
                  leave=False):
        x_adv[i], pred_clean[i], pred_adv[i] = _greedy_one(
            oracle, i, tokens[i], y[i], candidates, max_words, unk_id)
    changed = (x_adv != tokens).sum(axis=1)
    return make_result("greedy_word_substitution", tokens, x_adv, y, pred_clean, pred_adv,
                       norm="words", epsilon=max_words, targeted=False,
                       queries=oracle.queries.copy(), words_changed=changed,
                       perturbation_norm=changed)


def _greedy_one(oracle: ScoreOracle, i: int, tok: np.ndarray, label: int,
                candidates: np.ndarray, max_words: int, unk_id: int):
    """Attack one sentence; returns ``(adversarial ids, clean prediction, final prediction)``."""
    probs = oracle.scores(tok[None], [i])[0]
    pred_clean = int(probs.argmax())
    if pred_clean != label:
        return tok, pred_clean, pred_clean
    positions = np.flatnonzero(tok != 0)[: oracle.remaining([i])[0]]
    if len(positions) == 0:
        return tok, pred_clean, pred_clean
    masked = np.repeat(tok[None], len(positions), axis=0)  # [P, L]
    masked[np.arange(len(positions)), positions] = unk_id
    drop = probs[label] - oracle.scores(masked, np.full(len(positions), i))[:, label]
    cur, p_cur, pred, changed = tok.copy(), probs[label], pred_clean, 0
    for pos in positions[np.argsort(-drop, kind="stable")]:
        if changed == max_words or pred != label:
            break
        cand = candidates[cur[pos]]
        cand = cand[cand >= 0][: oracle.remaining([i])[0]]
        if len(cand) == 0:
            continue
        trial = np.repeat(cur[None], len(cand), axis=0)  # [K, L]
        trial[:, pos] = cand
        scores = oracle.scores(trial, np.full(len(cand), i))  # [K, C]
        flipped = np.flatnonzero(scores.argmax(axis=1) != label)
        best = flipped[0] if len(flipped) else int(scores[:, label].argmin())
        if len(flipped) or scores[best, label] < p_cur:
            cur[pos], p_cur, pred = cand[best], scores[best, label], int(scores[best].argmax())
            changed += 1
    return cur, pred_clean, pred


@dataclass(frozen=True, repr=False, eq=False)
class TransferResult:
    """Outcome of a transfer attack.

    Attributes:
        result: the attack on the victim (``queries`` = 1 per example: the adversarial input
            is sent once).
        substitute_result: the same adversarial inputs judged by the substitute (white-box).
        substitute: the trained substitute model.
        training_queries: victim labels bought to train the substitute.
        agreement: fraction of the attacked clean inputs on which substitute and victim agree.
    """

    result: AttackResult
    substitute_result: AttackResult
    substitute: keras.Model
    training_queries: int
    agreement: float

    @property
    def transfer_rate(self) -> float:
        """Success rate on the victim among examples where the substitute was fooled."""
        fooled = self.substitute_result.success
        return float(np.mean(self.result.success[fooled])) if fooled.any() else 0.0

    def as_dict(self) -> dict:
        """Summary numbers as one table row."""
        row = self.result.as_dict()
        row.update(substitute_success_rate=self.substitute_result.success_rate,
                   transfer_rate=self.transfer_rate, training_queries=self.training_queries,
                   agreement=self.agreement)
        return row

    def __repr__(self) -> str:
        return (f"TransferResult(success_rate={self.result.success_rate:.3f}, "
                f"substitute_success_rate={self.substitute_result.success_rate:.3f}, "
                f"transfer_rate={self.transfer_rate:.3f}, agreement={self.agreement:.3f}, "
                f"training_queries={self.training_queries})")


@dataclass(frozen=True)
class SubstituteTraining:
    """How the transfer attacker trains its substitute model (Papernot et al. 2017).

    Attributes:
        model: the substitute's architecture, a Functional or Sequential Keras model with the
            victim's input and output shapes (copied with fresh weights, never changed); None
            for a GRU ``rnnsec.models.sequence_classifier`` with 32 units (the attacker does
            not know the victim's architecture).
        epochs: training epochs per round (>= 1).
        augment_rounds: Jacobian augmentation rounds (>= 0); each doubles the training set.
        augment_step: augmentation step lambda (> 0).
        max_queries: victim labels the attacker may buy (>= 1); at least
            ``len(x_seed) * 2**augment_rounds``.
        batch_size: training batch size (>= 1).
        learning_rate: Adam's learning rate (> 0).

    Chapter 2.1.
    """

    model: keras.Model | None = None
    epochs: int = 10
    augment_rounds: int = 0
    augment_step: float = 0.1
    max_queries: int = 10_000
    batch_size: int = 32
    learning_rate: float = 1e-2

    def __post_init__(self):
        if self.model is not None and not isinstance(self.model, keras.Model):
            raise TypeError(f"model must be a keras.Model or None, got "
                            f"{type(self.model).__name__}")
        check_number("epochs", self.epochs, low=1, integer=True)
        check_number("augment_rounds", self.augment_rounds, low=0, integer=True)
        check_number("augment_step", self.augment_step, low=0, low_open=True)
        check_number("max_queries", self.max_queries, low=1, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True)
        check_number("learning_rate", self.learning_rate, low=0, low_open=True)

    def queries_needed(self, n_seed: int) -> int:
        """Victim labels for ``n_seed`` seed inputs: ``n_seed * 2**augment_rounds``."""
        return int(n_seed) * 2 ** self.augment_rounds

    def build(self, input_shape, num_classes: int, rng: np.random.Generator) -> keras.Model:
        """A fresh compiled substitute whose weights come from ``rng``."""
        if self.model is None:
            model = sequence_classifier(input_shape, num_classes, cell="gru", units=32,
                                        name="substitute", seed=draw_seed(rng))
        else:
            model = seeded_clone(self.model, rng)
        model.compile(keras.optimizers.Adam(self.learning_rate),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model


def transfer_attack(victim, x, y, x_seed, epsilon: float, *, attack: str = "pgd",
                    norm: str = "inf", substitute: SubstituteTraining | None = None,
                    clip_min: float | None = None, clip_max: float | None = None, mask=None,
                    seed=None, progress: bool = True, attack_kwargs: dict | None = None,
                    ) -> TransferResult:
    """Transfer attack from a substitute trained on the victim's labels (Papernot et al. 2017).

    1. Label the attacker's unlabelled seed inputs ``x_seed`` with the victim (1 query each).
    2. Train the substitute; for each of ``substitute.augment_rounds`` rounds grow the set with
       Jacobian-based augmentation ``x + augment_step * sign(d F_label(x) / dx)`` (the
       substitute's logit of the victim's label), label the new points, retrain. The set
       doubles each round, so ``len(x_seed) * 2**augment_rounds`` queries are needed.
    3. Attack the substitute white-box (``fgsm`` or ``pgd``) and send the results to the
       victim (1 query each).

    All randomness (the substitute's weights, its batches, PGD's start) comes from ``seed``;
    no global random stream is read or reset.

    Args:
        victim: Keras model ``[B, T, D] -> logits`` (only its labels are used).
        x, y: inputs ``[B, T, D]`` to attack and their true labels ``[B]``.
        x_seed: the attacker's own inputs ``[S, T, D]`` (no labels needed).
        epsilon: attack radius in ``norm``.
        attack: ``"pgd"`` or ``"fgsm"`` on the substitute.
        norm: ``"inf"`` or ``"2"``.
        substitute: a :class:`SubstituteTraining` (architecture, epochs, augmentation, label
            budget); None for its defaults.
        clip_min, clip_max: valid input range (augmented points are clipped into it).
        mask: ``[B, T]`` padding mask of ``x`` for the final attack.
        seed: int, Generator or None (None draws one from NumPy's global state).
        progress: show progress bars.
        attack_kwargs: extra arguments for the white-box attack (e.g. ``{"steps": 20}``).

    Returns:
        A ``TransferResult``.

    Chapter 2.1.
    """
    training = SubstituteTraining() if substitute is None else substitute
    if not isinstance(training, SubstituteTraining):
        raise TypeError(f"substitute must be a SubstituteTraining or None, got "
                        f"{type(training).__name__} (SubstituteTraining(model=...) sets the "
                        "architecture)")
    check_choice("attack", attack, ("pgd", "fgsm"))
    check_norm(norm)
    check_number("epsilon", epsilon, low=0)
    x, y, mask, classes = check_attack_inputs(victim, x, y, targeted=False, mask=mask,
                                              clip_min=clip_min, clip_max=clip_max)
    x_seed = _check_seed_inputs(x_seed, x, training, clip_min, clip_max)
    build_rng, attack_rng = make_rng(seed).spawn(2)
    model = training.build(x.shape[1:], classes, build_rng)
    oracle = LabelOracle(victim, training.max_queries)
    _train_substitute(model, oracle, x_seed, training, clip_min, clip_max, build_rng, progress)
    crafted = (pgd if attack == "pgd" else fgsm)
    kwargs = dict(attack_kwargs or {})
    if attack == "pgd":
        kwargs.setdefault("seed", attack_rng)
    on_sub = crafted(model, x, y, epsilon, norm=norm, clip_min=clip_min,
                     clip_max=clip_max, mask=mask, progress=progress, **kwargs)
    # One query per example: the adversarial input is sent to the victim once. The clean
    # predictions are the evaluator's, not the attacker's.
    adv = LabelOracle(victim, len(x)).labels(on_sub.x_adv)
    clean = logits_of(victim, x).argmax(axis=1)
    on_victim = make_result(f"transfer_{attack}", x, on_sub.x_adv, y, clean, adv, norm=norm,
                            epsilon=epsilon, targeted=False,
                            queries=np.ones(len(x), dtype=np.int64))
    return TransferResult(result=on_victim, substitute_result=on_sub, substitute=model,
                          training_queries=oracle.queries,
                          agreement=float(np.mean(on_sub.pred_clean == clean)))


def _check_seed_inputs(x_seed, x, training: SubstituteTraining, clip_min, clip_max):
    x_seed = as_float_array("x_seed", x_seed, ndim=3).astype(np.float32)
    if x_seed.shape[1:] != x.shape[1:]:
        raise ValueError(f"x_seed must have steps and features {x.shape[1:]} like x, got "
                         f"{x_seed.shape[1:]}")
    check_clip(clip_min, clip_max)
    check_inside_range(x_seed, clip_min, clip_max)
    needed = training.queries_needed(len(x_seed))
    if needed > training.max_queries:
        raise ValueError(f"substitute.max_queries must be >= len(x_seed) * 2**augment_rounds = "
                         f"{needed}, got {training.max_queries}")
    return x_seed


def _train_substitute(model, oracle: LabelOracle, x_seed, training: SubstituteTraining,
                      clip_min, clip_max, rng: np.random.Generator, progress: bool) -> None:
    """Label, train, augment, repeat (step 2 of :func:`transfer_attack`)."""
    rounds = training.augment_rounds
    data, labels = x_seed, oracle.labels(x_seed)
    for round_ in tqdm(range(rounds + 1), desc="substitute", leave=False,
                       disable=not progress or rounds == 0):
        fit_seeded(model, data, labels, epochs=training.epochs,
                   batch_size=training.batch_size, rng=rng)
        if round_ < rounds:
            new = _jacobian_augment(model, data, labels, training.augment_step, clip_min,
                                    clip_max)
            data = np.concatenate([data, new])
            labels = np.concatenate([labels, oracle.labels(new)])


def _jacobian_augment(substitute, data, labels, step, clip_min, clip_max) -> np.ndarray:
    """``x + step * sign(d logit_label / dx)`` for every point (Papernot et al. 2017)."""
    out = []
    for s in batches(len(data), 512, False, ""):
        xb = tf.constant(data[s])
        with tf.GradientTape() as tape:
            tape.watch(xb)
            logits = substitute(xb, training=False)  # [b, C]
            picked = tf.gather(logits, as_int_array("labels", labels[s]), axis=1, batch_dims=1)
        out.append(data[s] + step * np.sign(tape.gradient(picked, xb).numpy()))
    return clip_to_range(np.concatenate(out), clip_min=clip_min, clip_max=clip_max).numpy()
