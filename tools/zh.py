"""The Chinese edition (中文版): the same notebooks, code cells and outputs, with the prose swapped.

One source of code: a chapter's Chinese text lives in ``zh/notebooks/NN_name.md`` and holds only
its prose, one block per markdown cell of the English notebook ``notebooks/NN_name.ipynb``, in
order::

    <!-- cell 3 en:1a2b3c4d5e6f -->
    中文段落……

``en:`` is a digest of the English cell's text. :func:`chapter_notebook` copies the executed
English notebook and replaces each markdown cell by its block, so code cells, outputs and glued
values are the English notebook's own and nothing is executed twice. A block whose digest no
longer matches its English cell is *stale*: the English prose changed and its Chinese twin must
change with it (``python tools/zh.py status`` lists them; the tests fail on them).

Front-matter pages (``book/*.md``) are translated whole in ``zh/book/NAME.md``, whose first line
is ``<!-- en:DIGEST -->``, the digest of the English page.

Usage:
    python tools/zh.py skeleton          # add blocks for new or changed English cells
    python tools/zh.py status            # translated / stale / untranslated, per file
    python tools/zh.py accept NN_name 4  # block 4's Chinese, edited, matches its new English
    python tools/zh.py build OUT         # the Chinese book's source tree (see build_tree)
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ZH = ROOT / "zh"
_BLOCK = re.compile(r"^<!-- cell (\d+) en:([0-9a-f]{12}) -->\n", re.M)
_PAGE = re.compile(r"\A<!-- en:([0-9a-f]{12}) -->\n")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def digest(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``text`` (a cell's or a page's English)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def markdown_cells(notebook: pathlib.Path) -> list[str]:
    """The sources of the markdown cells of an English notebook, in order."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def read_blocks(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """``(cell index, English digest, Chinese text)`` for every block of a Chinese chapter."""
    text = path.read_text(encoding="utf-8")
    heads = list(_BLOCK.finditer(text))
    blocks = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        blocks.append((int(head.group(1)), head.group(2), text[head.end():end].strip("\n")))
    return blocks


def write_blocks(path: pathlib.Path, blocks: list[tuple[int, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"<!-- cell {i} en:{d} -->\n{t}\n\n" for i, d, t in blocks),
                    encoding="utf-8")


def prose(text: str) -> str:
    """English words of a markdown text, less code, math, roles, directives' options, links."""
    text = re.sub(r"```.*?\n|^:::.*$|^:\w+:.*$", "", text, flags=re.M)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\]\([^)]*\)|<[^>]+>|\([^)]*\)=", " ", text)
    return " ".join(re.findall(r"[A-Za-z]{3,}", text))


_ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,;-]+[a-z]{2,}){5,}\b")


def english_runs(text: str) -> list[str]:
    """Runs of six or more English words in a Chinese text's prose (code, math, roles, links
    and comments left out): a sentence left untranslated."""
    text = re.sub(r"^```(?!\{).*?^```|<!--.*?-->|https?://\S+", " ", text, flags=re.S | re.M)
    text = re.sub(r"^(?:```|:::).*$|^:\w+:.*$", " ", text, flags=re.M)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\]\([^)]*\)", " ", text)
    return _ENGLISH_RUN.findall(text)


def needs_translation(english: str) -> bool:
    """Whether an English text has prose to translate (not only code, math or citations)."""
    return len(prose(english).split()) >= 3


def chapter_status(notebook: pathlib.Path) -> dict:
    """Counts of a chapter's blocks: ``cells``, ``translated``, ``stale``, ``untranslated``."""
    english = markdown_cells(notebook)
    path = ZH / "notebooks" / f"{notebook.stem}.md"
    blocks = read_blocks(path) if path.exists() else []
    by_index = {i: (d, t) for i, d, t in blocks}
    status = {"cells": len(english), "translated": 0, "stale": [], "untranslated": []}
    for i, text in enumerate(english):
        d, zh = by_index.get(i, (None, None))
        if d != digest(text):
            status["stale"].append(i)
        elif needs_translation(text) and not _CJK.search(zh):
            status["untranslated"].append(i)
        else:
            status["translated"] += 1
    return status


def skeleton(notebook: pathlib.Path) -> pathlib.Path:
    """Write the Chinese chapter's blocks: kept where the digest matches, else the English."""
    path = ZH / "notebooks" / f"{notebook.stem}.md"
    old = {d: t for _, d, t in read_blocks(path)} if path.exists() else {}
    blocks = [(i, digest(t), old.get(digest(t), t)) for i, t in enumerate(markdown_cells(notebook))]
    write_blocks(path, blocks)
    return path


def accept(notebook: pathlib.Path, indices: list[int]) -> None:
    """Mark blocks as translating the current English: after editing a stale block's Chinese
    to match its changed English cell, set the block's digest to that cell's."""
    path = ZH / "notebooks" / f"{notebook.stem}.md"
    english = markdown_cells(notebook)
    blocks = read_blocks(path)
    known = {i for i, _, _ in blocks}
    unknown = sorted(set(indices) - known)
    if unknown:
        raise ValueError(f"{notebook.stem} has no blocks {unknown}")
    write_blocks(path, [(i, digest(english[i]) if i in indices else d, t)
                        for i, d, t in blocks])


