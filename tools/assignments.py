"""Write the graded assignments' editions with otter-grader (``make assignments``).

Each assignment is one otter-assign source, ``assignments/aN_name.md`` (a MyST-markdown
notebook: raw cells carry otter's ``# BEGIN QUESTION`` / ``# BEGIN TESTS`` markers). From it
this tool writes, under ``OUT_DIR``:

- ``student/aN_name.ipynb``: solutions replaced by ``...``, the public tests only (run by
  ``grader.check("q1")``; also written into the setup cell, which puts them in ``tests/`` in
  Colab), the proofs' answer cells blank;
- ``instructor/aN_name.ipynb``: the solutions, the proofs' model answers and rubrics, and every
  test, public and hidden;
- ``autograder/aN_name.zip``: otter's autograder (also Gradescope's upload), whose tests
  include the hidden ones; ``autograder/aN_name.json``: the questions, their points and which
  are graded by hand (``tools/grade.py`` reads it).

With ``--runtimes FILE`` it then grades the instructor editions and writes each assignment's
measured CPU seconds (a run of its solutions, as the grader runs them) to ``FILE``, which the
teachers' page reads for its workload estimates (``make assignment-times``).

Usage: ``python tools/assignments.py OUT_DIR [SOURCE.md ...] [--runtimes FILE]`` with
otter-grader installed (the Makefile's ``.venv-grade``). The teachers' page (book/teachers.md)
describes the editions.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
QUESTION = "# BEGIN QUESTION"


def questions(nb) -> list[dict]:
    """The questions of an otter-assign source: name, points and whether graded by hand."""
    found = []
    for cell in nb.cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "raw" and lines and lines[0].strip() == QUESTION:
            config = yaml.safe_load("\n".join(lines[1:])) or {}
            if "name" not in config or "points" not in config:
                raise ValueError(f"question config without name or points: {config}")
            found.append({"name": str(config["name"]), "points": float(config["points"]),
                          "manual": bool(config.get("manual", False))})
    if not found:
        raise ValueError("the source has no '# BEGIN QUESTION' cell")
    return found


def assignment_name(nb) -> str:
    """The ``name`` of the source's ``# ASSIGNMENT CONFIG`` cell."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("# ASSIGNMENT CONFIG"):
            return str(yaml.safe_load(cell.source)["name"])
    raise ValueError("the source has no '# ASSIGNMENT CONFIG' cell")


def read_source(path: pathlib.Path):
    """An assignment's source as an nbformat notebook (MyST markdown through jupytext)."""
    import jupytext

    return jupytext.read(path, fmt="md:myst")


def _setup_cell_module():
    sys.path.insert(0, str(ROOT / "tools"))
    import setup_cell

    return setup_cell


def embed_public_tests(path: pathlib.Path) -> None:
    """Fill the setup cell's ``PUBLIC_TESTS`` in the student edition ``path`` with the public
    tests otter keeps in its metadata, so that the cell can write them to ``tests/`` in Colab,
    whose kernel cannot read the notebook file."""
    nb = nbformat.read(path, as_version=4)
    tests = dict(nb.metadata.get("otter", {}).get("tests", {}))
    if not tests:
        raise ValueError(f"{path.name}: otter wrote no public tests into the metadata")
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source = _setup_cell_module().with_public_tests(cell.source, tests)
    nbformat.write(nb, path)


def autograder_requirements() -> str:
    """What the autograder installs: this release of rnnsec (tools/setup_cell.py's one install
    source, the tag ``v<version>`` of _config.yml's repository)."""
    return _setup_cell_module().requirement() + "\n"


def build_one(source: pathlib.Path, out_dir: pathlib.Path) -> dict:
    """Run otter assign on one source and lay its three editions out under ``out_dir``."""
    nb = read_source(source)
    name = assignment_name(nb)
    if name != source.stem:
        raise ValueError(f"{source}: the assignment name {name!r} must equal the file's stem")
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        nbformat.write(nb, work / f"{name}.ipynb")
        (work / "requirements.txt").write_text(autograder_requirements())
        subprocess.run([sys.executable, "-m", "otter", "assign", f"{name}.ipynb", "dist"],
                       cwd=work, check=True)
        dist = work / "dist"
        (zip_path,) = (dist / "autograder").glob(f"{name}-autograder_*.zip")
        targets = {"student": dist / "student" / f"{name}.ipynb",
                   "instructor": dist / "autograder" / f"{name}.ipynb",
                   "autograder": zip_path}
        for edition, path in targets.items():
            (out_dir / edition).mkdir(parents=True, exist_ok=True)
            suffix = ".zip" if edition == "autograder" else ".ipynb"
            shutil.copyfile(path, out_dir / edition / f"{name}{suffix}")
    embed_public_tests(out_dir / "student" / f"{name}.ipynb")
    summary = {"assignment": name, "questions": questions(nb)}
    (out_dir / "autograder" / f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def measure(out_dir: pathlib.Path, target: pathlib.Path) -> dict[str, float]:
    """Grade the instructor editions; write and return {assignment: CPU seconds}."""
    sys.path.insert(0, str(ROOT / "tools"))
    from grade import grade, totals

    rows = grade(out_dir / "instructor", out_dir / "autograder")
    times = {}
    for t in totals(rows):
        if t["auto_score"] != t["auto_max"]:
            raise RuntimeError(f"{t['submission']}: the solutions score {t['auto_score']} of "
                               f"{t['auto_max']}")
        times[t["assignment"]] = t["cpu_seconds"]
    target.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("sources", nargs="*", type=pathlib.Path)
    parser.add_argument("--runtimes", type=pathlib.Path, default=None)
    args = parser.parse_args(argv)
    sources = args.sources or sorted((ROOT / "assignments").glob("a*.md"))
    for source in sources:
        summary = build_one(source, args.out_dir)
        points = sum(q["points"] for q in summary["questions"])
        print(f"wrote {summary['assignment']}: {len(summary['questions'])} questions, "
              f"{points:g} points")
    if args.runtimes is not None:
        print(f"wrote {args.runtimes}: {measure(args.out_dir, args.runtimes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
