"""The self-check machinery behind ``rnnsec.check.exercise`` (the teachers' page explains it).

A chapter module (``rnnsec/check/ch31.py`` for Chapter 3.1, ...) registers one *checker* per
exercise with :func:`register`. A checker receives the reader's answer (and any context the
exercise hands over, such as the trained model) and calls :func:`require` for each property a
right answer has; the first one that fails becomes the hint. Checkers judge an answer by
recomputing or by testing its properties; they never print the solution.

With the environment variable ``RNNSEC_STRICT_CHECKS=1`` (set by ``make test``) a failed check
raises ``AssertionError``, so an instructor notebook whose solution stops passing its own check
fails its test.
"""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "WrongAnswer", "require", "register", "exercise", "available",
           "as_number", "as_fraction", "as_dict", "STRICT_ENV"]

STRICT_ENV = "RNNSEC_STRICT_CHECKS"
_ID = re.compile(r"^(\d)(\.\d)?-\d+$")  # "1-2" (Chapter 1) or "3.1-2" (Chapter 3.1)
_REGISTRY: dict[str, tuple[str, Callable]] = {}


class WrongAnswer(Exception):
    """Raised by a checker (through :func:`require`) with the hint the reader sees."""


def require(condition, hint: str) -> None:
    """Fail the check with ``hint`` unless ``condition`` holds."""
    if not bool(condition):
        raise WrongAnswer(hint)


def as_number(answer, what: str) -> float:
    """``answer`` as a finite float, or a hint saying that ``what`` must be one number."""
    ok = isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool)
    if not ok and isinstance(answer, np.ndarray):
        ok = answer.shape == () and np.issubdtype(answer.dtype, np.number)
    require(ok, f"give {what} as one number (a float), got {type(answer).__name__}")
    value = float(answer)
    require(math.isfinite(value), f"{what} must be finite, got {value}")
    return value


def as_fraction(answer, what: str) -> float:
    """``answer`` as a float in [0, 1] (an accuracy or a rate), or a hint."""
    value = as_number(answer, what)
    require(0.0 <= value <= 1.0, f"{what} should be a fraction in [0, 1], got {value}")
    return value


def as_dict(answer, keys, what: str) -> dict:
    """``answer`` as a dict with at least ``keys``, or a hint naming the missing keys."""
    require(isinstance(answer, dict), f"give {what} as a dict with keys {sorted(keys)}, got "
                                      f"{type(answer).__name__}")
    missing = [k for k in keys if k not in answer]
    require(not missing, f"{what} lacks the keys {missing}")
    return answer


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check: which exercise, whether it passed, and the feedback."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "Correct" if self.passed else "Not yet"
        return f"Exercise {self.exercise}: {mark}. {self.message}"

    def as_dict(self) -> dict:
        return {"exercise": self.exercise, "passed": self.passed, "message": self.message}


def register(exercise_id: str, topic: str) -> Callable[[Callable], Callable]:
    """Decorator: register ``checker(answer, **context)`` for ``exercise_id`` ("3.1-2").

    ``topic`` is a short description shown by :func:`available`.
    """
    if not isinstance(exercise_id, str) or not _ID.match(exercise_id):
        raise ValueError(f"exercise_id must look like '1-2' or '3.1-2', got {exercise_id!r}")

    def decorate(checker: Callable) -> Callable:
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise_id {exercise_id!r} is registered twice")
        _REGISTRY[exercise_id] = (topic, checker)
        return checker

    return decorate


def available() -> dict[str, str]:
    """Exercise ids that have a self-check, with their topics, in book order."""
    def order(key: str) -> tuple:
        chapter, number = key.split("-")
        return (tuple(int(p) for p in chapter.split(".")), int(number))

    return {key: _REGISTRY[key][0] for key in sorted(_REGISTRY, key=order)}


def exercise(exercise_id: str, answer, **context) -> CheckResult:
    """Check a reader's ``answer`` to exercise ``exercise_id`` and return the feedback.

    Args:
        exercise_id: the exercise's number as the book prints it without "Exercise", e.g.
            ``"3.1-2"`` for the second exercise of Chapter 3.1 (``"1-1"`` for Chapter 1).
        answer: what the exercise asks for (a number, a dict, a function, ...).
        **context: objects from the notebook the checker needs (named in the exercise).

    Returns:
        A :class:`CheckResult`; it displays as ``Exercise 3.1-2: Correct. ...`` or
        ``Exercise 3.1-2: Not yet. <hint>``. With ``RNNSEC_STRICT_CHECKS=1`` a wrong answer
        raises ``AssertionError`` instead (how ``make test`` checks the instructor edition).
    """
    if exercise_id not in _REGISTRY:
        known = ", ".join(available()) or "none"
        raise ValueError(f"exercise_id {exercise_id!r} has no self-check; known: {known}")
    _, checker = _REGISTRY[exercise_id]
    try:
        inspect.signature(checker).bind(answer, **context)
    except TypeError as err:
        raise TypeError(f"check.exercise({exercise_id!r}, ...) context: {err}") from None
    try:
        praise = checker(answer, **context)
        result = CheckResult(exercise_id, True, praise or "Well done.")
    except WrongAnswer as wrong:
        result = CheckResult(exercise_id, False, f"Hint: {wrong}")
    except Exception as err:  # noqa: BLE001 -- the reader's answer broke the check: say how
        result = CheckResult(exercise_id, False,
                             f"Hint: checking the answer raised {type(err).__name__}: {err}")
    if not result.passed and os.environ.get(STRICT_ENV) == "1":
        raise AssertionError(repr(result))
    return result
