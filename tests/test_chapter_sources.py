"""Each chapter has one source: a MyST-markdown notebook paired with its executed .ipynb.

``notebooks/NN_name.md`` (the text a teacher edits and a reviewer diffs) and
``notebooks/NN_name.ipynb`` (the same cells with their outputs, which the book renders and the
tests execute) are a jupytext pair. This test fails when the two differ in any cell's type,
source or tags, naming the chapter, the cell and the fix (``make sync``). It reads both files
the way jupytext does, so it needs no timestamps and works on a fresh clone.
"""

from __future__ import annotations

import pathlib

import jupytext
import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAIRING = "ipynb,md:myst"


def _cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells]


def test_every_chapter_and_only_chapters_have_a_markdown_source():
    sources = {p.stem for p in (ROOT / "notebooks").glob("*.md")}
    assert NOTEBOOKS, "no notebooks found"
    assert sources == {p.stem for p in NOTEBOOKS}, (
        "notebooks/*.md and notebooks/*.ipynb must come in pairs: "
        f"only .md {sorted(sources - {p.stem for p in NOTEBOOKS})}, "
        f"only .ipynb {sorted({p.stem for p in NOTEBOOKS} - sources)}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_markdown_source_and_executed_notebook_are_in_sync(path):
    executed = nbformat.read(str(path), as_version=4)
    source = jupytext.read(path.with_suffix(".md"))
    assert executed.metadata.get("jupytext", {}).get("formats") == PAIRING, (
        f"{path.name}: not paired (jupytext --set-formats {PAIRING} {path.name})")
    a, b = _cells(source), _cells(executed)
    hint = f"out of sync; run `make sync` (jupytext --sync notebooks/{path.stem}.md)"
    assert len(a) == len(b), (f"{path.stem}: {len(a)} cells in the .md, {len(b)} in the "
                              f".ipynb, {hint}")
    for i, (cell_md, cell_nb) in enumerate(zip(a, b, strict=True)):
        assert cell_md == cell_nb, f"{path.stem}: cell {i} differs between .md and .ipynb, {hint}"
