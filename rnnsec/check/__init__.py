"""Self-checks for the book's exercises: ``check.exercise("3.1-2", answer)``.

Immediate feedback (right or wrong, and a hint) without printing the solution. Each chapter
registers its checkers in its own module (``ch01`` for Chapter 1, ``ch31`` for Chapter 3.1,
...). The teachers' page (book/teachers.md) explains how checks and the student edition fit
together.
"""

from __future__ import annotations

import importlib
import pkgutil

from rnnsec.check._core import (
    LANGUAGE_ENV,
    LANGUAGES,
    STRICT_ENV,
    CheckResult,
    Message,
    WrongAnswer,
    as_dict,
    as_fraction,
    as_number,
    available,
    exercise,
    language,
    register,
    require,
    say,
    set_language,
)

__all__ = ["LANGUAGES", "LANGUAGE_ENV", "STRICT_ENV", "CheckResult", "Message", "WrongAnswer",
           "as_dict", "as_fraction", "as_number", "available", "exercise", "language", "register",
           "require", "say", "set_language"]

# Register every chapter's checkers (modules named ch<chapter>.py).
for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("ch"):
        importlib.import_module(f"{__name__}.{_module.name}")
