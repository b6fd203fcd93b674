"""The determinism comparison (tests/glue_values.py) catches a changed glued value by name."""

import json
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import glue_values as gv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _glue_output(name, text):
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output("display_data", data={prefix + "text/plain": text},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def test_every_committed_notebook_glues_values():
    for path in NOTEBOOKS:
        assert gv.glued_in_notebook(path), path.name


def test_a_notebook_agrees_with_itself():
    for path in NOTEBOOKS:
        values = gv.glued_in_notebook(path)
        assert gv.compare(path.stem, values, values) == []


def test_a_changed_value_fails_naming_notebook_name_and_both_values():
    ref = [(3, "clean_acc", "0.916"), (3, "n", "200")]
    run = [(3, "clean_acc", "0.915"), (3, "n", "200")]
    problems = gv.compare("01_background", ref, run, reference_label="committed",
                          run_label="this run")
    assert problems == ["01_background: glue 'clean_acc': committed 0.916, this run 0.915"]


def test_a_missing_or_new_value_fails():
    ref = [(3, "a", "1"), (4, "b", "2")]
    assert gv.compare("x", ref, ref[:1]) == ["x: glue 'b': reference 2, run (not glued)"]
    assert gv.compare("x", ref[:1], ref) == ["x: glue 'b': reference (not glued), run 2"]


def test_a_name_glued_twice_compares_both_values():
    ref = [(1, "n_train", "270"), (9, "n_train", "1438")]
    run = [(1, "n_train", "270"), (9, "n_train", "1437")]
    assert gv.compare("x", ref, run) == [
        "x: glue 'n_train': reference 270 then 1438, run 270 then 1437"]


def test_a_prefix_reference_compares_only_what_it_glued():
    prefix = [(1, "a", "1")]
    full = [(1, "a", "1"), (5, "b", "2")]
    assert gv.compare("x", prefix, full, reference_is_prefix=True) == []
    assert gv.compare("x", [(1, "a", "0")], full, reference_is_prefix=True) == [
        "x: glue 'a': reference 0, run 1"]


def test_timing_values_are_skipped_and_only_they():
    ref = [(2, "std_seconds", "2.6"), (2, "std_robust_accuracy", "0.25")]
    run = [(2, "std_seconds", "3.1"), (2, "std_robust_accuracy", "0.25")]
    assert gv.compare("23_robustness_and_security", ref, run) == []
    # the same name in a chapter that does not list it is compared
    assert gv.compare("01_background", ref, run) != []


def test_every_listed_timing_value_is_glued_by_its_chapter_with_a_reason():
    stems = {p.stem: p for p in NOTEBOOKS}
    for stem, names in gv.TIMING.items():
        assert stem in stems, stem
        glued = {name for _cell, name, _text in gv.glued_in_notebook(stems[stem])}
        for name, reason in names.items():
            assert name in glued, (stem, name)
            assert reason.strip(), (stem, name)


def test_glued_in_outputs_reads_what_rnnsec_book_glue_writes(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from rnnsec import book

    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, raw, metadata: shown.append(
                            {"output_type": "display_data", "data": obj, "metadata": metadata}))
    book.glue("acc", 0.5)
    book.glue("shown", "x", display=True)
    InteractiveShell.clear_instance()
    assert gv.glued_in_outputs(shown) == [("acc", "0.5"), ("shown", "'x'")]
    assert gv.glued_in_outputs([_glue_output("n", "3"), {"output_type": "stream"}]) == [("n", "3")]


def test_read_log_groups_lines_by_notebook(tmp_path):
    log = tmp_path / "glue.jsonl"
    rows = [{"notebook": "a", "cell": 1, "name": "x", "value": "1"},
            {"notebook": "b", "cell": 2, "name": "y", "value": "'s'"},
            {"notebook": "a", "cell": 3, "name": "z", "value": "2"}]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert gv.read_log(log) == {"a": [(1, "x", "1"), (3, "z", "2")], "b": [(2, "y", "'s'")]}


def test_the_plugin_logs_an_nbval_run(tmp_path):
    import subprocess

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from rnnsec.book import glue\nglue('x', 0.25)"),
                nbformat.v4.new_markdown_cell("text"),
                nbformat.v4.new_code_cell("glue('label', 'lower')\nprint('not glued')")]
    path = tmp_path / "07_tiny.ipynb"
    nbformat.write(nb, str(path))
    log = tmp_path / "glue.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", "-p", "tests.glue_values", f"--glue-log={log}", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert gv.read_log(log) == {"07_tiny": [(0, "x", "0.25"), (2, "label", "'lower'")]}


def test_the_machine_that_executed_each_notebook_is_recorded(tmp_path, monkeypatch):
    here = gv.machine()
    assert "cores" in here and "BLAS" in here and "L2" in here
    monkeypatch.setattr(gv, "EXECUTED_ON", tmp_path / "executed_on.json")
    assert gv.executed_on("01_background") is None
    gv.record_execution(["notebooks/01_background.ipynb"])
    assert gv.executed_on("01_background") == here and gv.executed_on("41_minmax") is None


def test_every_committed_notebook_names_its_machine():
    table = json.loads(gv.EXECUTED_ON.read_text(encoding="utf-8"))
    assert sorted(table) == [p.stem for p in NOTEBOOKS]
