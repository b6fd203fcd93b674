"""Each notebook glues the same numbers when it runs twice in fresh processes on one stack.

Run by ``make test`` after a notebook stage has written a glue log (tests/glue_values.py), not
by the unit stages (``--ignore=tests/determinism``). Environment:

- ``GLUE_RUN``: the log of the run under test (JSON lines).
- ``GLUE_REFERENCE``: ``committed`` (the values stored in notebooks/*.ipynb, written by a
  fresh-process ``make execute`` on the pinned stack) or the path of a second log. A log whose
  notebooks stopped early (the student edition stops at the first blank) is a prefix
  reference: set ``GLUE_REFERENCE_IS_PREFIX=1``.

A mismatch names notebook, glue name and both values. Values that measure time are skipped
by name (``glue_values.TIMING``, each with its reason). Against the committed notebooks the
comparison is exact on the kind of machine that executed them (``notebooks/executed_on.json``,
written by ``make execute``) and skipped, naming both machines, on another kind: training in
floating point repeats on one machine, not across machine types. The current stack's
comparison (student edition against ``nb-current``) always runs on one machine.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import glue_values as gv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN = os.environ.get("GLUE_RUN")
REFERENCE = os.environ.get("GLUE_REFERENCE", "committed")
PREFIX = os.environ.get("GLUE_REFERENCE_IS_PREFIX") == "1"


@pytest.fixture(scope="module")
def logs():
    if not RUN:
        pytest.skip("GLUE_RUN is not set (make nb-pinned / nb-current write it)")
    run = gv.read_log(RUN)
    reference = None if REFERENCE == "committed" else gv.read_log(REFERENCE)
    return run, reference


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_glued_values_repeat_in_a_fresh_process(path, logs):
    run, reference = logs
    stem = path.stem
    if reference is None:
        stamped, here = gv.executed_on(stem), gv.machine()
        if stamped is not None and stamped != here:
            pytest.skip(f"{stem}: the committed notebook was executed on another kind of machine "
                        f"({stamped}; here: {here}); floating-point training differs between "
                        "machine types, so only a run on that kind of machine is compared")
        ref_values, ref_label = gv.glued_in_notebook(path), "committed notebook"
        hint = ("nondeterminism, or the committed notebook is stale (code changed since it "
                "was executed: `make execute NB=notebooks/" + path.name + "`)")
    else:
        ref_values, ref_label = reference.get(stem, []), f"first run ({Path(REFERENCE).name})"
        hint = "nondeterminism: two fresh runs on the same stack glued different values"
    assert stem in run, f"{stem}: no glued values in {RUN} (did the notebook run?)"
    assert ref_values, f"{stem}: no glued values in the {ref_label}"
    problems = gv.compare(stem, ref_values, run[stem], reference_is_prefix=PREFIX,
                          reference_label=ref_label, run_label=f"this run ({Path(RUN).name})")
    assert not problems, f"{len(problems)} glued value(s) differ ({hint}):\n" + "\n".join(problems)
