"""Grading synthetic submissions gives the marks it should (``make test``'s grading stage).

Four submissions of one assignment (2: defences, NumPy only, fast) and two of the others:
- every instructor edition (the solutions): full marks on every question graded by code;
- every blank student edition: zero on every such question, and no crash of the grader;
- assignment 2 with a wrong answer in question 1 (the sign of the shift) and a hard-coded
  answer in question 4 (the example's noise, which passes the public test): exactly those two
  questions lose points;
- assignment 2 with a crash in question 1: question 1 gets zero, and questions 3-6 still get
  full marks.
The gradebook (CSV and JSON) holds one row per submission and question, manual questions
with an empty score, and the failing tests' messages.
"""

import csv
import json
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from rnnsec.privacy.accounting import noise_for_epsilon

ROOT = pathlib.Path(__file__).resolve().parents[2]
A2 = "a2_defences"


def edit_cell(nb, marker: str, edit) -> None:
    """Apply ``edit`` to the source of the one code cell containing ``marker``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {marker!r}"
    new = edit(cells[0].source)
    assert new != cells[0].source, f"the edit of the cell with {marker!r} changed nothing"
    cells[0].source = new


def wrong_and_hardcoded(nb):
    edit_cell(nb, "def worst_case_loss(", lambda s: s.replace(
        "margin = y * (x @ w + b) - epsilon * dual", "margin = y * (x @ w + b) + epsilon * dual"))
    copied = noise_for_epsilon(2.0, sampling_rate=0.01, steps=1000, delta=1e-5, rtol=1e-3)
    head = "def smallest_noise(target_epsilon, sampling_rate, steps, delta):\n"
    edit_cell(nb, head, lambda s: head + f"    return {copied!r}\n" + s.split("# END SOLUTION")[1])


def crash_in_q1(nb):
    edit_cell(nb, "def worst_case_loss(", lambda s: 'raise RuntimeError("a crash")\n' + s)


@pytest.fixture(scope="module")
def gradebook(editions, assignment_names, tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    for edition, label in (("instructor", "solutions"), ("student", "blank")):
        (subs / label).mkdir()
        for name in assignment_names:
            shutil.copyfile(editions / edition / f"{name}.ipynb", subs / label / f"{name}.ipynb")
    for label, change in (("wrong", wrong_and_hardcoded), ("crash", crash_in_q1)):
        nb = nbformat.read(editions / "instructor" / f"{A2}.ipynb", as_version=4)
        change(nb)
        (subs / label).mkdir()
        nbformat.write(nb, subs / label / f"{A2}.ipynb")
    out = tmp_path_factory.mktemp("gradebook") / "gradebook"
    subprocess.run([sys.executable, str(ROOT / "tools/grade.py"), str(subs), "--autograders",
                    str(editions / "autograder"), "--out", str(out), "--timeout", "600"],
                   check=True)
    rows = json.loads(out.with_suffix(".json").read_text())
    with open(out.with_suffix(".csv"), newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(rows)
    return {(r["submission"], r["question"]): r for r in rows}


def scores(gradebook, submission: str) -> dict[str, tuple]:
    return {q: (r["score"], r["max_score"], r["messages"]) for (s, q), r in gradebook.items()
            if s == submission and r["kind"] == "auto"}


def test_solutions_get_full_marks(gradebook, assignment_names):
    for name in assignment_names:
        got = scores(gradebook, f"solutions/{name}")
        assert got and all(s == m for s, m, _ in got.values()), (name, got)


def test_blank_edition_gets_zero_with_messages(gradebook, assignment_names):
    for name in assignment_names:
        got = scores(gradebook, f"blank/{name}")
        assert got and all(s == 0 and msg for s, _, msg in got.values()), (name, got)


def test_manual_questions_are_left_to_the_grader(gradebook, assignment_names):
    manual = [r for r in gradebook.values() if r["kind"] == "manual"]
    assert {r["assignment"] for r in manual} == set(assignment_names)
    assert all(r["score"] is None and r["max_score"] > 0 for r in manual)


def test_wrong_and_hardcoded_answers_lose_exactly_their_points(gradebook):
    got = scores(gradebook, f"wrong/{A2}")
    lost = {q for q, (s, m, _) in got.items() if s < m}
    assert lost == {"q1", "q4"}, got
    assert got["q4"][0] > 0, "the hard-coded answer passes its public test"
    assert "budgets you have not seen" in got["q4"][2], got["q4"][2]


def test_a_crash_in_one_question_leaves_the_others_graded(gradebook):
    got = scores(gradebook, f"crash/{A2}")
    assert got["q1"][0] == 0, got
    assert all(s == m for q, (s, m, _) in got.items() if q != "q1"), got
