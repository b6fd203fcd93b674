"""Unit tests of the grading tools (tools/grade.py, tools/assignments.py) without otter.

The grading itself (otter runs of synthetic submissions) is tested in tests/grading, in the
grading environment; these tests read otter's output format and the assignment sources.
"""

import importlib.util
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


assignments, grade = _tool("assignments"), _tool("grade")
_PROMPT = re.compile(r"^\*\*Question \d+ \(([^)]*?), (?:(proof|argument|short answer), )?\d+ "
                     r"points?\)", re.M)

OTTER_OUTPUT = """q1 results:
    q1 - 1 message: one loss per row.

    q1 - 1 result:
        \u2705 Test case passed

    q1 - 2 message: not the worst case on new inputs.

    q1 - 2 result:
        \u274c Test case failed
        Error at line 38 in test q1:
              assert np.allclose(got, ref)
        AssertionError: norm '2': largest error 0.3
"""


def test_failing_messages_keeps_only_failed_cases():
    text = grade.failing_messages(OTTER_OUTPUT)
    assert text == ("q1-2: not the worst case on new inputs. "
                    "[AssertionError: norm '2': largest error 0.3]")
    assert grade.failing_messages(OTTER_OUTPUT.split("    q1 - 2")[0]) == ""


def test_totals_separate_code_and_hand():
    rows = [{"submission": "s", "assignment": "a", "question": "q1", "kind": "auto",
             "score": 2.0, "max_score": 4.0, "cpu_seconds": 3.0},
            {"submission": "s", "assignment": "a", "question": "q2", "kind": "manual",
             "score": None, "max_score": 4.0, "cpu_seconds": 3.0}]
    (t,) = grade.totals(rows)
    assert (t["auto_score"], t["auto_max"], t["manual_max"]) == (2.0, 4.0, 4.0)


def test_assignment_from_metadata_or_file_name(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["otter"] = {"assignment_name": "a2_defences"}
    nbformat.write(nb, tmp_path / "alice.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "a1_attacks-bob.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "carol.ipynb")
    names = {"a1_attacks", "a2_defences"}
    assert grade.assignment_of(tmp_path / "alice.ipynb", names) == "a2_defences"
    assert grade.assignment_of(tmp_path / "a1_attacks-bob.ipynb", names) == "a1_attacks"
    assert grade.assignment_of(tmp_path / "carol.ipynb", names) is None


SOURCES = sorted((ROOT / "assignments").glob("a*.md"))


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_assignment_sources(source):
    nb = assignments.read_source(source)
    assert assignments.assignment_name(nb) == source.stem
    questions = assignments.questions(nb)
    assert any(q["manual"] for q in questions) and any(not q["manual"] for q in questions)
    hidden = sum("hidden: true" in c.source for c in nb.cells if c.cell_type == "code")
    assert hidden == sum(not q["manual"] for q in questions), "one hidden test per question"


def test_assignments_cover_every_part_with_proofs_on_4_1_4_2_6_1():
    by_code, by_hand = set(), set()
    for source in SOURCES:
        for chapters, kind in _PROMPT.findall(source.read_text(encoding="utf-8")):
            (by_hand if kind else by_code).update(re.split(r", | and ", chapters))
    parts = {c.split(".")[0] for c in by_code | by_hand}
    assert parts == {"1", "2", "3", "4", "5", "6"}, parts
    assert {"4.1", "4.2", "6.1"} <= by_hand, by_hand
    assert {"4.1", "6.1"} <= by_code, by_code
