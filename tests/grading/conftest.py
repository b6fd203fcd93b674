"""Fixtures of the grading tests: the assignments' editions written by ``make assignments``."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EDITIONS = pathlib.Path(os.environ.get("ASSIGNMENTS_DIR", ROOT / "_build/editions/assignments"))


@pytest.fixture(scope="session")
def editions() -> pathlib.Path:
    assert (EDITIONS / "autograder").is_dir(), f"{EDITIONS} missing: run `make assignments`"
    return EDITIONS.resolve()


@pytest.fixture(scope="session")
def assignment_names(editions) -> list[str]:
    names = sorted(p.stem for p in (editions / "autograder").glob("*.zip"))
    assert len(names) >= 3, names
    return names
