"""Grade submitted assignment notebooks into a gradebook (``make grade SUBMISSIONS=dir``).

Every ``*.ipynb`` under the submissions folder is one submission (``alice/a1_attacks.ipynb``
or ``a1_attacks-alice.ipynb``); its assignment is read from the notebook's otter metadata
(``metadata.otter.assignment_name``, which the student edition carries), or else from a file
name that starts with an assignment's name. Each submission runs once, in a fresh kernel, under
``otter run`` with that assignment's autograder (``tools/assignments.py`` writes them); otter
runs every cell even after one fails, so a crash in question 2 still leaves questions 3-n to
be graded, and every question's tests, public and hidden, are run on their own.

Writes ``OUT.csv`` and ``OUT.json``: one row per submission and question with the score, the
points, whether the question is graded by hand (its score is left empty for the grader) and
the failing tests' messages; and ``OUT-totals.csv``, one row per submission (with the CPU
seconds its run took: otter and its kernel).

Usage: ``python tools/grade.py SUBMISSIONS --autograders DIR --out OUT [--timeout S]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import re
import resource
import subprocess
import sys
import tempfile

import nbformat

FIELDS = ["submission", "assignment", "question", "kind", "score", "max_score", "messages",
          "cpu_seconds"]
_CASE = re.compile(r"^\s*(\S+) - (\d+) (message|result):\s*(.*)$")


def load_autograders(directory: pathlib.Path) -> dict[str, dict]:
    """Assignment name -> {"zip": path, "questions": [...]}, for each autograder in the folder."""
    found = {}
    for summary in sorted(directory.glob("*.json")):
        info = json.loads(summary.read_text())
        zip_path = summary.with_suffix(".zip")
        if not zip_path.exists():
            raise FileNotFoundError(f"{zip_path} missing beside {summary}")
        found[info["assignment"]] = {"zip": zip_path, "questions": info["questions"]}
    if not found:
        raise FileNotFoundError(f"no autograder in {directory}: run `make assignments` first")
    return found


def assignment_of(path: pathlib.Path, names) -> str | None:
    """The assignment a submission answers (otter metadata, else the file name)."""
    try:
        name = nbformat.read(path, as_version=4).metadata.get("otter", {}).get("assignment_name")
    except Exception:  # noqa: BLE001 - an unreadable notebook is graded as a failure below
        name = None
    if name in names:
        return name
    return next((n for n in sorted(names, key=len, reverse=True) if path.stem.startswith(n)),
                None)


def failing_messages(output: str) -> str:
    """The messages and errors of the failed test cases in one question's otter output."""
    cases: dict[str, dict] = {}
    key, part = None, None
    for line in output.splitlines():
        match = _CASE.match(line)
        if match:
            key, part = f"{match.group(1)}-{match.group(2)}", match.group(3)
            cases.setdefault(key, {"message": [], "result": []})
            if match.group(4).strip():
                cases[key][part].append(match.group(4).strip())
        elif key is not None and line.strip():
            cases[key][part].append(line.strip())
    failed = []
    for key, case in cases.items():
        result = case["result"]
        if any("failed" in line for line in result):
            error = result[-1] if result else ""
            failed.append(f"{key}: {' '.join(case['message'])} [{error}]")
    return " | ".join(failed)


def child_cpu_seconds() -> float:
    """User + system CPU time of the finished child processes (otter and its kernels)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_otter(path: pathlib.Path, zip_path: pathlib.Path, timeout: float) -> tuple[dict, str]:
    """Otter's results for one submission ({question: (score, output)}) and an error, if any."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(zip_path.resolve()),
               "-o", tmp, str(path.resolve())]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {}, f"grading stopped after {timeout:g} s"
        results = pathlib.Path(tmp) / "results.json"
        if not results.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {}, "otter run failed: " + " ".join(tail)
        tests = json.loads(results.read_text())["tests"]
    return {t["name"]: (float(t.get("score", 0)), t.get("output", "")) for t in tests}, ""


def grade_submission(path: pathlib.Path, label: str, grader: dict, assignment: str,
                     timeout: float) -> list[dict]:
    """One row per question of ``assignment`` for the submission at ``path``."""
    start = child_cpu_seconds()
    scores, error = run_otter(path, grader["zip"], timeout)
    cpu = round(child_cpu_seconds() - start, 1)
    rows = []
    for q in grader["questions"]:
        row = {"submission": label, "assignment": assignment, "question": q["name"],
               "max_score": q["points"], "cpu_seconds": cpu}
        if q["manual"]:
            row.update(kind="manual", score=None, messages="graded by hand (rubric in the "
                                                           "instructor edition)")
        elif q["name"] in scores:
            score, output = scores[q["name"]]
            row.update(kind="auto", score=score, messages=failing_messages(output))
        else:
            row.update(kind="auto", score=0.0, messages=error or "no result for this question")
        rows.append(row)
    return rows


def grade(submissions: pathlib.Path, autograders: pathlib.Path, timeout: float = 900.0
          ) -> list[dict]:
    """Grade every notebook under ``submissions``; return the gradebook's rows."""
    graders = load_autograders(autograders)
    rows = []
    for path in sorted(submissions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        label = str(path.relative_to(submissions).with_suffix(""))
        assignment = assignment_of(path, graders)
        if assignment is None:
            rows.append({"submission": label, "assignment": None, "question": None,
                         "kind": "error", "score": 0.0, "max_score": 0.0,
                         "messages": f"not a submission of {sorted(graders)}",
                         "cpu_seconds": 0.0})
            continue
        print(f"grading {label} ({assignment})", flush=True)
        rows += grade_submission(path, label, graders[assignment], assignment, timeout)
    return rows


def totals(rows: list[dict]) -> list[dict]:
    """One row per submission: automatic score, its maximum, and the points graded by hand."""
    out: dict[str, dict] = {}
    for row in rows:
        t = out.setdefault(row["submission"], {"submission": row["submission"],
                                                "assignment": row["assignment"],
                                                "auto_score": 0.0, "auto_max": 0.0,
                                                "manual_max": 0.0,
                                                "cpu_seconds": row["cpu_seconds"]})
        if row["kind"] == "manual":
            t["manual_max"] += row["max_score"]
        else:
            t["auto_score"] += row["score"] or 0.0
            t["auto_max"] += row["max_score"]
    return list(out.values())


def write_gradebook(rows: list[dict], out: pathlib.Path) -> None:
    """Write ``out.csv``, ``out.json`` and ``out-totals.csv``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    summary = totals(rows)
    with open(out.parent / f"{out.name}-totals.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(summary[0]) if summary else ["submission"])
        writer.writeheader()
        writer.writerows(summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=pathlib.Path)
    parser.add_argument("--autograders", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True,
                        help="gradebook path without suffix (writes .csv and .json)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds one submission may run")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of notebooks, got {args.submissions}")
    rows = grade(args.submissions, args.autograders, args.timeout)
    write_gradebook(rows, args.out)
    for t in totals(rows):
        print(f"{t['submission']}: {t['auto_score']:g} / {t['auto_max']:g} automatic "
              f"(+ {t['manual_max']:g} by hand)")
    print(f"wrote {args.out.with_suffix('.csv')} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
