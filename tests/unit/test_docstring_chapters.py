"""Chapter citations in rnnsec docstrings stay true: the chapter exists and uses the object.

A docstring that says "Chapter 3.2" (or "Chapters 2.2 and 3.2") is linked to that chapter by the
book's Sphinx extension (``_CHAPTER`` in ``_ext/rnnsec_book.py``; same regex here). Chapters get
renumbered and code moves, so every citation must name an existing chapter whose text
(``notebooks/NN_name.md``: prose and code) mentions the object's name as a whole word; for a
module docstring, the module's dotted name or one of its public names (see ``_documented``).
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import rnnsec
from rnnsec.check import _core as _check_core

_CHAPTER = re.compile(r"(?<![`<])\bChapters? (\d(?:\.\d)?)((?:(?:, | and )\d\.\d)*)")
_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _chapter_number(stem: str) -> str:
    """``01_background`` -> ``"1"``; ``21_adversarial_attacks`` -> ``"2.1"``."""
    return stem[1] if stem[0] == "0" else f"{stem[0]}.{stem[1]}"


CHAPTERS = {_chapter_number(p.stem): p.read_text(encoding="utf-8")
            for p in sorted(_NOTEBOOKS.glob("[0-9][0-9]_*.md"))}


def _cited(doc: str | None) -> list[str]:
    """Chapter numbers a docstring cites, in order, without repeats."""
    found = []
    for m in _CHAPTER.finditer(doc or ""):
        found += [m.group(1), *re.findall(r"\d\.\d", m.group(2))]
    return list(dict.fromkeys(found))


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def _exercises(module) -> list[str]:
    """Ids of the exercises whose self-checks ``module`` registers (``rnnsec/check/ch21.py``)."""
    return [eid for eid, (_, checker) in _check_core._REGISTRY.items()
            if checker.__module__ == module.__name__]


def _documented(module):
    """(qualname, docstring, names that count as a use) for a module and its public objects.

    A module is used by a chapter that names it, one of its public functions or classes (for a
    package: its ``__all__``), or one of the exercises it checks (``check.exercise("2.1-1", ...)``).
    """
    public = {name: obj for name, obj in vars(module).items()
              if not name.startswith("_")
              and (inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj))
              and getattr(obj, "__module__", None) == module.__name__}
    api = getattr(module, "__all__", []) if hasattr(module, "__path__") else []
    yield (module.__name__, module.__doc__,
           list(dict.fromkeys([module.__name__, *public, *api, *_exercises(module)])))
    for name, obj in public.items():
        yield f"{module.__name__}.{name}", obj.__doc__, [name]  # own docstring, not inherited
        if not inspect.isclass(obj):
            continue
        for attr, member in vars(obj).items():
            if attr.startswith("_"):
                continue
            member = getattr(member, "__func__", member)  # staticmethod / classmethod
            if inspect.isfunction(member) or isinstance(member, property):
                yield f"{module.__name__}.{name}.{attr}", member.__doc__, [attr]


def test_docstring_chapter_citations_exist_and_use_the_object():
    modules = [rnnsec] + [importlib.import_module(info.name)
                          for info in pkgutil.walk_packages(rnnsec.__path__, "rnnsec.")]
    assert CHAPTERS, f"no chapters (NN_name.md) found in {_NOTEBOOKS}"
    problems = []
    for module in modules:
        for qualname, doc, names in _documented(module):
            for number in _cited(doc):
                if number not in CHAPTERS:
                    problems.append(f"{qualname}: Chapter {number} does not exist")
                elif not any(_mentions(CHAPTERS[number], name) for name in names):
                    problems.append(f"{qualname}: Chapter {number} never mentions "
                                    + " or ".join(names[:4]) + ("..." if len(names) > 4 else ""))
    if problems:
        pytest.fail(
            f"{len(problems)} stale chapter citation(s) in docstrings:\n  " + "\n  ".join(problems)
            + f"\nChapters: {', '.join(CHAPTERS)}. Cite the chapter that uses the object (grep "
            "notebooks/*.md), or, for an internal helper, point to the public function that uses "
            "it (\"Used by :func:`name`.\") instead of a chapter number.", pytrace=False)
