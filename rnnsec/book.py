"""Notebook helpers for the book's chapters: glue numbers into the prose, detect Colab.

``glue`` stores a value in the notebook's output the way myst-nb's ``glue`` does, so the book
can quote it with ``{glue:text}`name``` — but without needing myst-nb, which Colab does not
have. Introduced in the preface ("How the book is built") and used by every chapter.
"""

from __future__ import annotations

import sys

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's key for values glued but not shown


def glue(name: str, value, display: bool = False) -> None:
    """Record ``value`` under ``name`` for the book's ``{glue}`` roles.

    Args:
        name: the key used in the prose (letters, digits, ``_`` and ``-``).
        value: any displayable value; numbers are best rounded first (``round(acc, 3)``) or
            formatted in the prose (``{glue:text}`acc:.1%```).
        display: also show the value in the notebook's output.

    Outside IPython (e.g. a plain script) nothing is recorded.
    """
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(f"name must be a non-empty string of letters, digits, '_' or '-', "
                         f"got {name!r}")
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
