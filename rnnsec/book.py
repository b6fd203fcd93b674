"""Notebook helpers for the book's chapters: glue numbers into the prose, detect Colab.

``glue`` stores a value in the notebook's output the way myst-nb's ``glue`` does, so the book
can quote it with ``{glue:text}`name``` — but without needing myst-nb, which Colab does not
have. Introduced in the preface ("How the book is built") and used by every chapter.
"""

from __future__ import annotations

import sys

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's key for values glued but not shown


ZH_SUFFIX = "__zh"  # glue(name, ..., zh=...) also records name + ZH_SUFFIX


def glue(name: str, value, *, display: bool = False, zh: str | None = None) -> None:
    """Record ``value`` under ``name`` for the book's ``{glue}`` roles.

    Args:
        name: the key used in the prose (letters, digits, ``_`` and ``-``).
        value: any displayable value; numbers are best rounded first (``round(acc, 3)``) or
            formatted in the prose (``{glue:text}`acc:.1%```).
        display: also show the value in the notebook's output.
        zh: the Chinese twin of a value that is words (a verdict, an interval in prose form):
            a str, or an object of the value's type (``Markdown`` for a ``{glue:md}`` value);
            recorded as ``name__zh``, which the Chinese edition's prose shows in place of
            ``name`` (preface, "Two editions").

    Outside IPython (e.g. a plain script) nothing is recorded.
    """
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(f"name must be a non-empty string of letters, digits, '_' or '-', "
                         f"got {name!r}")
    if name.endswith(ZH_SUFFIX):
        raise ValueError(f"name must not end with {ZH_SUFFIX!r} (pass the Chinese as zh=), "
                         f"got {name!r}")
    if zh is not None and not ((isinstance(zh, str) and zh) or type(zh) is type(value)):
        raise TypeError(f"zh must be a non-empty str or of the value's type "
                        f"({type(value).__name__}), the Chinese twin of the value; got {zh!r}")
    _record(name, value, display)
    if zh is not None:
        _record(name + ZH_SUFFIX, zh, display)



def glue_interval(name: str, interval, digits: int = 3, *, signed: bool | None = None) -> None:
    """Glue ``interval`` (an :class:`rnnsec.stats.Interval`) in its prose form, "+0.021 (95%
    interval -0.010 to +0.052)", with its Chinese twin (``glue(..., zh=...)``)."""
    glue(name, interval.text(digits, signed=signed, prose=True),
         zh=interval.text(digits, signed=signed, prose=True, language="zh"))

def _record(name: str, value, display: bool) -> None:
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
        from IPython.display import display as ipy_display
    except ImportError:
        return
    if get_ipython() is None:
        return
    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules
