"""The student editions work in Colab: the setup cell installs this release, the data packages
and otter-grader, and writes the public tests to ``tests/``, where ``grader.check`` finds them
although Colab's kernel cannot read the notebook file (otter then refuses metadata tests).

Colab is imitated: a stand-in ``google.colab`` module, ``rnnsec`` missing, ``subprocess.run``
recorded instead of run, and otter told that it runs in Colab.
"""

import os
import pathlib
import subprocess
import sys
import types

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools"))
import setup_cell  # noqa: E402


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.fixture
def colab(monkeypatch, tmp_path):
    """Run code as in a fresh Colab runtime, in an empty working folder; returns the list of
    pip commands the code ran."""
    from otter.check.utils import IPythonInterpreter

    commands = []

    def fake_run(command, check):
        assert check is True and command[1:5] == ["-m", "pip", "install", "-q"], command
        commands.append(command[5:])
        if command[5:] == [setup_cell.requirement()]:
            sys.modules.pop("rnnsec", None)  # "installed": the next import finds the package

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "rnnsec", None)  # import rnnsec raises ImportError
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(IPythonInterpreter.COLAB.value, "running", lambda: True)
    monkeypatch.delenv("RNNSEC_INSTALL", raising=False)
    return commands


def test_the_setup_cell_writes_the_public_tests_in_colab(editions, assignment_names, colab,
                                                         tmp_path):
    for name in assignment_names:
        folder = tmp_path / name
        folder.mkdir()
        nb = nbformat.read(editions / "student" / f"{name}.ipynb", as_version=4)
        public = dict(nb.metadata["otter"]["tests"])
        env = {}
        colab.clear()
        sys.modules["rnnsec"] = None  # a fresh runtime for each assignment
        os.chdir(folder)
        exec(code_cells(nb)[0], env)
        written = {p.stem: p.read_text(encoding="utf-8") for p in (folder / "tests").glob("*.py")}
        assert written == public, f"{name}: the public tests written differ from otter's"
        assert not any("hidden=True" in text for text in written.values()), name
        assert colab[0] == [setup_cell.requirement()], colab
        assert colab[1][0] == "--no-deps" and colab[1][1:] == setup_cell.data_packages()
        assert colab[2] == [setup_cell.otter_requirement()], colab
        assert env["grader"]._tests_dir == "./tests"


def test_grader_check_runs_the_written_tests_in_colab(editions, colab, tmp_path):
    """Assignment 2 (NumPy only): the solutions pass every public test from the written files;
    a blank answer fails them; otter refuses the notebook's metadata in Colab."""
    name = "a2_defences"
    student = nbformat.read(editions / "student" / f"{name}.ipynb", as_version=4)
    instructor = nbformat.read(editions / "instructor" / f"{name}.ipynb", as_version=4)
    setup = code_cells(student)[0]
    public = sorted(student.metadata["otter"]["tests"])

    def environment(nb) -> dict:
        env = {}
        exec(setup, env)
        for source in code_cells(nb)[1:]:
            if "grader.check" in source or "BEGIN TEST CONFIG" in source:
                continue
            try:
                exec(source, env)
            except Exception:  # a blank answer (...) breaks its example cell; keep going
                pass
        return env

    solved = environment(instructor)
    for question in public:
        result = solved["grader"].check(question, solved)
        assert result.grade == 1, (question, repr(result))
    blank = environment(student)
    assert all(blank["grader"].check(q, blank).grade < 1 for q in public)
    with pytest.raises(FileNotFoundError):  # no file for a question graded by hand
        blank["grader"].check("q2", blank)
