"""Canaries and synthetic personal records made with Faker (Chapter 2.2, "Privacy leakage").

A canary is a sentence with a secret in a fixed format, e.g. ``"my phone number is 555-0123"``
with the secret drawn from ``###-####`` (``#`` is a digit), so the space of possible secrets is
known and exposure can be computed exactly (Carlini et al. 2019, "The Secret Sharer").
Synthetic records (names, addresses, phone numbers in en_US and zh_CN) stand in for the
personal data the source article warns about; none of them is a real person's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnsec._validate import check_choice, check_number

LOCALES = ("en_US", "zh_CN")


def _faker(locale: str, seed: int):
    from faker import Faker

    check_choice("locale", locale, LOCALES)
    check_number("seed", seed, low=0, integer=True)
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


@dataclass(frozen=True)
class Canary:
    """One planted secret: ``prefix + secret`` is the text inserted into the corpus.

    Attributes:
        prefix: the public context, e.g. ``"my phone number is "``.
        secret: the secret in ``secret_format``.
        secret_format: ``#`` = one digit; other characters are literal.
    """

    prefix: str
    secret: str
    secret_format: str

    @property
    def text(self) -> str:
        """The full canary sentence."""
        return self.prefix + self.secret


def make_canaries(n: int, prefix: str = "my phone number is ",
                  secret_format: str = "###-####", seed: int = 0) -> list[Canary]:
    """``n`` canaries with distinct random secrets drawn by Faker's ``numerify``.

    Args:
        n: number of canaries (>= 1, at most the size of the secret space).
        prefix: the text before the secret.
        secret_format: ``#`` marks a digit (at least one).
        seed: Faker seed (the same seed gives the same secrets with the pinned Faker).
    """
    check_number("n", n, low=1, integer=True)
    digits = secret_format.count("#")
    if digits == 0:
        raise ValueError(f"secret_format must contain at least one '#', got {secret_format!r}")
    if n > 10**digits:
        raise ValueError(f"n={n} exceeds the {10**digits} secrets of format {secret_format!r}")
    fake = _faker("en_US", seed)
    secrets: list[str] = []
    while len(secrets) < n:
        s = fake.numerify(secret_format)
        if s not in secrets:
            secrets.append(s)
    return [Canary(prefix, s, secret_format) for s in secrets]


def insert_canaries(text: str, canaries, repetitions,
                    seed: int = 0) -> tuple[str, dict[str, int]]:
    """Insert each canary's text ``repetitions[i]`` times, each copy on a line of its own.

    Args:
        text: the corpus.
        canaries: list of ``Canary``.
        repetitions: one non-negative int per canary (0 = a reference canary never inserted).
        seed: seed of the insertion points (random line boundaries).

    Returns:
        ``(new_text, counts)`` with ``counts[canary.text]`` the exact number of occurrences of
        that canary in ``new_text``.
    """
    canaries = list(canaries)
    repetitions = list(repetitions)
    if len(canaries) != len(repetitions):
        raise ValueError(f"mismatched lengths: canaries={len(canaries)}, "
                         f"repetitions={len(repetitions)}; they must be equal")
    for r in repetitions:
        check_number("repetitions", r, low=0, integer=True)
    lines = text.split("\n")
    rng = np.random.default_rng(seed)
    items = [c.text for c, r in zip(canaries, repetitions, strict=True) for _ in range(r)]
    positions = np.sort(rng.integers(0, len(lines) + 1, size=len(items)))[::-1]
    order = rng.permutation(len(items))
    for pos, k in zip(positions, order, strict=True):
        lines.insert(int(pos), items[k])
    new_text = "\n".join(lines)
    counts = {c.text: new_text.count(c.text) for c in canaries}
    return new_text, counts


def personal_records(n: int, locale: str = "en_US", seed: int = 0) -> list[dict]:
    """``n`` synthetic personal records: name, address, phone number, email, and an ID.

    Args:
        n: number of records (1 to 100,000).
        locale: ``"en_US"`` or ``"zh_CN"`` (Chinese names, addresses and 11-digit mobiles).
        seed: Faker seed.

    Returns:
        A list of dicts with keys ``name``, ``address``, ``phone``, ``email``, ``id``
        (a US SSN for en_US, a resident ID number for zh_CN). All values are fake.
    """
    check_number("n", n, low=1, high=100_000, integer=True)
    fake = _faker(locale, seed)
    return [{"name": fake.name(), "address": fake.address().replace("\n", ", "),
             "phone": fake.phone_number(), "email": fake.email(),
             "id": fake.ssn()} for _ in range(n)]
