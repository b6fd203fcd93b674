"""Scoring and extracting secrets with a character language model.

A language model trained on text that contained ``"my phone number is 281-5910"`` may give
that secret a much lower *log-perplexity* (``sum -log2 p`` of its characters given the prefix)
than any other number of the same format. This module turns a trained character model into
those numbers:

- :func:`sequence_log_perplexity`: log-perplexities of many candidate strings after a shared
  prefix (the prefix is run once and its state reused), or of whole texts;
- :func:`secret_log_perplexities`: every candidate of a secret format such as ``"###-####"``
  at once, by walking the tree of digit choices (one recurrent step per tree node, so all
  10^k candidates cost about 1.1 x 10^(k-1) steps, not 10^k full sequences);
- :func:`canary_exposure`: the exposure of a planted canary (Carlini et al. 2019), exact
  (rank among all candidates) for small formats, extrapolated from a skew-normal fit to
  sampled candidates for large ones (``rnnsec.privacy.exposure`` holds the math);
- :func:`beam_search_extract`: an attacker who knows only the prefix and the format
  recovers the most likely secrets by beam search over the digits.

The fast path steps the recurrent *cell* of a Keras ``Embedding -> RNN -> Dense`` model (as
``rnnsec.models.char_language_model`` builds); any other model mapping ids ``[B, T]`` to
next-character logits ``[B, T, V]`` is scored by re-running it on whole sequences (slower, same
numbers). Chapter 2.2 ("Privacy leakage") teaches this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from rnnsec._validate import check_number, readonly_float_array
from rnnsec.privacy.exposure import (
    PLACEHOLDER,
    fit_skew_normal,
    random_secrets,
    secret_index,
    secret_space,
)

__all__ = [
    "EXACT_LIMIT",
    "MAX_EXACT",
    "ExposureResult",
    "ExtractionResult",
    "sequence_log_perplexity",
    "secret_log_perplexities",
    "canary_exposure",
    "canary_exposures",
    "beam_search_extract",
]

#: ``canary_exposure(exact=None)`` enumerates every candidate up to this secret space.
EXACT_LIMIT = 10**6
#: The largest secret space that :func:`secret_log_perplexities` enumerates.
MAX_EXACT = 10**7
_DIGITS = "0123456789"
_LN2 = math.log(2.0)


# --- stepping a character model -------------------------------------------------------------


def _neg_log2_softmax(logits) -> np.ndarray:
    """``-log2 softmax`` of logits ``[B, V]`` in float64."""
    z = np.asarray(logits, dtype=np.float64)
    return (logsumexp(z, axis=1, keepdims=True) - z) / _LN2


class _CellStepper:
    """One recurrent step at a time through ``Embedding -> RNN cell -> Dense``.

    The state is the cell's list of state tensors, each ``[B, units]``.
    """

    def __init__(self, embedding, rnn, dense):
        self.embedding, self.cell, self.dense = embedding, rnn.cell, dense

    def start(self, prefix_ids: np.ndarray):
        import tensorflow as tf

        sizes = tf.nest.flatten(self.cell.state_size)
        state = [tf.zeros((1, int(s))) for s in sizes]
        out = None
        for token in prefix_ids:
            out, state = self._cell(np.array([token], dtype=np.int32), state)
        return state, _neg_log2_softmax(self.dense(out))

    def _cell(self, ids: np.ndarray, state):
        out, new = self.cell(self.embedding(ids), state, training=False)  # [B, H]
        return out, list(new) if isinstance(new, (list, tuple)) else [new]

    def advance(self, state, ids: np.ndarray):
        out, state = self._cell(ids.astype(np.int32), state)
        return state, _neg_log2_softmax(self.dense(out))  # [B, V]

    @staticmethod
    def take(state, rows: np.ndarray):
        import tensorflow as tf

        return [tf.gather(s, rows) for s in state]

    @staticmethod
    def rows(state) -> int:
        return int(state[0].shape[0])


class _SequenceStepper:
    """Fallback for any ``[B, T] -> [B, T, V]`` model: the state is the ids so far."""

    def __init__(self, model):
        self.model = model

    def _last(self, ids: np.ndarray) -> np.ndarray:
        return _neg_log2_softmax(np.asarray(self.model(ids, training=False))[:, -1])

    def start(self, prefix_ids: np.ndarray):
        state = prefix_ids[None, :].astype(np.int32)  # [1, P]
        return state, self._last(state)

    def advance(self, state, ids: np.ndarray):
        state = np.concatenate([state, ids.astype(np.int32)[:, None]], axis=1)  # [B, t + 1]
        return state, self._last(state)

    @staticmethod
    def take(state, rows: np.ndarray):
        return state[rows]

    @staticmethod
    def rows(state) -> int:
        return int(state.shape[0])


def _stepper(model):
    """The fast cell stepper when the model is Embedding -> RNN -> Dense, else the fallback."""
    from rnnsec.compat import keras

    if not callable(model) or not hasattr(model, "layers"):
        raise TypeError(f"model must be a Keras character language model, got "
                        f"{type(model).__name__}")
    layers = [la for la in model.layers if not isinstance(la, keras.layers.InputLayer)]
    if len(layers) == 3:
        emb, rnn, dense = layers
        if (isinstance(emb, keras.layers.Embedding) and isinstance(rnn, keras.layers.RNN)
                and isinstance(dense, keras.layers.Dense) and rnn.return_sequences
                and not rnn.go_backwards and not rnn.stateful):
            return _CellStepper(emb, rnn, dense)
    return _SequenceStepper(model)


def _advance_in_chunks(stepper, state, ids: np.ndarray, batch_size: int):
    """``advance`` on many rows, ``batch_size`` rows at a time; returns (states, -log2 p)."""
    n = stepper.rows(state)
    if n <= batch_size:
        state, nlp = stepper.advance(state, ids)
        return [state], nlp
    states, nlp = [], []
    for lo in range(0, n, batch_size):
        rows = np.arange(lo, min(lo + batch_size, n))
        s, p = stepper.advance(stepper.take(state, rows), ids[rows])
        states.append(s)
        nlp.append(p)
    return states, np.concatenate(nlp)


def _concat_states(stepper, states):
    if len(states) == 1:
        return states[0]
    if isinstance(stepper, _CellStepper):
        import tensorflow as tf

        return [tf.concat(parts, axis=0) for parts in zip(*states, strict=True)]
    return np.concatenate(states)


# --- validation -----------------------------------------------------------------------------


def _check_vocab(vocab) -> dict[str, int]:
    chars = getattr(vocab, "chars", None)
    if not isinstance(chars, tuple) or not all(isinstance(c, str) for c in chars):
        raise TypeError(f"vocab must be a rnnsec.data.CharVocab, got {type(vocab).__name__}")
    return {c: i for i, c in enumerate(chars)}


def _encode(name: str, text: str, index: dict[str, int]) -> np.ndarray:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string, got {type(text).__name__}")
    missing = sorted(set(text) - index.keys())
    if missing:
        raise ValueError(f"{name} contains characters outside the vocabulary: {missing[:10]}")
    return np.array([index[c] for c in text], dtype=np.int32)


def _check_format(secret_format: str, index: dict[str, int]) -> int:
    space = secret_space(secret_format)  # raises for a non-string or a format without '#'
    _encode("secret_format", secret_format.replace(PLACEHOLDER, ""), index)
    missing = [d for d in _DIGITS if d not in index]
    if missing:
        raise ValueError(f"vocab must contain every digit to score a secret format; it lacks "
                         f"{missing}")
    return space


# --- log-perplexity -------------------------------------------------------------------------


def sequence_log_perplexity(model, vocab, candidates: str | Sequence[str], prefix: str = "", *,
                            batch_size: int = 1024) -> np.ndarray:
    """Log-perplexity ``sum_t -log2 p(c_t | context)`` of candidate strings, in bits.

    With a ``prefix``, every character of each candidate is scored given the prefix and the
    candidate's earlier characters (the prefix itself is not scored, and is run through the
    model only once). Without one, each candidate is a whole text and its characters after
    the first are scored (a character model has no start token).

    Args:
        model: a character language model (ids ``[B, T]`` -> logits ``[B, T, V]``), e.g.
            ``rnnsec.models.char_language_model``.
        vocab: the ``rnnsec.data.CharVocab`` it was trained with.
        candidates: a string or a non-empty sequence of strings (each at least 1 character
            long with a prefix, at least 2 without).
        prefix: shared context before every candidate ("" for whole texts).
        batch_size: candidates scored at once (>= 1).

    Returns:
        float64 ``[len(candidates)]`` (a 1-element array for a single string).

    Carlini, Liu, Erlingsson, Kos, Song 2019, "The Secret Sharer" (log-perplexity).
    Used by :func:`canary_exposure` (``exact=False``).
    """
    index = _check_vocab(vocab)
    texts = [candidates] if isinstance(candidates, str) else candidates
    if isinstance(texts, (bytes, np.ndarray)) or not isinstance(texts, Sequence) or not texts:
        raise ValueError("candidates must be a string or a non-empty sequence of strings")
    check_number("batch_size", batch_size, low=1, integer=True)
    context = _encode("prefix", prefix, index)
    shortest = 1 if len(context) else 2
    ids = [_encode(f"candidates[{i}]", t, index) for i, t in enumerate(texts)]
    short = [i for i, a in enumerate(ids) if len(a) < shortest]
    if short:
        raise ValueError(f"candidates[{short[0]}] must hold at least {shortest} character(s)"
                         + ("" if len(context) else " when prefix is empty"))
    stepper = _stepper(model)
    if len(context) and isinstance(stepper, _CellStepper):
        return _shared_prefix_perplexity(stepper, context, ids, batch_size)
    return _full_sequence_perplexity(model, context, ids, batch_size)


def _shared_prefix_perplexity(stepper: _CellStepper, context: np.ndarray, ids: list,
                              batch_size: int) -> np.ndarray:
    """Run the prefix once, then step every candidate from its final state."""
    start, first = stepper.start(context)  # state [1, H], -log2 p of the first character [1, V]
    out = np.empty(len(ids))
    lengths = np.array([len(a) for a in ids])
    for length in np.unique(lengths):
        group = np.flatnonzero(lengths == length)
        for lo in range(0, len(group), batch_size):
            rows = group[lo: lo + batch_size]
            seq = np.stack([ids[i] for i in rows])  # [b, L]
            state = stepper.take(start, np.zeros(len(rows), dtype=np.int64))
            nlp = np.repeat(first, len(rows), axis=0)  # [b, V]
            total = np.zeros(len(rows))
            for t in range(length):
                total += nlp[np.arange(len(rows)), seq[:, t]]
                if t + 1 < length:
                    state, nlp = stepper.advance(state, seq[:, t])
            out[rows] = total
    return out


def _full_sequence_perplexity(model, context: np.ndarray, ids: list,
                              batch_size: int) -> np.ndarray:
    """Run whole (prefix + candidate) sequences, padded at the end, and sum the scored steps."""
    full = [np.concatenate([context, a]) for a in ids]
    first_scored = max(len(context), 1)  # index of the first scored character
    out = np.empty(len(full))
    for lo in range(0, len(full), batch_size):
        chunk = full[lo: lo + batch_size]
        width = max(len(a) for a in chunk)
        seq = np.zeros((len(chunk), width), dtype=np.int32)  # [b, T], padded at the end
        for i, a in enumerate(chunk):
            seq[i, : len(a)] = a
        logits = np.asarray(model(seq[:, :-1], training=False), dtype=np.float64)  # [b, T-1, V]
        nlp = (logsumexp(logits, axis=2) - np.take_along_axis(
            logits, seq[:, 1:, None].astype(np.int64), axis=2)[..., 0]) / _LN2  # [b, T-1]
        steps = np.arange(1, width)[None, :]  # position of each predicted character
        lengths = np.array([len(a) for a in chunk])[:, None]
        scored = (steps >= first_scored) & (steps < lengths)
        out[lo: lo + len(chunk)] = np.where(scored, nlp, 0.0).sum(axis=1)
    return out


def _search(stepper, context: np.ndarray, secret_format: str, index: dict[str, int],
            beam_width: int | None, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Walk the format's tree of digit choices after the prefix.

    ``beam_width=None`` keeps every node (all candidates, in index order); otherwise only the
    ``beam_width`` nodes of lowest log-perplexity survive each digit.

    Returns:
        ``(log_perplexities [K], chosen char ids [K, len(format)])``.
    """
    digit_ids = np.array([index[d] for d in _DIGITS], dtype=np.int32)
    state, nlp = stepper.start(context)  # [1, H], [1, V]
    total = np.zeros(1)
    chosen = np.zeros((1, 0), dtype=np.int32)
    for pos, ch in enumerate(secret_format):
        if ch == PLACEHOLDER:
            options = digit_ids  # [10]
            cand = total[:, None] + nlp[:, options]  # [B, 10], row-major = index order
            parent = np.repeat(np.arange(len(total)), len(options))
            step_ids = np.tile(options, len(total))
            total = cand.reshape(-1)
            if beam_width is not None and len(total) > beam_width:
                best = np.lexsort((np.arange(len(total)), total))[:beam_width]
                parent, step_ids, total = parent[best], step_ids[best], total[best]
        else:
            parent = np.arange(len(total))
            step_ids = np.full(len(total), index[ch], dtype=np.int32)
            total = total + nlp[:, index[ch]]
        chosen = np.concatenate([chosen[parent], step_ids[:, None]], axis=1)
        if pos + 1 < len(secret_format):
            state = stepper.take(state, parent)
            states, nlp = _advance_in_chunks(stepper, state, step_ids, batch_size)
            state = _concat_states(stepper, states)
    return total, chosen