def page_status(page: pathlib.Path) -> str:
    """``"translated"``, ``"stale"``, ``"untranslated"`` or ``"missing"`` for a front page."""
    path = ZH / "book" / page.name
    if not path.exists():
        return "missing"
    text = path.read_text(encoding="utf-8")
    head = _PAGE.match(text)
    if not head or head.group(1) != digest(page.read_text(encoding="utf-8")):
        return "stale"
    return "translated" if _CJK.search(text) else "untranslated"


# ---------------------------------------------------------------- bold next to Chinese text
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PUNCT = re.compile(r"[^\s\w]|_")
_NOT_PROSE = re.compile(r"(```(?!\{)[^\n]*\n.*?\n```|`[^`\n]*`|\$\$.*?\$\$|\$[^$]+?\$)", re.S)


def formulas(text: str) -> list[str]:
    """The math of a markdown text (``$...$`` and ``$$...$$``, whitespace collapsed), code and
    escaped dollars left out."""
    text = re.sub(r"```(?!\{)[^\n]*\n.*?\n```", " ", text, flags=re.S)  # code blocks
    text = re.sub(r"^```.*$", " ", text, flags=re.M)  # directive fences
    text = re.sub(r"`[^`]*`|\\\$", " ", text)  # code spans (across lines too), escaped $
    return [" ".join(f.split()) for f in re.findall(r"\$\$.*?\$\$|\$[^$]+?\$", text, re.S)]


def unrendered_bold(paragraph: str) -> list[int]:
    """Positions of ``**`` that CommonMark will print literally in Chinese text.

    An opening ``**`` between a word character (a Chinese character counts) and punctuation
    (``**{term}...`` after a Chinese character) does not open, and a closing ``**`` between
    punctuation and a word character (``）**的``) does not close: put a space on the side of the
    word character. ``**`` in code and math is ignored; openers and closers alternate.
    """
    pieces = _NOT_PROSE.split(paragraph)
    bad, count, offset = [], 0, 0
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            for m in re.finditer(r"\*\*", piece):
                j = m.start()
                before = piece[j - 1] if j else (pieces[i - 1][-1:] or " ")
                after = piece[j + 2:j + 3] or (pieces[i + 1][:1] if i + 1 < len(pieces) else " ")
                after = after or " "
                opener = count % 2 == 0
                if (opener and _WORD.match(before) and _PUNCT.match(after)) or \
                        (not opener and _PUNCT.match(before) and _WORD.match(after)):
                    bad.append(offset + j)
                count += 1
        offset += len(piece)
    return bad


_CJK_CHAR = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
_FENCE = re.compile(r"^\s*(`{3,})(.*)$")
_CODE_FENCE = re.compile(r"^\{(code-cell|eval-rst|code|code-block|nb-exec-table)\}|^[A-Za-z]")


def cjk_line_breaks(text: str) -> list[int]:
    """Line numbers (1-based) of lines that continue a Chinese line with Chinese text.

    A line break inside a paragraph renders as a space, which Chinese text does not have
    ("这里； 每个"): a line that ends with a Chinese character or punctuation mark must not be
    followed, in the same paragraph, by one that starts with one (emphasis marks allowed
    before it). Code fences are skipped; directive fences (exercises, the glossary) are not.
    """
    found, stack, previous = [], [], ""
    for number, line in enumerate(text.split("\n"), 1):
        fence = _FENCE.match(line)
        in_code = any(code for _, code in stack)
        if fence:
            ticks, info = fence.groups()
            if stack and stack[-1][0] == ticks and not info.strip():
                stack.pop()
            elif not in_code:
                stack.append((ticks, bool(_CODE_FENCE.match(info.strip()))))
            previous = ""
            continue
        if (not in_code and re.search(_CJK_CHAR + "$", previous)
                and not previous.lstrip().startswith("#")
                and re.match(r"\s*(\*{1,2})?" + _CJK_CHAR, line)):
            found.append(number)
        previous = line
    return found


def chapters() -> list[pathlib.Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def pages() -> list[pathlib.Path]:
    return sorted((ROOT / "book").glob("*.md"))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "skeleton":
        for nb in chapters():
            skeleton(nb)
        return 0
    if command == "page":  # a Chinese front page's first line: python tools/zh.py page book/x.md
        print(f"<!-- en:{digest((ROOT / argv[1]).read_text(encoding='utf-8'))} -->")
        return 0
    if command == "accept":
        accept(ROOT / "notebooks" / f"{argv[1]}.ipynb", [int(i) for i in argv[2:]])
        return 0
    if command == "status":
        bad = 0
        for nb in chapters():
            s = chapter_status(nb)
            bad += len(s["stale"]) + len(s["untranslated"])
            print(f"{nb.stem:32s} {s['translated']:3d}/{s['cells']:3d} translated, "
                  f"stale {s['stale']}, untranslated {s['untranslated']}")
        for page in pages():
            state = page_status(page)
            bad += state != "translated"
            print(f"book/{page.name:27s} {state}")
        return 1 if bad else 0
    if command == "build":
        from zh_build import build_tree

        build_tree(pathlib.Path(argv[1]))
        return 0
    raise SystemExit(f"unknown command {command!r}: skeleton, status, accept, page or build")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
