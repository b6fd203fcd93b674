"""Every chapter notebook follows the book's rules (see tests/notebook_checks.py)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from notebook_checks import ROOT, problems  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "notebooks/ holds no chapter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_rules(path):
    assert problems(path) == []


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    missing = [p.stem for p in NOTEBOOKS if f"notebooks/{p.stem}" not in toc]
    assert missing == []


def test_checks_catch_a_broken_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [{"cell_type": "code", "metadata": {}, "source": ["1/0"], '
                   '"execution_count": null, "outputs": []}], "metadata": {}, '
                   '"nbformat": 4, "nbformat_minor": 5}')
    found = problems(bad)
    assert any("setup" in m for m in found) and any("never executed" in m for m in found)