def secret_log_perplexities(model, vocab, prefix: str, secret_format: str, *,
                            batch_size: int = 8192) -> np.ndarray:
    """Log-perplexity of *every* secret of a format after ``prefix``, in index order.

    Entry ``i`` is the log-perplexity (bits) of ``prefix + format_secret(secret_format, i)``'s
    secret part. The candidates share their first digits, so the model is stepped once per
    node of the tree of digit choices: about ``1.1 * space / 10`` recurrent steps in all.

    Args:
        model: a character language model (see :func:`sequence_log_perplexity`).
        vocab: its ``CharVocab`` (must contain the digits and the format's other characters).
        prefix: the context before the secret (at least 1 character).
        secret_format: e.g. ``"###-####"``; at most ``MAX_EXACT`` (10^7) secrets.
        batch_size: rows stepped at once (>= 1).

    Returns:
        float64 ``[secret_space(secret_format)]``.

    Carlini et al. 2019 (exact exposure enumerates the whole space). Used by
    :func:`canary_exposure` (``exact=True``).
    """
    index = _check_vocab(vocab)
    context = _encode("prefix", prefix, index)
    if len(context) == 0:
        raise ValueError("prefix must hold at least 1 character")
    space = _check_format(secret_format, index)
    if space > MAX_EXACT:
        raise ValueError(f"secret_format {secret_format!r} has {space} secrets, more than "
                         f"MAX_EXACT={MAX_EXACT}; use canary_exposure(..., exact=False)")
    check_number("batch_size", batch_size, low=1, integer=True)
    total, _ = _search(_stepper(model), context, secret_format, index, None, batch_size)
    return total


