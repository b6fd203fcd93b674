"""No hidden test, and no value it checks against, reaches a student.

The hidden tests live only in the autograder zips (and the instructor edition). This test reads
them from the zips and fails when any of them can be recognised (its name, the seeds and shapes
of the inputs the student never sees, any of its assertions) in the student edition or in any
file of the installed ``rnnsec`` package (which students install).
"""

import ast
import pathlib
import re
import zipfile

import pytest

import rnnsec

_SEED = re.compile(r"default_rng\(\d+\)")


def hidden_tests(zip_path: pathlib.Path) -> list[tuple[str, str]]:
    """(name, source) of every hidden test case in an autograder zip."""
    found = []
    with zipfile.ZipFile(zip_path) as z:
        for member in z.namelist():
            if not (member.startswith("tests/") and member.endswith(".py")):
                continue
            source = z.read(member).decode("utf-8")
            for node in ast.parse(source).body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                hidden = any(kw.arg == "hidden" and getattr(kw.value, "value", False) is True
                             for dec in node.decorator_list if isinstance(dec, ast.Call)
                             for kw in dec.keywords)
                if hidden:
                    found.append((node.name, ast.get_source_segment(source, node)))
    return found


def fingerprints(source: str, name: str) -> set[str]:
    """Strings that identify a hidden test: its name, the seeds and shapes of its unseen
    inputs, and its checks (every ``assert`` line). Its reference computations are plain
    correct code (the book's solutions compute the same), so they are not fingerprints."""
    lines = {line.strip() for line in source.splitlines()
             if line.strip().startswith("assert ") or "size=(" in line or "seed=" in line}
    return {name, *_SEED.findall(source), *lines}


def package_text() -> str:
    root = pathlib.Path(rnnsec.__file__).resolve().parent
    return "\n".join(p.read_text(encoding="utf-8", errors="ignore")
                     for p in root.rglob("*") if p.is_file() and p.suffix != ".pyc")


def test_every_question_with_code_has_hidden_tests(editions, assignment_names):
    for name in assignment_names:
        hidden = {n.split("_")[1] for n, _ in hidden_tests(editions / "autograder" / f"{name}.zip")}
        summary = (editions / "autograder" / f"{name}.json").read_text()
        auto = set(re.findall(r'"name": "(q\d+)",\s*"points": [\d.]+,\s*"manual": false', summary))
        assert auto and auto == hidden, (name, auto, hidden)


@pytest.mark.parametrize("where", ["student edition", "installed rnnsec"])
def test_hidden_tests_reach_no_student(editions, assignment_names, where):
    package = package_text() if where == "installed rnnsec" else None
    for name in assignment_names:
        if package is None:
            text = (editions / "student" / f"{name}.ipynb").read_text(encoding="utf-8")
            instructor = (editions / "instructor" / f"{name}.ipynb").read_text(encoding="utf-8")
        else:
            text = instructor = package
        tests = hidden_tests(editions / "autograder" / f"{name}.zip")
        assert tests, f"{name}: no hidden test in its autograder"
        for test_name, source in tests:
            prints = fingerprints(source, test_name)
            leaked = sorted(p for p in prints if p in text)
            assert not leaked, f"{name}: {test_name} leaks into the {where}: {leaked[:3]}"
            if package is None:  # the check can fail: the instructor edition has them all
                assert test_name in instructor, f"{name}: {test_name} not in the instructor edition"
