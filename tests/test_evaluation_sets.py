"""No evaluation set in the book is a prefix of a split (issue 11).

Two tests protect the rule:

- every loader of ``rnnsec.data`` has a known test-split order: which splits are sorted or
  grouped by label, speaker or movie, so that a prefix of them would measure a few classes
  (JapaneseVowels: speaker 1 fills the first 31 test utterances);
- no chapter's code takes a prefix (``x_test[:200]``, ``y_eval[:100]``, ``[:n_eval]``) of an
  evaluation split; chapters draw ``rnnsec.data.stratified_subset`` instead.

The chapters that still evaluate on prefixes are listed in ``KNOWN_PREFIX_USES``: the test
tolerates exactly those, and fails when one of them is gone, so the list only shrinks and stays
true. Remove a pair when its chapter is fixed.
"""

from __future__ import annotations

import pathlib
import re

import jupytext
import numpy as np
import pytest

import rnnsec.data

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))

# --- loaders ----------------------------------------------------------------------------

#: The order of each loader's test split, by label and by group: "sorted" (each value in one
#: run, runs in increasing order), "grouped" (each value in one run), "clustered" (far fewer
#: runs than a random order would give), "shuffled". None: the loader returns no test split.
EXPECTED_ORDER = {
    "load_digits_sequences": {"label": "shuffled"},
    # the label is the speaker; the UEA file lists the utterances speaker by speaker
    "load_japanese_vowels": {"label": "sorted"},
    # the file lists snippets movie by movie (alphabetically), fresh ones mostly first
    "load_rotten_tomatoes": {"label": "clustered", "movie": "sorted"},
    "load_rotten_tomatoes_texts": None,  # all snippets, no split
    "load_shakespeare": None,            # a text, no split
    "load_sentiment_lexicon": None,      # a word list, no split
}


def _order(values) -> str:
    """How a sequence of labels is ordered, compared with a random order (a runs count)."""
    codes = np.unique(np.asarray(values), return_inverse=True)[1].reshape(-1)
    n, counts = len(codes), np.bincount(codes)
    runs = 1 + int(np.sum(codes[1:] != codes[:-1]))
    if runs == len(counts):
        return "sorted" if np.all(np.diff(codes) >= 0) else "grouped"
    expected = 1 + (n - 1) * (1 - np.sum(counts * (counts - 1)) / (n * (n - 1)))
    return "clustered" if runs < 0.9 * expected else "shuffled"


def _test_split(name: str) -> dict[str, np.ndarray]:
    result = getattr(rnnsec.data, name)()
    ds = result[0] if isinstance(result, tuple) else result
    out = {"label": ds.y_test}
    if "movies_test" in ds.info:
        out["movie"] = np.asarray(ds.info["movies_test"])
    return out


def test_every_loader_has_a_known_test_split_order():
    loaders = {n for n in rnnsec.data.__all__ if n.startswith("load_")}
    assert loaders == set(EXPECTED_ORDER), (
        f"add the new loader(s) {sorted(loaders - set(EXPECTED_ORDER))} to EXPECTED_ORDER "
        f"(and drop {sorted(set(EXPECTED_ORDER) - loaders)})")


@pytest.mark.parametrize("name", [n for n, v in EXPECTED_ORDER.items() if v is not None])
def test_loader_test_split_order_is_as_documented(name):
    found = {key: _order(values) for key, values in _test_split(name).items()}
    assert found == EXPECTED_ORDER[name], (
        f"{name}: the test split's order is {found}, documented as {EXPECTED_ORDER[name]}; "
        "update EXPECTED_ORDER and check the chapters that evaluate on it")


def test_order_classifier_tells_the_cases_apart():
    rng = np.random.default_rng(0)
    assert _order(np.repeat(np.arange(5), 20)) == "sorted"
    assert _order(np.repeat([3, 1, 4, 0, 2], 20)) == "grouped"
    assert _order(rng.permutation(np.repeat(np.arange(5), 20))) == "shuffled"
    assert _order(np.tile(np.repeat([0, 1], 10), 5)) == "clustered"