# --- exposure ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ExposureResult:
    """How exposed one canary is in a trained language model.

    Attributes:
        prefix, secret, secret_format: the canary (``prefix + secret`` was inserted).
        log_perplexity: the secret's log-perplexity after the prefix, in bits.
        exposure: ``log2 |R| - log2 rank`` (exact) or ``-log2 F(log_perplexity)``
            (extrapolated), in bits.
        method: ``"exact"`` or ``"extrapolated"``.
        n_candidates: ``|R|``, the size of the secret space.
        rank: the canary's rank among all candidates (1 = most likely; ties averaged), or
            None when extrapolated.
        reference_log_perplexities: exact: every candidate's log-perplexity in index order
            (the canary's own entry included; one read-only array shared by the canaries of
            a format); extrapolated: the random sample of other candidates.
    """

    prefix: str
    secret: str
    secret_format: str
    log_perplexity: float
    exposure: float
    method: str
    n_candidates: int
    rank: float | None
    reference_log_perplexities: np.ndarray

    @property
    def max_exposure(self) -> float:
        """``log2 |R|``: the exposure of a canary ranked first."""
        return math.log2(self.n_candidates)

    def as_dict(self) -> dict:
        """Scalar fields as one table row (the reference array as its size)."""
        return {"canary": self.prefix + self.secret, "log_perplexity": self.log_perplexity,
                "exposure": self.exposure, "max_exposure": self.max_exposure,
                "method": self.method, "rank": self.rank,
                "n_references": int(self.reference_log_perplexities.size)}

    def __repr__(self) -> str:
        rank = "" if self.rank is None else f", rank {self.rank:g} of {self.n_candidates}"
        return (f"ExposureResult({self.prefix + self.secret!r}: exposure {self.exposure:.2f} of "
                f"max {self.max_exposure:.2f} bits ({self.method}{rank}); log-perplexity "
                f"{self.log_perplexity:.2f} bits)")


