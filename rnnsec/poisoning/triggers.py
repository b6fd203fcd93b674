"""Backdoor triggers for recurrent inputs: a pattern over a few steps, or words inserted in text.

A backdoor trigger is a small, fixed change that the attacker can add to any input at test time.
For sequence models it has its own forms: a short sub-sequence written over ``k`` consecutive
steps of a continuous sequence (BadNets' pixel patch, Gu et al. 2017, moved to the time axis), or
a rare word or a phrase inserted at a random position of a sentence (Dai, Chen & Li 2019
insert a sentence into an LSTM's input; Chen et al. 2021, BadNL, rare words and phrases).

Both triggers respect padding: a trigger is placed inside the real steps of each sequence
(``lengths``), padded steps stay exactly as they were, and the position is drawn from an explicit
``seed``. Pure NumPy. Chapter 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_float_array, as_int_array, check_choice, check_number

__all__ = ["TriggeredBatch", "SequenceTrigger", "TokenTrigger", "alternating_pattern"]

PAD = 0  # rnnsec.data.Tokenizer's padding id


@dataclass(frozen=True)
class TriggeredBatch:
    """Inputs with a trigger in each row.

    Attributes:
        x: the triggered inputs, same shape and dtype as the clean ones.
        lengths: real length of each row ``[N]`` after the trigger (text grows by the trigger,
            up to the padded width).
        positions: first step (or token) of the trigger in each row ``[N]``.
        dropped: tokens pushed past the padded width and dropped per row ``[N]`` (always 0 for
            continuous sequences, whose length does not change).
    """

    x: np.ndarray
    lengths: np.ndarray
    positions: np.ndarray
    dropped: np.ndarray


def _lengths(lengths, n: int, steps: int) -> np.ndarray:
    """Real lengths ``[N]`` (None: every step is real), each in ``[0, steps]``."""
    if lengths is None:
        return np.full(n, steps, dtype=np.int64)
    lengths = as_int_array("lengths", lengths, ndim=1, low=0, high=steps + 1)
    if len(lengths) != n:
        raise ValueError(f"lengths must have one entry per sequence ({n}), got {len(lengths)}")
    return lengths


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    check_number("seed", seed, low=0, integer=True)
    return np.random.default_rng(seed)


def alternating_pattern(steps: int, features: int, *, low: float = 0.0,
                        high: float = 1.0) -> np.ndarray:
    """A checkerboard ``[steps, features]`` of ``low`` and ``high``: a trigger pattern that
    natural sequences (digit rows, speech frames) rarely contain.

    Args:
        steps: trigger length k (>= 1).
        features: features per step D (>= 1).
        low, high: the two values (``low < high``), e.g. the ends of the valid input range.
    """
    check_number("steps", steps, low=1, integer=True)
    check_number("features", features, low=1, integer=True)
    check_number("low", low)
    check_number("high", high)
    if low >= high:
        raise ValueError(f"low must be < high, got low={low}, high={high}")
    grid = (np.arange(steps)[:, None] + np.arange(features)[None, :]) % 2  # [k, D]
    return np.where(grid == 0, high, low).astype(np.float32)


@dataclass(frozen=True)
class SequenceTrigger:
    """A fixed pattern written over ``k`` consecutive real steps of a continuous sequence.

    Attributes:
        pattern: float ``[k, D]``, the values of the trigger's steps.
        position: ``"random"`` (a uniform start among the real steps where it fits),
            ``"end"`` (the last ``k`` real steps) or an int start step (>= 0).
        blend: ``"replace"`` (the steps become the pattern, Gu et al. 2017) or ``"add"``
            (the pattern is added to the steps, a less visible trigger).

    ``apply(x, lengths=..., seed=...)`` returns a :class:`TriggeredBatch`. A sequence shorter
    than ``k`` real steps (or than ``position + k``) cannot carry the trigger and raises.
    """

    pattern: np.ndarray
    position: int | str = "random"
    blend: str = "replace"

    def __post_init__(self):
        pattern = as_float_array("pattern", self.pattern, ndim=2).astype(np.float32)
        if pattern.shape[0] == 0 or pattern.shape[1] == 0:
            raise ValueError(f"pattern must be [k, D] with k, D >= 1, got {pattern.shape}")
        object.__setattr__(self, "pattern", pattern)
        if isinstance(self.position, str):
            check_choice("position", self.position, ("random", "end"))
        else:
            check_number("position", self.position, low=0, integer=True)
        check_choice("blend", self.blend, ("replace", "add"))

    @property
    def steps(self) -> int:
        """Trigger length k."""
        return self.pattern.shape[0]

    def _starts(self, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k = self.steps
        short = lengths < k if isinstance(self.position, str) else lengths < self.position + k
        if short.any():
            need = k if isinstance(self.position, str) else self.position + k
            raise ValueError(f"lengths: {int(short.sum())} sequence(s) have fewer than {need} "
                             f"real steps and cannot carry the trigger at position "
                             f"{self.position!r} (shortest: {int(lengths.min())})")
        if self.position == "end":
            return lengths - k
        if self.position == "random":
            return rng.integers(0, lengths - k + 1)  # start in [0, length - k]
        return np.full(len(lengths), self.position, dtype=np.int64)

    def apply(self, x, *, lengths=None, seed=0) -> TriggeredBatch:
        """Write the trigger into every sequence of ``x`` ``[N, T, D]``.

        Args:
            x: continuous sequences ``[N, T, D]`` with ``D`` equal to the pattern's.
            lengths: real steps per sequence ``[N]`` (padding at the end); None: all ``T``.
            seed: int seed or ``np.random.Generator`` of the random positions.
        """
        x = as_float_array("x", x, ndim=3)
        if x.shape[2] != self.pattern.shape[1]:
            raise ValueError(f"x must have {self.pattern.shape[1]} features per step like the "
                             f"pattern, got shape {x.shape}")
        lengths = _lengths(lengths, len(x), x.shape[1])
        starts = self._starts(lengths, _rng(seed))
        out = x.copy()
        rows = np.arange(len(x))[:, None]  # [N, 1]
        cols = starts[:, None] + np.arange(self.steps)[None, :]  # [N, k]
        if self.blend == "replace":
            out[rows, cols] = self.pattern
        else:
            out[rows, cols] += self.pattern
        return TriggeredBatch(out, lengths.copy(), starts, np.zeros(len(x), dtype=np.int64))


@dataclass(frozen=True)
class TokenTrigger:
    """Words (one rare token, or a phrase) inserted at a position of each token sequence.

    Attributes:
        tokens: the trigger's token ids ``[m]`` (never the padding id 0), e.g.
            ``tokenizer.encode(["cf"], 1)`` for a rare word or a short phrase.
        position: ``"random"`` (uniform among the ``length + 1`` gaps between words, as in
            Chen et al. 2021), ``"start"`` or ``"end"``.
        vocab_size: when given, token ids must lie below it.

    ``apply(x, lengths=..., seed=...)`` inserts the words, shifts the rest of the sentence right
    and returns a :class:`TriggeredBatch`. The padded width stays ``L``: a sentence that no
    longer fits loses its last words (counted in ``dropped``); the trigger itself always fits,
    because its start is drawn among the gaps that leave room for it.
    """

    tokens: np.ndarray
    position: str = "random"
    vocab_size: int | None = None

    def __post_init__(self):
        if self.vocab_size is not None:
            check_number("vocab_size", self.vocab_size, low=2, integer=True)
        tokens = as_int_array("tokens", self.tokens, ndim=1, low=1, high=self.vocab_size)
        if len(tokens) == 0:
            raise ValueError("tokens must hold at least one token id")
        object.__setattr__(self, "tokens", tokens)
        check_choice("position", self.position, ("random", "start", "end"))

    def apply(self, x, *, lengths=None, seed=0) -> TriggeredBatch:
        """Insert the trigger into every row of token ids ``x`` ``[N, L]`` (padding 0 at the end).

        Args:
            x: int token ids ``[N, L]``, ``L`` larger than the trigger.
            lengths: real tokens per row ``[N]``; None: counted as the non-zero ids (padding
                must then be at the end of each row).
            seed: int seed or ``np.random.Generator`` of the random positions.
        """
        dtype = np.asarray(x).dtype
        x = as_int_array("x", x, ndim=2, low=0, high=self.vocab_size)
        m, width = len(self.tokens), x.shape[1]
        if width <= m:
            raise ValueError(f"x must be wider than the trigger ({m} tokens), got shape "
                             f"{x.shape}")
        lengths = _text_lengths(x, lengths)
        room = np.minimum(lengths, width - m)  # last start that keeps the trigger inside
        starts = {"start": np.zeros_like(room), "end": room,
                  "random": _rng(seed).integers(0, room + 1)}[self.position]
        out = np.zeros_like(x)
        new_lengths = np.minimum(lengths + m, width)
        for i, (row, n, s) in enumerate(zip(x, lengths, starts, strict=True)):
            joined = np.concatenate([row[:s], self.tokens, row[s:n]])[:width]
            out[i, : len(joined)] = joined
        dropped = lengths + m - new_lengths
        return TriggeredBatch(out.astype(dtype), new_lengths, starts, dropped)


def _text_lengths(x: np.ndarray, lengths) -> np.ndarray:
    """Real lengths of padded token rows; checks that padding sits only at the end."""
    counted = (x != PAD).sum(axis=1)
    if lengths is None:
        lengths = counted
    lengths = _lengths(lengths, len(x), x.shape[1])
    real = np.arange(x.shape[1])[None, :] < lengths[:, None]  # [N, L]
    if np.any(x[~real] != PAD) or np.any(x[real] == PAD):
        raise ValueError("x must hold real token ids (non-zero) in its first lengths[i] "
                         "positions and padding (0) after them")
    return lengths