# --- chapters ---------------------------------------------------------------------------

# a prefix slice ``[:stop]`` (or ``[0:stop]``, one dimension) of an evaluation split's arrays
_SPLIT = r"(?:x|y|lengths|len|mask)_(?:test|eval|out|in|val|mpc|cand)\w*"
_PREFIX = re.compile(rf"(?<![\w.])(?P<expr>(?:[A-Za-z_]\w*\.)*(?:{_SPLIT}|\w+\.mask\([^()]*\))"
                     r"\[\s*(?:0\s*)?:[^\],:]*\])")
# any array cut to an evaluation size: ``xs[:n_eval]``, ``vowels.mask("test")[:n_mpc]``
_EVAL_STOP = re.compile(r"(?<![\w.])(?P<expr>[\w.]+(?:\([^()]*\))?"
                        r"\[\s*(?:0\s*)?:\s*(?:n_eval|n_mpc|n_test|n_attack)\w*\s*\])")

#: Prefixes of evaluation splits that chapters still take, (chapter, expression) with spaces
#: removed. Empty since every chapter draws ``rnnsec.data.stratified_subset`` (issue 11); it
#: must stay empty.
KNOWN_PREFIX_USES: set[tuple[str, str]] = set()


def prefix_uses(source: str) -> set[str]:
    """Prefix slices of evaluation arrays in chapter code (comments ignored), spaces removed."""
    found = set()
    for line in source.splitlines():
        code = line.split("#", 1)[0]
        for pattern in (_PREFIX, _EVAL_STOP):
            found |= {re.sub(r"\s+", "", m.group("expr")) for m in pattern.finditer(code)}
    return found


def _chapter_prefix_uses() -> set[tuple[str, str]]:
    found = set()
    for path in CHAPTERS:
        for cell in jupytext.read(path).cells:
            if cell.cell_type == "code":
                found |= {(path.stem, expr) for expr in prefix_uses(cell.source)}
    return found


@pytest.fixture(scope="module")
def chapter_prefix_uses() -> set[tuple[str, str]]:
    assert CHAPTERS, "no chapters found"
    return _chapter_prefix_uses()


def test_no_chapter_evaluates_on_a_new_prefix_of_a_split(chapter_prefix_uses):
    new = sorted(chapter_prefix_uses - KNOWN_PREFIX_USES)
    assert not new, (
        "chapters evaluate on a prefix of a split (the split may be sorted by label, speaker "
        "or movie); draw idx = rnnsec.data.stratified_subset(y_test, n, seed=...) and use "
        "x_test[idx] instead:\n  " + "\n  ".join(f"{c}: {e}" for c, e in new))


def test_known_prefix_uses_still_occur(chapter_prefix_uses):
    gone = sorted(KNOWN_PREFIX_USES - chapter_prefix_uses)
    assert not gone, ("these prefix uses are gone from their chapters; remove them from "
                      "KNOWN_PREFIX_USES:\n  " + "\n  ".join(f"{c}: {e}" for c, e in gone))


@pytest.mark.parametrize("code", [
    "x_eval, y_eval = digits.x_test[:n], digits.y_test[:n]",
    "acc = pgd(model, vowels.x_test[: 200], y)",
    "probe(x_test[0:256])",
    'mask = vowels.mask("test")[:n_eval]',
    "acc = f(xs[:n_eval], ys[:n_eval])",
    "black = simba(model, x_eval[:100], y_eval[:100])",
])
def test_prefix_scan_finds_prefixes(code):
    assert prefix_uses(code)


@pytest.mark.parametrize("code", [
    "idx = stratified_subset(vowels.y_test, 200, seed=0); x = vowels.x_test[idx]",
    "x_canary[:, :20] = noise",
    "left = rt.x_train[:, :-gap]",
    "xb, yb = x_train[:8], y_train[:8]",
    "x = digits.x_test[100:200]",
    "acc = f(x_test)  # not x_test[:200]",
])
def test_prefix_scan_ignores_other_slices(code):
    assert not prefix_uses(code)
