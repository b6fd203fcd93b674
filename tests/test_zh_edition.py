"""The Chinese edition (tools/zh.py, tools/zh_build.py): the English notebooks' code and outputs,
every markdown cell translated and current, the same glued numbers, every page translated."""

import json
import pathlib
import re
import sys
from collections import Counter

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import zh_build  # noqa: E402

zh = zh_build.zh  # the module zh_build uses, so that patching zh.ZH reaches it

CHAPTERS = zh.chapters()
_GLUE = re.compile(r"\{glue:(?:text|md|math|figure|any)?\}`([^`:]+)")
_ROLE_TARGET = re.compile(r"\{(cite|ref|doc|numref|eq)\}`(?:[^`<]*<)?([^`>]+)>?`")
_TERM_TARGET = re.compile(r"\{term\}`(?:[^`<]*<)?([^`>]+)>?`")


def _glue_names(cells) -> list[str]:
    return sorted(set(_GLUE.findall("\n".join(cells))))


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_every_markdown_cell_is_translated_and_current(notebook):
    status = zh.chapter_status(notebook)
    assert not status["stale"], (f"{notebook.stem}: the English of cells {status['stale']} "
                                 "changed; update their Chinese (python tools/zh.py skeleton)")
    assert not status["untranslated"], f"{notebook.stem}: untranslated {status['untranslated']}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_and_outputs_are_the_english_ones(notebook):
    english = json.loads(notebook.read_text(encoding="utf-8"))
    chinese = zh_build.chapter_notebook(notebook)
    assert len(chinese["cells"]) == len(english["cells"])
    for en, cn in zip(english["cells"], chinese["cells"], strict=True):
        assert en["cell_type"] == cn["cell_type"]
        if en["cell_type"] == "code":
            assert cn == en


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_the_same_glued_numbers_and_references(notebook):
    english = zh.markdown_cells(notebook)
    chinese = [t for _, _, t in zh.read_blocks(zh.ZH / "notebooks" / f"{notebook.stem}.md")]
    assert _glue_names(chinese) == _glue_names(english)
    for en, cn in zip(english, chinese, strict=True):
        assert sorted(_ROLE_TARGET.findall(cn)) == sorted(_ROLE_TARGET.findall(en)), en[:80]
        assert sorted(_TERM_TARGET.findall(cn)) == sorted(_TERM_TARGET.findall(en)), en[:80]
        missing = Counter(zh.formulas(en)) - Counter(zh.formulas(cn))
        assert not missing, f"formulas not in the translation: {list(missing)}"


@pytest.mark.parametrize("path", sorted(zh.ZH.rglob("*.md")), ids=lambda p: p.name)
def test_no_sentence_is_left_in_english(path):
    runs = zh.english_runs(path.read_text(encoding="utf-8"))
    assert not runs, f"{path.name}: English left in the Chinese prose: {runs[:5]}"


def test_the_english_run_check_finds_a_sentence_but_not_code_or_math():
    assert zh.english_runs("这是 the rest of this sentence was never translated。") == [
        "the rest of this sentence was never translated"]
    assert zh.english_runs("见 `the rest of this code is not prose at all` 与 "
                           "$a + b = c$ 以及 {cite}`some key with many words here too`。") == []


_ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")  # abbreviations (DP, AUC, LiRA) are allowed
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}\b")  # "All", "None"; or a name ("Song") in Chinese
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _english(value: str) -> bool:
    """Whether a glued value shows English words (a name inside Chinese text is fine)."""
    return bool(_ENGLISH_WORD.search(value)) or (
        bool(_CAPITALISED.search(value)) and not _CHINESE.search(value))


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_glued_words_in_chinese_prose_are_chinese(notebook):
    """A glued verdict or interval quoted by the Chinese prose shows its Chinese twin
    (``glue(name, value, zh=...)``), not English words inside a Chinese sentence."""
    chinese = zh_build.chapter_notebook(notebook)
    texts = zh_build.glued_texts(chinese)
    quoted = {name for cell in chinese["cells"] if cell["cell_type"] == "markdown"
              for name in zh_build.glue_roles("".join(cell["source"]))}
    english = {name: texts[name][:70] for name in sorted(quoted)
               if _english(texts.get(name, ""))}
    assert not english, f"{notebook.stem}: English glued into Chinese prose (add zh=): {english}"


def test_the_chinese_prose_quotes_the_chinese_twin():
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"metadata": {"scrapbook": {"name": n}}, "data": {"text/plain": repr(v)}}
        for n, v in (("v", "inside the noise"), ("v__zh", "在噪声之内"), ("acc", 0.9))]}]}
    glued = set(zh_build.glued_texts(nb))
    assert zh_build.use_chinese_glue("{glue:text}`v`，{glue:md}`v`，{glue:text}`acc:.1%`", glued) \
        == "{glue:text}`v__zh`，{glue:md}`v__zh`，{glue:text}`acc:.1%`"


@pytest.mark.parametrize("path", sorted(zh.ZH.rglob("*.md")), ids=lambda p: p.name)
def test_bold_renders_next_to_chinese_text(path):
    bad = [(par[:60], pos) for par in path.read_text(encoding="utf-8").split("\n\n")
           for pos in zh.unrendered_bold(par)]
    assert not bad, f"{path.name}: ** printed literally (add a space): {bad}"


def test_the_bold_check_finds_what_commonmark_does_not_render():
    assert zh.unrendered_bold("这是**{term}`x`**（y）用来") == [2]
    assert zh.unrendered_bold("（注）**粗体**和") == []
    assert zh.unrendered_bold("这是 **{term}`x`**（y）用来") == []
    assert zh.unrendered_bold("`**kwargs`") == []


@pytest.mark.parametrize("path", sorted(zh.ZH.rglob("*.md")), ids=lambda p: p.name)
def test_no_line_break_inside_chinese_text(path):
    lines = zh.cjk_line_breaks(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.name}: lines {lines} continue Chinese text (renders as a space)"


def test_the_line_break_check_skips_code_and_headings():
    assert zh.cjk_line_breaks("这是第一行，\n第二行。") == [2]
    assert zh.cjk_line_breaks("这是第一行，\n  **第二**行。") == [2]
    assert zh.cjk_line_breaks("```python\n# 中文，\n中文\n```") == []
    assert zh.cjk_line_breaks("## 标题\n正文") == []
    assert zh.cjk_line_breaks("```{exercise}\n中文，\n中文\n```") == [3]
    assert zh.cjk_line_breaks("使用\nLSTM 模型") == []


@pytest.mark.parametrize("page", zh.pages(), ids=lambda p: p.name)
def test_every_front_page_is_translated_and_current(page):
    assert zh.page_status(page) == "translated", f"zh/book/{page.name}: python tools/zh.py page"


def test_a_stale_block_is_refused(tmp_path, monkeypatch):
    notebook = CHAPTERS[0]
    path = zh.ZH / "notebooks" / f"{notebook.stem}.md"
    blocks = zh.read_blocks(path)
    changed = [(i, "0" * 12 if i == 0 else d, t) for i, d, t in blocks]
    monkeypatch.setattr(zh, "ZH", tmp_path)
    zh.write_blocks(tmp_path / "notebooks" / f"{notebook.stem}.md", changed)
    assert zh.chapter_status(notebook)["stale"] == [0]
    with pytest.raises(SystemExit, match="stale"):
        zh_build.chapter_notebook(notebook)
    zh.accept(notebook, [0])  # the translator edited block 0 and accepts it
    assert zh.chapter_status(notebook)["stale"] == []
    with pytest.raises(ValueError, match="no blocks"):
        zh.accept(notebook, [999])
