"""The self-check machinery behind ``rnnsec.check.exercise`` (the teachers' page explains it).

A chapter module (``rnnsec/check/ch31.py`` for Chapter 3.1, ...) registers one *checker* per
exercise with :func:`register`. A checker receives the reader's answer (and any context the
exercise hands over, such as the trained model) and calls :func:`require` for each property a
right answer has; the first one that fails becomes the hint. Checkers judge an answer by
recomputing or by testing its properties; they never print the solution.

With the environment variable ``RNNSEC_STRICT_CHECKS=1`` (set by ``make test``) a failed check
raises ``AssertionError``, so an instructor notebook whose solution stops passing its own check
fails its test.

Every hint and every word of praise exists in English and in Chinese: :func:`require` and the
``as_*`` helpers take the Chinese twin as ``zh=``, a checker praises with :func:`say`, and
:func:`set_language` (or ``RNNSEC_LANGUAGE=zh``) picks the language the reader sees. The Chinese
student edition sets it in its first cell (the preface, "Two editions").
"""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "WrongAnswer", "Message", "require", "say", "register", "exercise",
           "available", "as_number", "as_fraction", "as_dict", "set_language", "language",
           "STRICT_ENV", "LANGUAGE_ENV", "LANGUAGES"]

STRICT_ENV = "RNNSEC_STRICT_CHECKS"
LANGUAGE_ENV = "RNNSEC_LANGUAGE"
LANGUAGES = ("en", "zh")
_CHOSEN: list[str] = []  # set_language's choice; empty: RNNSEC_LANGUAGE, else English
_ID = re.compile(r"^(\d)(\.\d)?-\d+$")  # "1-2" (Chapter 1) or "3.1-2" (Chapter 3.1)
_REGISTRY: dict[str, tuple[str, Callable]] = {}


def _check_language(value) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {value!r}")
    return value


def set_language(value: str) -> None:
    """Show hints and praise in ``value``: ``"en"`` (English) or ``"zh"`` (Chinese)."""
    _CHOSEN[:] = [_check_language(value)]


def language() -> str:
    """The language of the feedback: :func:`set_language`'s, else ``RNNSEC_LANGUAGE``, else en."""
    if _CHOSEN:
        return _CHOSEN[0]
    from_env = os.environ.get(LANGUAGE_ENV, "en") or "en"
    if from_env not in LANGUAGES:
        raise ValueError(f"{LANGUAGE_ENV} must be one of {LANGUAGES}, got {from_env!r}")
    return from_env


@dataclass(frozen=True)
class Message:
    """One piece of feedback in English (``en``) and Chinese (``zh``); shown in :func:`language`."""

    en: str
    zh: str

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: :func:`language`)."""
        return self.zh if _check_language(lang or language()) == "zh" else self.en

    def __str__(self) -> str:
        return self.text()


def say(en: str, zh: str) -> Message:
    """A checker's praise (or any feedback) in both languages: ``return say("...", "...")``."""
    for name, value in (("en", en), ("zh", zh)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"say: {name} must be a non-empty str, got {value!r}")
    return Message(en, zh)


class WrongAnswer(Exception):
    """Raised by a checker (through :func:`require`) with the hint the reader sees."""

    def __init__(self, hint: str, zh: str | None = None):
        super().__init__(hint)
        self.message = Message(hint, zh or hint)


def require(condition, hint: str, zh: str | None = None) -> None:
    """Fail the check with ``hint`` (Chinese: ``zh``) unless ``condition`` holds."""
    if not bool(condition):
        raise WrongAnswer(hint, zh)


def as_number(answer, what: str, zh: str | None = None) -> float:
    """``answer`` as a finite float, or a hint that ``what`` (Chinese: ``zh``) must be one."""
    zh = zh or what
    ok = isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool)
    if not ok and isinstance(answer, np.ndarray):
        ok = answer.shape == () and np.issubdtype(answer.dtype, np.number)
    kind = type(answer).__name__
    require(ok, f"give {what} as one number (a float), got {kind}",
            zh=f"{zh}应当是一个数（float），而你给的是 {kind}")
    value = float(answer)
    require(math.isfinite(value), f"{what} must be finite, got {value}",
            zh=f"{zh}必须是有限的数，而你给的是 {value}")
    return value


def as_fraction(answer, what: str, zh: str | None = None) -> float:
    """``answer`` as a float in [0, 1] (an accuracy or a rate), or a hint."""
    value = as_number(answer, what, zh)
    require(0.0 <= value <= 1.0, f"{what} should be a fraction in [0, 1], got {value}",
            zh=f"{zh or what}应当是 [0, 1] 中的比例，而你给的是 {value}")
    return value


def as_dict(answer, keys, what: str, zh: str | None = None) -> dict:
    """``answer`` as a dict with at least ``keys``, or a hint naming the missing keys."""
    zh = zh or what
    kind = type(answer).__name__
    require(isinstance(answer, dict), f"give {what} as a dict with keys {sorted(keys)}, got {kind}",
            zh=f"{zh}应当是含有键 {sorted(keys)} 的 dict，而你给的是 {kind}")
    missing = [k for k in keys if k not in answer]
    require(not missing, f"{what} lacks the keys {missing}", zh=f"{zh}缺少这些键：{missing}")
    return answer


_WORDS = {"en": ("Exercise {}: ", "Correct. ", "Not yet. ", "Hint: ", "Well done."),
          "zh": ("练习 {}：", "正确。", "尚未正确。", "提示：", "做得好。")}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one self-check: which exercise, whether it passed, and the feedback.

    ``message`` is in ``language`` (the one chosen when the check ran).
    """

    exercise: str
    passed: bool
    message: str
    language: str = "en"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        head, right, wrong, *_ = _WORDS[self.language]
        return head.format(self.exercise) + (right if self.passed else wrong) + self.message

    def as_dict(self) -> dict:
        return {"exercise": self.exercise, "passed": self.passed, "message": self.message,
                "language": self.language}


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
        ``Exercise 3.1-2: Not yet. <hint>`` (in Chinese ``练习 3.1-2：正确。...`` after
        ``set_language("zh")``). With ``RNNSEC_STRICT_CHECKS=1`` a wrong answer
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
    lang = language()
    hint = _WORDS[lang][3]
    try:
        praise = checker(answer, **context)
    except WrongAnswer as wrong:
        result = CheckResult(exercise_id, False, hint + wrong.message.text(lang), lang)
    except Exception as err:  # noqa: BLE001 -- the reader's answer broke the check: say how
        said = (f"checking the answer raised {type(err).__name__}: {err}" if lang == "en" else
                f"检查答案时出现了 {type(err).__name__}：{err}")
        result = CheckResult(exercise_id, False, hint + said, lang)
    else:
        if praise is not None and not isinstance(praise, Message):
            raise TypeError(f"the checker of {exercise_id!r} must return say(en, zh) or None, "
                            f"got {type(praise).__name__}")
        text = _WORDS[lang][4] if praise is None else praise.text(lang)
        result = CheckResult(exercise_id, True, text, lang)
    if not result.passed and os.environ.get(STRICT_ENV) == "1":
        raise AssertionError(repr(result))
    return result
