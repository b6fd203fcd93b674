"""Structural checks of the committed notebooks (run by `make book` and by pytest).

A chapter must: import rnnsec; start with the hidden Colab-aware setup cell; be stored with its
outputs (a cell that draws keeps its figure), executed top to bottom in one run, with no
error outputs; call rnnsec.set_seed; and
assert its key claims in at least one hidden (``remove-cell``) cell. The reader's apparatus:
learning objectives and a threat-model box, a summary, at least three exercises each with a
solution, at least two self-checks (``check.exercise``), and at least one link to the
glossary (``{term}``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def problems(path: Path) -> list[str]:
    """Every rule the notebook at ``path`` breaks, as readable messages."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    out = []
    if not code:
        return [f"{path.name}: has no code cells"]
    first = code[0]
    if "hide-cell" not in first.get("metadata", {}).get("tags", []) or \
            "env_report" not in "".join(first["source"]):
        out.append(f"{path.name}: the first code cell must be the hidden (hide-cell) setup "
                   "cell that prints rnnsec.env_report()")
    sources = ["".join(c["source"]) for c in code]
    if not any("import rnnsec" in s or "from rnnsec" in s for s in sources):
        out.append(f"{path.name}: does not import rnnsec")
    if not any("set_seed(" in s for s in sources):
        out.append(f"{path.name}: never calls rnnsec.set_seed")
    counts = [c.get("execution_count") for c in code]
    if any(n is None for n in counts):
        out.append(f"{path.name}: some code cells were never executed (commit with outputs)")
    elif counts != list(range(counts[0], counts[0] + len(counts))):
        out.append(f"{path.name}: cells were not executed top to bottom in one run")
    for c in code:
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            out.append(f"{path.name}: a stored output is an error")
            break
    for c, s in zip(code, sources, strict=True):
        if _draws(s) and not any(any(k.startswith("image/") for k in o.get("data", {}))
                                 for o in c.get("outputs", [])):
            first_line = s.strip().splitlines()[0]
            out.append(f"{path.name}: a cell that draws a figure stored no image "
                       f"({first_line[:60]!r}); execute with the inline backend (make execute)")
            break
    hidden_asserts = [s for c, s in zip(code, sources, strict=True)
                      if "remove-cell" in c.get("metadata", {}).get("tags", []) and
                      "assert " in s]
    if not hidden_asserts:
        out.append(f"{path.name}: no hidden (remove-cell) cell asserts the chapter's claims")
    return out + apparatus_problems(path.name, cells)


def _draws(source: str) -> bool:
    """True when a cell calls rnnsec.plots or pyplot outside comments (it shows a figure)."""
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    return "plots." in code or "plt." in code


def apparatus_problems(name: str, cells: list) -> list[str]:
    """The reader's apparatus every chapter must have (see the module docstring)."""
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    out = []
    for needle, what in (("{admonition} Learning objectives", "a learning-objectives box"),
                         ("{admonition} Threat model", "a threat-model box"),
                         ("\n## Summary", "a '## Summary' section"),
                         ("{term}`", "glossary link ({term})")):
        if needle not in text:
            out.append(f"{name}: lacks {what}")
    exercises = text.count("```{exercise}")
    if exercises < 3 or text.count("```{solution-start}") != exercises:
        out.append(f"{name}: needs at least three exercises, each with a solution "
                   f"({exercises} exercises, {text.count('```{solution-start}')} solutions)")
    if code.count("check.exercise(") < 2:
        out.append(f"{name}: needs at least two self-checks (check.exercise) in its solutions")
    return out


def main(paths: list[str]) -> int:
    """Check each notebook; print the problems; exit 1 if there are any."""
    paths = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    found = [msg for p in paths for msg in problems(p)]
    for msg in found:
        print(msg)
    print(f"notebook checks: {len(paths)} notebooks, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