def _canary_fields(canary) -> tuple[str, str, str]:
    fields = tuple(getattr(canary, f, None) for f in ("prefix", "secret", "secret_format"))
    if not all(isinstance(f, str) for f in fields):
        raise TypeError(f"canary must have string prefix, secret and secret_format (a "
                        f"rnnsec.data.Canary), got {type(canary).__name__}")
    prefix, secret, fmt = fields
    try:
        secret_index(fmt, secret)
    except ValueError as err:
        raise ValueError(f"canary.secret does not match canary.secret_format: {err}") from None
    return prefix, secret, fmt


def canary_exposure(model, vocab, canary, *, exact: bool | None = None,
                    n_references: int = 2000, seed: int = 0,
                    batch_size: int = 8192) -> ExposureResult:
    """Exposure of a planted canary: how far its secret stands out among all candidates.

    Exact: rank the secret among every candidate of its format by log-perplexity
    (:func:`secret_log_perplexities`), exposure ``log2 |R| - log2 rank``. Extrapolated: score
    ``n_references`` random other candidates, fit a skew-normal to their log-perplexities and
    take ``-log2 F(canary)``, which needs no enumeration and is not capped by the sample size.

    Args:
        model: a character language model (see :func:`sequence_log_perplexity`).
        vocab: its ``CharVocab``.
        canary: a ``rnnsec.data.Canary`` (``prefix``, ``secret``, ``secret_format``); the
            secret must match the format and the prefix must be non-empty.
        exact: True to enumerate, False to extrapolate, None for exact when the format has
            at most ``EXACT_LIMIT`` (10^6) secrets.
        n_references: sampled candidates for the extrapolation (>= 10, fewer than the space).
        seed: seed of that sample.
        batch_size: rows scored at once.

    Returns:
        :class:`ExposureResult`.

    Carlini et al. 2019 (exposure; its skew-normal approximation). Chapter 2.2.
    """
    return canary_exposures(model, vocab, [canary], exact=exact, n_references=n_references,
                            seed=seed, batch_size=batch_size)[0]


