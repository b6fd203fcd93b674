"""Write the student and instructor editions of the book's notebooks (``make student``).

The instructor edition is the book's notebooks as they are (executed, with solutions and
self-checks). The student edition of each notebook:

- drops the solutions' prose (everything between a ``{solution-start}`` fence and its
  ``{solution-end}`` fence in the markdown) and the hidden ``remove-cell`` cells inside
  solutions;
- in each solution code cell, replaces the lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` by a ``raise NotImplementedError`` blank and keeps the other lines (the
  ``check.exercise(...)`` self-check call); a solution code cell without markers becomes a
  blank as a whole;
- clears every output, and opens with a note on how to work through it;
- in the Chinese edition, sets the self-checks' language to Chinese in a code cell just before
  the first exercise (``rnnsec.check.set_language("zh")``).

Usage: ``python tools/student.py OUT_DIR [--language zh] [NOTEBOOK ...]`` writes
``OUT_DIR/student/*.ipynb`` and
``OUT_DIR/instructor/*.ipynb``. The teachers' page (book/teachers.md) describes the editions.
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import re
import shutil
import sys

import nbformat

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
BLANK_TAG = "student-blank"
_START = re.compile(r"^```\{solution-start\}\s*(\S+)", re.M)
_END = re.compile(r"^```\{solution-end\}\s*\n```\s*$", re.M)
_LABEL = re.compile(r"^ex-(\d+)-(\d+)(?:-(\d+))?$")

NOTE = """\
```{{note}}
**Student edition of this chapter.** The solutions are removed: each exercise has a code cell
that raises `NotImplementedError` where your code goes. Replace that line with your answer and
run the cell; where a `check.exercise(...)` call follows, it tells you whether your answer is
right (with a hint if not) without showing the solution. "Run all" stops at the first blank
({n} blanks in this notebook).
```"""

# The same note in the Chinese edition (``--language zh``; tools/zh.py).
NOTE_ZH = """\
```{{note}}
**本章的学生版。** 解答已被删除：每道练习都有一个代码单元，在应填写代码的位置抛出
`NotImplementedError`。把那一行换成你的答案并运行该单元；若其后有 `check.exercise(...)` 调用，
它会告诉你答案是否正确（不正确时给出提示），但不会显示解答。“全部运行”会停在第一个空白处
（本笔记本共有 {n} 个空白）。
```"""
NOTES = {"en": NOTE, "zh": NOTE_ZH}
# A code cell that makes rnnsec.check answer in the edition's language (none for English).
CHECK_LANGUAGE = {"zh": 'from rnnsec import check\n\n'
                        'check.set_language("zh")  # 自检的反馈和提示以中文显示'}


def with_check_language(cells: list, language: str) -> list:
    """``cells`` with :data:`CHECK_LANGUAGE`'s cell before the first exercise's code cell (the
    first blank or ``check.exercise`` call); unchanged for English or a notebook without one."""
    source = CHECK_LANGUAGE.get(language)
    first = next((i for i, c in enumerate(cells) if c.cell_type == "code" and (
        BLANK_TAG in c.metadata.get("tags", []) or "check.exercise(" in c.source)), None)
    if source is None or first is None:
        return cells
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["check-language"]
    return cells[:first] + [cell] + cells[first:]


def exercise_id(label: str) -> str:
    """The self-check id of a label: ``ex-3-1-2`` -> ``"3.1-2"``, ``ex-1-2`` -> ``"1-2"``."""
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(f"label must look like 'ex-3-1-2' or 'ex-1-2', got {label!r}")
    major, second, third = match.groups()
    return f"{major}-{second}" if third is None else f"{major}.{second}-{third}"


def blank(ex_id: str, indent: str = "") -> str:
    """The line that stands where a solution was."""
    return (f'{indent}raise NotImplementedError("Exercise {ex_id}: replace this line with '
            'your code")')


def strip_solution_code(source: str, ex_id: str) -> str:
    """Replace each ``BEGIN/END SOLUTION`` region by a blank; a cell without one goes whole."""
    lines = source.splitlines()
    if not any(line.strip() in (BEGIN, END) for line in lines):
        return f"# Exercise {ex_id}: your code here.\n{blank(ex_id)}"
    out, inside = [], False
    for number, line in enumerate(lines, 1):
        if line.strip() == BEGIN:
            if inside:
                raise ValueError(f"exercise {ex_id}: nested {BEGIN!r} at line {number}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# Exercise {ex_id}: your code here.", blank(ex_id, indent)]
        elif line.strip() == END:
            if not inside:
                raise ValueError(f"exercise {ex_id}: {END!r} without {BEGIN!r} (line {number})")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"exercise {ex_id}: {BEGIN!r} is never closed")
    return "\n".join(out)


def _split_markdown(source: str, in_solution: bool, current: str | None):
    """Keep the parts of a markdown cell outside solutions; return (text, in_solution, id)."""
    kept, pos = [], 0
    while True:
        if in_solution:
            end = _END.search(source, pos)
            if end is None:
                return "".join(kept).strip("\n"), True, current
            pos, in_solution = end.end(), False
        else:
            start = _START.search(source, pos)
            if start is None:
                kept.append(source[pos:])
                return "".join(kept).strip("\n"), False, current
            kept.append(source[pos:start.start()])
            current, pos, in_solution = exercise_id(start.group(1)), start.end(), True


def student_cells(cells: list) -> list:
    """The student edition of a notebook's cells (see the module docstring)."""
    out, in_solution, current = [], False, None
    for cell in cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            text, in_solution, current = _split_markdown(cell.source, in_solution, current)
            if text.strip():
                cell.source = text
                out.append(cell)
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            if in_solution:
                if "remove-cell" in cell.metadata.get("tags", []):
                    continue
                cell.source = strip_solution_code(cell.source, current)
                cell.metadata["tags"] = [BLANK_TAG]
        out.append(cell)
    if in_solution:
        raise ValueError(f"exercise {current}: a {{solution-start}} without {{solution-end}}")
    return out


def student_notebook(nb, language: str = "en"):
    """A student-edition copy of ``nb`` (an nbformat notebook), its note in ``language``."""
    student = copy.deepcopy(nb)
    cells = student_cells(nb.cells)
    n_blanks = sum(BLANK_TAG in c.metadata.get("tags", []) for c in cells)
    first_md = next(i for i, c in enumerate(cells) if c.cell_type == "markdown")
    note = nbformat.v4.new_markdown_cell(NOTES[language].format(n=n_blanks))
    student.cells = with_check_language(cells[: first_md + 1] + [note] + cells[first_md + 1:],
                                        language)
    student.metadata["rnnsec_edition"] = "student"
    return student


def write_editions(out_dir: pathlib.Path, notebooks: list[pathlib.Path],
                   language: str = "en") -> list[pathlib.Path]:
    """Write ``out_dir/student`` and ``out_dir/instructor``; return the student notebooks."""
    written = []
    for edition in ("student", "instructor"):
        (out_dir / edition).mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        target = out_dir / "student" / path.name
        nbformat.write(student_notebook(nb, language), target)
        shutil.copyfile(path, out_dir / "instructor" / path.name)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--language", choices=sorted(NOTES), default="en",
                        help="the language of the student note (zh: the Chinese edition)")
    args = parser.parse_intermixed_args(argv)
    notebooks = args.notebooks or sorted(pathlib.Path("notebooks").glob("*.ipynb"))
    for path in write_editions(args.out_dir, notebooks, args.language):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
