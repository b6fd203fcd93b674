"""Glued numbers of the chapters: read them, log them from a run, compare two runs.

Every number the prose quotes is glued (``rnnsec.book.glue``: a display output whose metadata
carries ``scrapbook.name``; the book renders its ``text/plain``). A notebook run twice in fresh
processes on the same stack must glue the same text, or the book's numbers depend on luck. This
module finds the glued values in a notebook's outputs, in a live nbval run (as a pytest plugin)
and in a log file, and compares two runs with a message that names notebook, name and values.

Two comparisons run in ``make test`` (see the Makefile and README):

- pinned: the nbval run of ``nb-pinned`` against the committed notebooks (written by a
  fresh-process ``make execute`` on the pinned stack, on this kind of machine);
- current: the student edition (``test-student``, run on the current stack, each notebook up
  to its first blank) against the nbval run of ``nb-current``, on the prefix both executed.

As a plugin (``-p tests.glue_values --glue-log=PATH``) it appends one JSON line per glued
value of every executed nbval cell: ``{"notebook": stem, "cell": index, "name": ..., "value":
text/plain}``.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

# Glued values that measure time. They differ between two runs on the same machine by design
# (CPU load, caches, frequency scaling), so the determinism comparison skips them; the chapters
# never assert them (STYLE: speed is measured, never asserted). Each entry names its reason.
# Any other glued value must repeat exactly. tests/unit/test_glue_values.py checks that every
# name listed here is still glued by its chapter, so the list cannot go stale silently.
TIMING = {
    "21_adversarial_attacks": {
        "time_total": "wall-clock seconds of all attacks, summed",
    },
    "22_privacy_leakage": {
        "exposure_seconds": "wall-clock seconds of the exact exposure computation",
    },
    "23_robustness_and_security": {
        f"{kind}_seconds": "wall-clock training seconds" for kind in ("std", "at", "dp", "dpat")
    },
    "31_adversarial_training": {
        f"{kind}_time": "CPU time of training, relative to standard training"
        for kind in ("std", "pgd", "fgsm", "free", "trades")
    },
    "32_dp_training": {
        "fast_ratio": "seconds per epoch, fast engine / non-private (speed)",
        "general_ratio": "seconds per epoch, general engine / non-private (speed)",
    },
    "33_secure_mpc": {
        "secure_seconds": "CPU seconds of secure inference",
        "secure_ms_per_seq": "CPU milliseconds of secure inference per utterance",
        "plain_ms": "CPU milliseconds of plaintext NumPy inference",
        "slowdown": "CPU time ratio, secure / plaintext",
        **{name: "wall-clock time of a networked inference (processes, emulated links)"
           for name in ("net_inproc_ms", "net_loop_ms", "net_lan_ms", "net_wan_ms",
                        "net_per_round_ms", "net_batch_wan_ms")},
        **{name: "a ratio or fit of measured wall-clock times"
           for name in ("net_wan_ratio", "net_wan_latency_share", "net_slope", "net_slope_se",
                        "net_r2", "net_batch_gain")},
        "net_slope_verdict": "a sentence chosen from the fitted slope of wall-clock times",
        "net_linear_verdict": "a sentence chosen from the R² of the wall-clock fit",
        "net_wan_verdict": "a sentence chosen from the latency share of a wall-clock time",
        "net_batch_verdict": "a sentence quoting the wall-clock gain of batching",
        "ops_order_verdict": "a sentence quoting wall-clock ratios against CrypTen's timings",
    },
    "43_certified": {
        "linear_seconds": "wall-clock seconds of the linear bounds, all models and radii",
        "protocol_seconds": "wall-clock seconds of the attack protocol, all models and radii",
    },
    "51_adversarial_practice": {
        "hw_time_ratio": "CPU time ratio, hand-written adversarial training / standard",
        "lib_time_ratio": "CPU time ratio, rnnsec adversarial training / standard",
    },
    "52_dp_practice": {
        "rnnsec_ratio": "training seconds ratio, rnnsec DP / non-private Keras",
    },
    "62_capstone": {
        **{f"{kind}_time": "CPU time of training, relative to the baseline"
           for kind in ("base", "at", "dp", "dpat")},
        "mpc_slowdown": "CPU time ratio, secure / plaintext inference",
        "mpc_cpu": "CPU seconds of secure inference",
        "eval_cpu": "CPU seconds of the robust-accuracy protocol on the four models",
    },
}


def glued_in_outputs(outputs) -> list[tuple[str, str]]:
    """(name, text/plain) of every glued value in a cell's outputs, in order."""
    found = []
    for out in outputs:
        meta = out.get("metadata", {}).get("scrapbook")
        if not meta:
            continue
        data = out.get("data", {})
        key = meta.get("mime_prefix", "") + "text/plain"
        text = data.get(key)
        if text is None:  # a value without a text form: compare its MIME types' payloads
            text = json.dumps(data, sort_keys=True)
        found.append((meta["name"], text if isinstance(text, str) else "".join(text)))
    return found


def glued_in_notebook(path) -> list[tuple[int, str, str]]:
    """(cell index, name, text) of every glued value stored in a notebook file."""
    nb = nbformat.read(str(path), as_version=4)
    return [(i, name, text) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for name, text in glued_in_outputs(cell.get("outputs", []))]