def canary_exposures(model, vocab, canaries: Sequence, *, exact: bool | None = None,
                     n_references: int = 2000, seed: int = 0,
                     batch_size: int = 8192) -> list[ExposureResult]:
    """:func:`canary_exposure` of several canaries; those that share a prefix and a format
    share one enumeration of the candidates (exact) or one reference sample (extrapolated).

    Args:
        model, vocab: as in :func:`canary_exposure`.
        canaries: a non-empty sequence of ``Canary`` objects.
        exact, n_references, seed, batch_size: as in :func:`canary_exposure`; the reference
            sample of a group excludes every secret of that group.

    Returns:
        One :class:`ExposureResult` per canary, in order.

    Carlini et al. 2019. Chapter 2.2.
    """
    if isinstance(canaries, (str, bytes)) or not isinstance(canaries, Sequence) or not canaries:
        raise ValueError("canaries must be a non-empty sequence of Canary objects")
    fields = [_canary_fields(c) for c in canaries]
    if exact is not None and not isinstance(exact, bool):
        raise TypeError(f"exact must be True, False or None, got {exact!r}")
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (prefix, _, fmt) in enumerate(fields):
        groups.setdefault((prefix, fmt), []).append(i)
    out: list[ExposureResult | None] = [None] * len(fields)
    for (prefix, fmt), members in groups.items():
        secrets = [fields[i][1] for i in members]
        space = secret_space(fmt)
        use_exact = space <= EXACT_LIMIT if exact is None else exact
        if use_exact:
            results = _exact_exposures(model, vocab, prefix, fmt, secrets, batch_size)
        else:
            results = _extrapolated_exposures(model, vocab, prefix, fmt, secrets, n_references,
                                              seed, batch_size)
        for i, result in zip(members, results, strict=True):
            out[i] = result
    return out


def _exact_exposures(model, vocab, prefix: str, fmt: str, secrets: list[str],
                     batch_size: int) -> list[ExposureResult]:
    everything = readonly_float_array(secret_log_perplexities(model, vocab, prefix, fmt,
                                                   batch_size=batch_size))  # [|R|]
    ordered = np.sort(everything)
    space = everything.size
    results = []
    for secret in secrets:
        canary_lp = float(everything[secret_index(fmt, secret)])
        # rank among the *other* candidates, ties averaged (as exposure_exact does): the
        # sorted array holds the canary itself once, which is neither below nor a tie
        less = int(np.searchsorted(ordered, canary_lp, side="left"))
        ties = int(np.searchsorted(ordered, canary_lp, side="right")) - less - 1
        rank = 1 + less + ties / 2
        exposure = math.log2(space) - math.log2(rank)
        results.append(ExposureResult(prefix, secret, fmt, canary_lp, exposure, "exact", space,
                                      float(rank), everything))
    return results


