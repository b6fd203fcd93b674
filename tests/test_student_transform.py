"""tools/student.py: the student edition hides every solution and keeps every self-check."""

import importlib.util
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("student", ROOT / "tools" / "student.py")
student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _solution_regions(nb):
    """(exercise id, code inside the BEGIN/END markers) for every marked solution region."""
    regions = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for body in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", cell.source, re.S):
            regions.append(body)
    return regions


def _fake(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), *cells]
    return nb


def test_exercise_ids():
    assert student.exercise_id("ex-3-1-2") == "3.1-2"
    assert student.exercise_id("ex-1-3") == "1-3"
    with pytest.raises(ValueError, match="label must look like"):
        student.exercise_id("sol-3-1")


def test_markers_make_blanks_and_keep_the_check():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = _fake([
        md("Text\n\n```{exercise}\n:label: ex-2-1-1\nDo it.\n```\n\n"
           "```{solution-start} ex-2-1-1\n:class: dropdown\n```"),
        code("from rnnsec import check\n\n# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION\n"
             "check.exercise('2.1-1', answer)"),
        code("assert answer == 42", ),
        md("Because 42.\n```{solution-end}\n```\n\nAfter the solution."),
        md("```{exercise}\n:label: ex-2-1-2\nAgain.\n```\n```{solution-start} ex-2-1-2\n```"),
        code("print('secret')"),
        md("Prose.\n```{solution-end}\n```"),
    ])
    nb.cells[3].metadata["tags"] = ["remove-cell"]
    out = student.student_notebook(nb)
    text = "\n".join(c.source for c in out.cells)
    assert "answer = 42" not in text and "Because 42" not in text and "secret" not in text
    assert "assert answer" not in text and "solution-start" not in text
    assert "check.exercise('2.1-1', answer)" in text and "After the solution." in text
    blanks = [c for c in out.cells if "student-blank" in c.metadata.get("tags", [])]
    assert len(blanks) == 2
    assert 'NotImplementedError("Exercise 2.1-1' in blanks[0].source
    assert 'NotImplementedError("Exercise 2.1-2' in blanks[1].source
    assert "Do it." in text and "Again." in text and "2 blanks" in text


def test_broken_markers_are_reported():
    with pytest.raises(ValueError, match="never closed"):
        student.strip_solution_code("# BEGIN SOLUTION\nx = 1", "1-1")
    with pytest.raises(ValueError, match="without"):
        student.strip_solution_code("x = 1\n# END SOLUTION", "1-1")
    open_block = _fake([nbformat.v4.new_markdown_cell("```{solution-start} ex-1-1\n```")])
    with pytest.raises(ValueError, match="solution-end"):
        student.student_notebook(open_block)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_book_notebooks(path):
    nb = nbformat.read(path, as_version=4)
    out = student.student_notebook(nb)
    text = "\n".join(c.source for c in out.cells)
    assert "{solution-start}" not in text and "{solution-end}" not in text
    for body in _solution_regions(nb):  # no solution survives (its lines may recur elsewhere)
        assert body.strip() not in text, (path.name, body)
    n_exercises = len(re.findall(r"^:label: ex-", "\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"), re.M))
    blanks = [c for c in out.cells if "student-blank" in c.metadata.get("tags", [])]
    # every code solution becomes one blank; pen-and-paper exercises (proofs) have none
    coded = [c for c in nb.cells if c.cell_type == "code" and "# BEGIN SOLUTION" in c.source]
    assert n_exercises >= 3 and len(blanks) == len(coded) >= 2, (n_exercises, len(blanks))
    def calls(cells):
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        return re.findall(r"check\.exercise\([^\n]*", code)

    assert calls(nb.cells) == calls(out.cells) and len(calls(nb.cells)) >= 2
    assert all(not c.get("outputs") for c in out.cells if c.cell_type == "code")


def test_the_chinese_edition_sets_the_check_language():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    english, chinese = student.student_notebook(nb), student.student_notebook(nb, "zh")
    assert len(chinese.cells) == len(english.cells) + 1
    tagged = [i for i, c in enumerate(chinese.cells)
              if "check-language" in c.metadata.get("tags", [])]
    first_blank = next(i for i, c in enumerate(chinese.cells)
                       if "student-blank" in c.metadata.get("tags", []))
    assert tagged == [first_blank - 1]
    assert 'check.set_language("zh")' in chinese.cells[tagged[0]].source
    assert not any("set_language" in c.source for c in english.cells)
