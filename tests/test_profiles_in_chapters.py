"""The full profile is not a dead path: each chapter's profile-specific sizes exist for every
profile, with the same fields, so a typo in the full branch (RNNSEC_FULL=1) fails here and not
in a reader's Colab session."""

import ast
import dataclasses
import json
import pathlib

import pytest

from rnnsec import config

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PROFILE_NAMES = {config.CPU.name, config.FULL.name}


def _code(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [ast.parse("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"
            and not "".join(c["source"]).lstrip().startswith(("%", "!"))]


def _by_profile(tree):
    """Every ``{...}[profile.name]`` in the cell: the dict that chooses by profile."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict) and \
                ast.unparse(node.slice) == "profile.name":
            yield node.value


def _fields(value):
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "dict":
        return {k.arg for k in value.keywords}
    if isinstance(value, ast.Dict):
        return {ast.literal_eval(k) for k in value.keys}
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_profile_sizes_cover_every_profile_with_the_same_fields(path):
    for tree in _code(path):
        for choice in _by_profile(tree):
            keys = {ast.literal_eval(k) for k in choice.keys}
            assert keys == PROFILE_NAMES, f"{path.name}: sizes for {keys}, profiles are " \
                                          f"{PROFILE_NAMES}"
            fields = [_fields(v) for v in choice.values]
            assert all(f == fields[0] for f in fields), \
                f"{path.name}: the profiles' sizes name different fields: {fields}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapters_read_only_existing_profile_fields(path):
    names = {f.name for f in dataclasses.fields(config.Profile)} | {"scaled"}
    for tree in _code(path):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "profile":
                assert node.attr in names, f"{path.name}: profile.{node.attr} does not exist"
