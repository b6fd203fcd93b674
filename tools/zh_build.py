"""Assemble the Chinese book's source tree from the English notebooks and zh/ (tools/zh.py).

:func:`build_tree` writes a complete jupyter-book root into ``out``:

- ``notebooks/NN_name.ipynb``: the executed English notebook with each markdown cell replaced
  by its Chinese block (code cells, outputs and glued values untouched); a glue role whose
  value has a Chinese twin (``glue(name, value, zh=...)`` records ``name__zh``) shows the twin;
- ``book/*.md``: the Chinese front-matter pages; ``book/references.bib``: the English one;
- ``_config.yml`` and ``_toc.yml``: the English ones with the title, the language (Sphinx's
  Chinese search), the part captions (zh/toc.yml) and the link to the other edition changed;
- ``_ext`` and ``assignments``: the English book's extension and what its tables read.

It refuses to build while any block or page is stale or untranslated.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import shutil

import yaml

import zh

ROOT = zh.ROOT
ZH_SUFFIX = "__zh"  # rnnsec.book.ZH_SUFFIX (tools do not import the package)
_GLUE_ROLE = re.compile(r"(\{glue(?::[a-z]*)?\}`)([^`:]+)")


def glued_texts(nb: dict) -> dict[str, str]:
    """What each value glued in an executed notebook shows: its markdown, else its plain text."""
    texts = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = out.get("data", {})
                key = next((k for k in data if k.endswith("text/markdown")), None) or next(
                    (k for k in data if k.endswith("text/plain")), None)
                value = data.get(key, "")
                texts[name] = "".join(value) if isinstance(value, list) else value
    return texts


def glue_roles(text: str) -> list[str]:
    """The names that the glue roles of a markdown text quote."""
    return [name for _, name in _GLUE_ROLE.findall(text)]


def use_chinese_glue(text: str, glued: set[str]) -> str:
    """``text`` with each glue role pointed at ``name__zh`` where the notebook glued one."""
    def swap(match: re.Match) -> str:
        name = match.group(2)
        return match.group(1) + (name + ZH_SUFFIX if name + ZH_SUFFIX in glued else name)

    return _GLUE_ROLE.sub(swap, text)


def _check_complete() -> None:
    problems = []
    for nb in zh.chapters():
        s = zh.chapter_status(nb)
        if s["stale"] or s["untranslated"]:
            problems.append(f"{nb.stem}: stale cells {s['stale']}, untranslated "
                            f"{s['untranslated']}")
    for page in zh.pages():
        state = zh.page_status(page)
        if state != "translated":
            problems.append(f"book/{page.name}: {state}")
    if problems:
        raise SystemExit("the Chinese edition is not complete (python tools/zh.py skeleton, "
                         "then translate):\n  " + "\n  ".join(problems))


def chapter_notebook(notebook: pathlib.Path) -> dict:
    """The English notebook with its markdown cells swapped for the Chinese blocks."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    blocks = zh.read_blocks(zh.ZH / "notebooks" / f"{notebook.stem}.md")
    markdown = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    glued = set(glued_texts(nb))
    if len(blocks) != len(markdown):
        raise SystemExit(f"{notebook.stem}: {len(blocks)} Chinese blocks for "
                         f"{len(markdown)} markdown cells")
    for cell, (index, digest, text) in zip(markdown, blocks, strict=True):
        if digest != zh.digest("".join(cell["source"])):
            raise SystemExit(f"{notebook.stem}: block {index} is stale")
        cell["source"] = use_chinese_glue(text, glued)
    return nb


def _config() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    captions = yaml.safe_load((zh.ZH / "toc.yml").read_text(encoding="utf-8"))
    config["title"] = captions["title"]
    config["author"] = captions["author"]
    sphinx = config["sphinx"]["config"]
    sphinx["language"] = "zh_CN"
    sphinx["rnnsec_edition_link"] = {"text": "English", "prefix": "../", "hreflang": "en"}
    # The Colab button opens the Chinese Colab edition: zh/notebooks/ of the branch that holds
    # _build/colab (tools/colab.py --language zh); Binder would open the English sources.
    config["repository"]["path_to_book"] = "zh"
    config["launch_buttons"] = {"notebook_interface": "classic",
                                "colab_url": config["launch_buttons"]["colab_url"]}
    return config


def _toc() -> dict:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = yaml.safe_load((zh.ZH / "toc.yml").read_text(encoding="utf-8"))["captions"]
    out = copy.deepcopy(toc)
    for part in out["parts"]:
        if part["caption"] not in captions:
            raise SystemExit(f"zh/toc.yml has no Chinese caption for {part['caption']!r}")
        part["caption"] = captions[part["caption"]]
    return out


def build_tree(out: pathlib.Path) -> None:
    """Write the Chinese book's root into ``out`` (emptied first)."""
    _check_complete()
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    (out / "book").mkdir()
    for nb in zh.chapters():
        (out / "notebooks" / nb.name).write_text(
            json.dumps(chapter_notebook(nb), ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8")
    for page in zh.pages():
        shutil.copyfile(zh.ZH / "book" / page.name, out / "book" / page.name)
    shutil.copyfile(ROOT / "book" / "references.bib", out / "book" / "references.bib")
    shutil.copytree(ROOT / "_ext", out / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    # the teachers' page's assignment table reads the assignments' sources and run times
    shutil.copytree(ROOT / "assignments", out / "assignments")
    (out / "_config.yml").write_text(yaml.safe_dump(_config(), allow_unicode=True,
                                                    sort_keys=False), encoding="utf-8")
    (out / "_toc.yml").write_text(yaml.safe_dump(_toc(), allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
