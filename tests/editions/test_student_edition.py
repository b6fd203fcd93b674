"""The student edition runs: each student notebook executes up to its first blank, and stops
there with the blank's NotImplementedError and with no other error before it.

Slow (it runs every chapter up to its exercises), so ``make test`` runs it once, on the pinned
stack, after ``make student`` has written the editions (``STUDENT_DIR``, default
_build/editions/student). The instructor edition is the book's notebooks themselves; ``make
test`` runs them under nbval with ``RNNSEC_STRICT_CHECKS=1``, so every self-check passes there.
"""

import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUDENT_DIR = pathlib.Path(os.environ.get("STUDENT_DIR", ROOT / "_build/editions/student"))
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_student_notebook_runs_to_its_first_blank(source):
    path = STUDENT_DIR / source.name
    assert path.exists(), f"{path} missing: run `make student` first"
    nb = nbformat.read(path, as_version=4)
    blanks = [i for i, c in enumerate(nb.cells) if "student-blank" in c.metadata.get("tags", [])]
    assert blanks, f"{source.name}: the student edition has no blank"
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with pytest.raises(CellExecutionError) as stop:
        client.execute()
    assert stop.value.ename == "NotImplementedError", stop.value
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [blanks[0]], (failed, blanks[0])
    before = [c for c in nb.cells[: blanks[0]] if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in before)