# --- which machine executed the committed notebooks ----------------------------------------
# Training in floating point is deterministic on one machine, not across machine types: the
# kernels of TensorFlow and of numpy's BLAS pick their vector instructions and their blocking
# (by cache size) from the CPU, and sum in another order. `make execute` records the machine
# of each committed notebook in EXECUTED_ON; the pinned comparison against the committed
# notebooks is exact on that kind of machine and skipped, with both machines named, elsewhere.
EXECUTED_ON = Path(__file__).resolve().parents[1] / "notebooks" / "executed_on.json"
_ISA = ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
        "avx512_fp16", "amx_tile")


def machine() -> str:
    """What decides a run's floating-point results here: vector instruction sets, L2 cache,
    cores and numpy's BLAS kernel (e.g. ``"avx+avx2+fma+avx512f; L2 2048K; 2 cores; BLAS
    SkylakeX"``)."""
    cpuinfo = Path("/proc/cpuinfo")
    flags = set()
    if cpuinfo.exists():
        line = next((ln for ln in cpuinfo.read_text().splitlines() if ln.startswith("flags")), "")
        flags = set(line.split(":", 1)[-1].split())
    l2 = Path("/sys/devices/system/cpu/cpu0/cache/index2/size")
    try:
        import numpy  # noqa: F401 -- loads the BLAS that threadpoolctl inspects
        import threadpoolctl

        blas = next((i.get("architecture") or i.get("internal_api") for i in
                     threadpoolctl.threadpool_info() if i.get("user_api") == "blas"), "?")
    except ImportError:
        blas = "?"
    return (f"{'+'.join(f for f in _ISA if f in flags) or 'unknown ISA'}; "
            f"L2 {l2.read_text().strip() if l2.exists() else '?'}; {os.cpu_count()} cores; "
            f"BLAS {blas}")


def executed_on(stem: str) -> str | None:
    """The machine that executed the committed notebook ``stem`` (None: not recorded)."""
    if not EXECUTED_ON.exists():
        return None
    return json.loads(EXECUTED_ON.read_text(encoding="utf-8")).get(stem)


def record_execution(paths) -> None:
    """Record this machine as the one that executed the notebooks ``paths`` (make execute)."""
    table = json.loads(EXECUTED_ON.read_text(encoding="utf-8")) if EXECUTED_ON.exists() else {}
    here = machine()
    table.update({Path(p).stem: here for p in paths})
    EXECUTED_ON.write_text(json.dumps(dict(sorted(table.items())), indent=1) + "\n",
                           encoding="utf-8")


def read_log(path) -> dict[str, list[tuple[int, str, str]]]:
    """A glue log (JSON lines) as {notebook stem: [(cell, name, text), ...]}."""
    runs: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            runs[row["notebook"]].append((row["cell"], row["name"], row["value"]))
    return dict(runs)


def _by_name(values) -> dict[str, list[str]]:
    named: dict[str, list[str]] = defaultdict(list)
    for _cell, name, text in values:
        named[name].append(text)
    return named


def compare(notebook: str, reference, run, *, reference_is_prefix: bool = False,
            reference_label: str = "reference", run_label: str = "run") -> list[str]:
    """Mismatches between two runs' glued values of one notebook (empty when they agree).

    Args:
        notebook: the notebook's stem (for the messages and the TIMING list).
        reference, run: ``[(cell, name, text), ...]`` of the two runs.
        reference_is_prefix: the reference stopped early (the student edition runs up to the
            first blank): only the values it glued are compared, as a prefix of the run's.
        reference_label, run_label: how the messages call the two runs.

    Returns:
        One message per mismatch, each naming notebook, glue name and both values.
    """
    skip = TIMING.get(notebook, {})
    ref, got = _by_name(reference), _by_name(run)
    problems = []
    for name in sorted(set(ref) | set(got)):
        if name.removesuffix("__zh") in skip:  # a timing value's Chinese twin (glue zh=)
            continue
        a, b = ref.get(name, []), got.get(name, [])
        if reference_is_prefix:
            if not a:
                continue
            b = b[:len(a)]
        if a != b:
            show_a = " then ".join(a) if a else "(not glued)"
            show_b = " then ".join(b) if b else "(not glued)"
            problems.append(f"{notebook}: glue {name!r}: {reference_label} {show_a}, "
                            f"{run_label} {show_b}")
    return problems


# --- pytest plugin: log the glued values of an nbval run -----------------------------------

def pytest_addoption(parser):
    parser.addoption("--glue-log", default=None,
                     help="append the glued values of every executed nbval cell to this file "
                          "(JSON lines; tests/glue_values.py)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    path = item.config.getoption("--glue-log")
    outputs = getattr(item, "test_outputs", None)
    if not path or outputs is None or not hasattr(item, "cell"):
        return
    notebook = Path(str(item.parent.fspath)).stem
    cell = next(i for i, c in enumerate(item.parent.nb.cells) if c is item.cell)
    rows = [{"notebook": notebook, "cell": cell, "name": name, "value": text}
            for name, text in glued_in_outputs(outputs)]
    if rows:
        with open(path, "a", encoding="utf-8") as log:
            log.writelines(json.dumps(row) + "\n" for row in rows)


if __name__ == "__main__":  # python tests/glue_values.py record NOTEBOOK... (make execute)
    if sys.argv[1:2] != ["record"] or len(sys.argv) < 3:
        raise SystemExit("usage: python tests/glue_values.py record NOTEBOOK.ipynb ...")
    record_execution(sys.argv[2:])
