"""Run profiles: how much data and how many epochs a chapter uses.

The default profile (``"cpu"``) is sized so that every chapter runs in about two minutes on a
2-core CPU. ``RNNSEC_FULL=1`` in the environment (or ``get_profile(full=True)``) selects the
``"full"`` profile for a GPU reader: more data, more epochs, larger models. The code path is
the same in both; only the numbers change.

Taught in the preface ("Running the book") and used by every chapter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    """Sizes that chapters read instead of hard-coding them.

    Attributes:
        name: ``"cpu"`` or ``"full"``.
        epochs: epochs for a standard classifier run.
        batch_size: minibatch size for training.
        data_fraction: fraction of each dataset's training split to use (0, 1].
        units: hidden units of the recurrent layer in the chapters' models.
        corpus_chars: characters of the Shakespeare slice for language models.
        attack_examples: test examples an attack is run on.
        shadow_models: number of shadow models for membership inference.
    """

    name: str
    epochs: int
    batch_size: int
    data_fraction: float
    units: int
    corpus_chars: int
    attack_examples: int
    shadow_models: int

    def scaled(self, **changes) -> Profile:
        """Return a copy with some fields replaced (e.g. ``profile.scaled(epochs=3)``)."""
        return replace(self, **changes)


CPU = Profile(name="cpu", epochs=10, batch_size=32, data_fraction=1.0, units=64,
              corpus_chars=150_000, attack_examples=200, shadow_models=4)
FULL = Profile(name="full", epochs=40, batch_size=64, data_fraction=1.0, units=128,
               corpus_chars=1_000_000, attack_examples=1000, shadow_models=16)


def full_requested() -> bool:
    """True when the environment variable ``RNNSEC_FULL`` is set to 1/true/yes."""
    value = os.environ.get("RNNSEC_FULL", "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"RNNSEC_FULL must be one of 0, 1, true, false, yes, no; got {value!r}")


def get_profile(full: bool | None = None) -> Profile:
    """Return the run profile.

    Args:
        full: True for the GPU-sized profile, False for the CPU one, None to read
            ``RNNSEC_FULL`` from the environment.
    """
    if full is None:
        full = full_requested()
    if not isinstance(full, bool):
        raise TypeError(f"full must be True, False or None, got {full!r}")
    return FULL if full else CPU