def _extrapolated_exposures(model, vocab, prefix: str, fmt: str, secrets: list[str],
                            n_references: int, seed: int,
                            batch_size: int) -> list[ExposureResult]:
    space = secret_space(fmt)
    check_number("n_references", n_references, low=10, high=space - len(set(secrets)),
                 integer=True)
    refs_text = random_secrets(fmt, n_references, seed=seed, exclude=secrets)
    lps = sequence_log_perplexity(model, vocab, [*secrets, *refs_text], prefix,
                                  batch_size=batch_size)
    refs = lps[len(secrets):]
    fit = fit_skew_normal(refs)
    return [ExposureResult(prefix, secret, fmt, float(lp), float(fit.exposure(lp)),
                           "extrapolated", space, None, readonly_float_array(refs))
            for secret, lp in zip(secrets, lps[: len(secrets)], strict=True)]


# --- extraction ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ExtractionResult:
    """The secrets a beam search found after a prefix, most likely first.

    Attributes:
        prefix: the context the attacker knows.
        secret_format: the format searched (``#`` = one digit).
        candidates: the surviving secrets, lowest log-perplexity first.
        log_perplexities: float64 ``[K]`` their log-perplexities in bits (ascending).
    """

    prefix: str
    secret_format: str
    candidates: tuple[str, ...]
    log_perplexities: np.ndarray

    @property
    def best(self) -> str:
        """The most likely secret."""
        return self.candidates[0]

    def rank_of(self, secret: str) -> int | None:
        """1-based position of ``secret`` among the candidates, or None if it was not found."""
        if not isinstance(secret, str):
            raise TypeError(f"secret must be a string, got {type(secret).__name__}")
        return self.candidates.index(secret) + 1 if secret in self.candidates else None

    def as_dict(self) -> dict:
        """Candidates and log-perplexities as plain lists."""
        return {"prefix": self.prefix, "secret_format": self.secret_format,
                "candidates": list(self.candidates),
                "log_perplexities": self.log_perplexities.tolist()}

    def __repr__(self) -> str:
        top = ", ".join(f"{c!r} ({lp:.1f} bits)"
                        for c, lp in zip(self.candidates[:3], self.log_perplexities[:3],
                                         strict=True))
        return (f"ExtractionResult({self.prefix!r} + {self.secret_format!r}: "
                f"{len(self.candidates)} candidates; best {top})")


def beam_search_extract(model, vocab, prefix: str, secret_format: str, *,
                        beam_width: int = 16, batch_size: int = 8192) -> ExtractionResult:
    """Extract likely secrets of a format after ``prefix`` by beam search over the digits.

    At each ``#`` every surviving partial secret is extended by the ten digits and the
    ``beam_width`` extensions of lowest log-perplexity are kept (ties by enumeration order);
    the format's other characters are forced. With ``beam_width >= space / 10`` the search is
    exhaustive and returns the true most likely secrets. The attacker needs only the model's
    next-character probabilities, the prefix and the format.

    Args:
        model: a character language model (see :func:`sequence_log_perplexity`).
        vocab: its ``CharVocab`` (must contain the digits and the format's other characters).
        prefix: the known context (at least 1 character), e.g. ``"my phone number is "``.
        secret_format: e.g. ``"###-####"``.
        beam_width: partial secrets kept after each digit (>= 1).
        batch_size: rows stepped at once.

    Returns:
        :class:`ExtractionResult` with ``min(beam_width, space)`` candidates, best first.

    Carlini et al. 2019 (extracting secrets by searching the tree of candidates);
    Carlini et al. 2021 ("Extracting training data from large language models"). Chapter 2.2.
    """
    index = _check_vocab(vocab)
    context = _encode("prefix", prefix, index)
    if len(context) == 0:
        raise ValueError("prefix must hold at least 1 character")
    _check_format(secret_format, index)
    check_number("beam_width", beam_width, low=1, integer=True)
    check_number("batch_size", batch_size, low=1, integer=True)
    total, chosen = _search(_stepper(model), context, secret_format, index, beam_width,
                            batch_size)
    order = np.lexsort((np.arange(len(total)), total))
    chars = vocab.chars
    candidates = tuple("".join(chars[c] for c in row) for row in chosen[order])
    return ExtractionResult(prefix, secret_format, candidates, readonly_float_array(total[order]))
