"""The student edition runs: each student notebook executes up to its first blank, and stops
there with the blank's NotImplementedError and with no other error before it.

Slow (it runs every chapter up to its exercises), so ``make test`` runs it once, on the current
stack (where Colab students run it; the pinned stack runs the same code in nb-pinned), after
``make student`` has written the editions (``STUDENT_DIR``, default _build/editions/student).
The instructor edition is the book's notebooks themselves; ``make test`` runs them under nbval
with ``RNNSEC_STRICT_CHECKS=1``, so every self-check passes there.

With ``GLUE_LOG`` set, the values glued before each first blank are appended to that file
(tests/glue_values.py): ``make test`` runs this stage on the current stack and compares them
with the nb-current run's (a second fresh run on the same stack must glue the same numbers).
"""

import json
import os
import pathlib
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUDENT_DIR = pathlib.Path(os.environ.get("STUDENT_DIR", ROOT / "_build/editions/student"))
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb"))
GLUE_LOG = os.environ.get("GLUE_LOG")

sys.path.insert(0, str(ROOT / "tests"))
from glue_values import glued_in_outputs  # noqa: E402


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
    if GLUE_LOG:
        with open(GLUE_LOG, "a", encoding="utf-8") as log:
            for i, cell in enumerate(nb.cells[: blanks[0]]):
                for name, text in glued_in_outputs(cell.get("outputs", [])):
                    log.write(json.dumps({"notebook": source.stem, "cell": i, "name": name,
                                          "value": text}) + "\n")
    assert stop.value.ename == "NotImplementedError", stop.value
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [blanks[0]], (failed, blanks[0])
    before = [c for c in nb.cells[: blanks[0]] if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in before)
