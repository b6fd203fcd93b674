"""The Colab edition of the chapters: notebooks whose Markdown reads right without the book.

Colab renders a notebook's Markdown as it is, so the book's MyST markup would show raw there
(a glued number is a ``{glue:text}`` role with no number in it). This tool writes a copy of
each executed chapter notebook in which

- every glued value (``{glue:text}`name:fmt```, ``{glue:md}``, ``{glue}``) is replaced by the
  value stored in the notebook, formatted as the book formats it (myst-nb's
  ``format_plain_text``: ``:.1%`` gives ``93.2%``);
- every ``{cite}`` becomes author-year text linked to the book's bibliography page;
- ``{term}``, ``{doc}``, ``{ref}`` and ``{prf:ref}`` become links into the book;
- directives (admonitions, exercises, solutions, theorems, proofs) become plain Markdown
  (``tools/myst_plain.py``).

A role this module does not know raises ValueError, so the Colab edition never shows raw
markup (``tests/test_colab_edition.py`` checks that, and every glued number).

The book's site is ``html.baseurl`` of ``_config.yml`` or, when that is not set, the GitHub
Pages address of ``repository.url``. The book's Colab button opens these notebooks from the
branch named by ``rnnsec_colab_branch`` (``_config.yml``, ``sphinx.config``), to which the
published ``_build/colab`` is pushed, as ``_build/html`` is for the site.

The Chinese Colab edition is made the same way from the Chinese book's notebooks
(``tools/zh_build.py``, in ``_build/zh-src``): its links go to the Chinese site (``zh/`` of the
English one), its titles and labels are read from ``zh/``, and its first cell is in Chinese.

Usage: ``python tools/colab.py OUT_DIR [NOTEBOOK ...]`` writes ``OUT_DIR/notebooks/*.ipynb``;
``python tools/colab.py --language zh OUT_DIR/zh ZH_NOTEBOOK ...`` the Chinese edition
(``make colab``, part of ``make book``).
"""

from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import pathlib
import re
import sys
import unicodedata

import nbformat
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from myst_plain import blocks_to_markdown, targets  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROLE = re.compile(r"\{([a-z][\w:-]*)\}`([^`]*)`")
_EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
            "c": "\u0327", "v": "\u030c", "=": "\u0304", ".": "\u0307", "H": "\u030b"}
_LETTERS = {"aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "l": "ł", "i": "ı"}


def format_plain_text(text: str, fmt_spec: str) -> str:
    """A glued ``text/plain`` value as the book prints it (myst-nb's ``format_plain_text``)."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if fmt_spec == "":
        return str(value)
    kind = fmt_spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, fmt_spec)


def glued_values(nb) -> dict[str, dict]:
    """Glue name -> its MIME data (prefix removed), from the notebook's stored outputs."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                values[meta["name"]] = {k.removeprefix(prefix): "".join(v) if isinstance(
                    v, list) else v for k, v in out.get("data", {}).items()}
    return values


def _latex_to_text(text: str) -> str:
    text = re.sub(r"\{?\\(aa|AA|ss|ae|o|O|l|i)\}?(?![a-zA-Z])",
                  lambda m: _LETTERS[m.group(1)], text)
    text = re.sub(r"\\([\"'`^~cv=.H])\{?\s*([a-zA-Z])\}?",
                  lambda m: m.group(2) + _ACCENTS[m.group(1)], text)
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", "").replace("~", " "))


def _field(entry: str, name: str) -> str:
    """A braced (or bare) field of one BibTeX entry's text ('' if absent)."""
    match = re.search(rf"\b{name}\s*=\s*(\{{|\d+)", entry, re.I)
    if not match:
        return ""
    if match.group(1) != "{":
        return match.group(1)
    depth, i = 1, match.end()
    while depth and i < len(entry):
        depth += {"{": 1, "}": -1}.get(entry[i], 0)
        i += 1
    return re.sub(r"\s+", " ", entry[match.end():i - 1]).strip()


def _surname(person: str) -> str:
    person = person.strip()
    return person.split(",")[0].strip() if "," in person else person.split()[-1]


def author_year(bib_text: str) -> dict[str, str]:
    """BibTeX key -> "Surname, 2015", "A and B, 2015" or "A et al., 2015"."""
    labels = {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", bib_text):
        start = match.end()
        end = bib_text.find("\n@", start)
        entry = bib_text[start:end if end >= 0 else len(bib_text)]
        names = [_latex_to_text(_surname(p)) for p in
                 re.split(r"\s+and\s+", _field(entry, "author") or _field(entry, "editor"))]
        who = names[0] if len(names) == 1 else (
            " and ".join(names) if len(names) == 2 else f"{names[0]} et al.")
        labels[match.group(1)] = f"{who}, {_field(entry, 'year')}"
    return labels


@dataclasses.dataclass
class Book:
    """What links and citations need: the site, the bibliography, the labels, the titles."""

    site: str
    citations: dict[str, str]
    labels: dict[str, tuple[str, str]]
    titles: dict[str, str]
    language: str = "en"

    @classmethod
    def read(cls, root: pathlib.Path = ROOT, language: str = "en") -> Book:
        """The English book (``language="en"``) or the Chinese one (``"zh"``: site ``zh/``,
        titles and labels from ``zh/notebooks`` and ``zh/book``)."""
        if language not in NOTES:
            raise ValueError(f"language must be one of {sorted(NOTES)}, got {language!r}")
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        site = (config.get("html") or {}).get("baseurl") or _pages(config["repository"]["url"])
        bib = (root / "book" / "references.bib").read_text(encoding="utf-8")
        source = root if language == "en" else root / "zh"
        site = site.rstrip("/") + ("/" if language == "en" else "/zh/")
        labels, titles = {}, {}
        for path in sorted([*(source / "notebooks").glob("*.md"),
                            *(source / "book").glob("*.md")]):
            text = path.read_text(encoding="utf-8")
            doc = str(path.relative_to(source).with_suffix(""))
            labels.update({k: (doc, v) for k, v in targets(text, language).items()})
            prose = re.sub(r"^```\{code-cell\}.*?^```", "", text, flags=re.M | re.S)
            heading = re.search(r"^# (.+)$", prose, re.M)
            titles[doc] = heading.group(1).strip() if heading else path.stem
        return cls(site, author_year(bib), labels, titles, language)

    def page(self, doc: str, anchor: str = "") -> str:
        """The address of the book's page ``doc``, at the element whose label is ``anchor``."""
        return f"{self.site}{doc}.html" + (f"#{html_id(anchor)}" if anchor else "")


def html_id(label: str) -> str:
    """The HTML id Sphinx gives a label (docutils' ``make_id``, for ASCII labels)."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _pages(url: str) -> str:
    owner, name = url.rstrip("/").split("/")[-2:]
    return f"https://{owner}.github.io/{name}/"


def _split(text: str) -> tuple[str | None, str]:
    """``"words <target>"`` -> (words, target); ``"target"`` -> (None, target)."""
    match = _EXPLICIT.match(text.strip())
    return (match.group(1), match.group(2)) if match else (None, text.strip())


def _resolve_doc(target: str, base: str) -> str:
    """A {doc} target relative to the document ``base`` (or absolute, from the root)."""
    if target.startswith("/"):
        return target.strip("/")
    parts = [*base.split("/")[:-1]]
    for part in target.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


@dataclasses.dataclass
class Glued:
    """One glued number as written into the Colab notebook."""

    name: str
    fmt: str
    text: str


def convert_roles(text: str, *, values: dict, book: Book, doc: str, glued: list) -> str:
    """``text`` with every role replaced; each glued value is appended to ``glued``."""
    def one(match: re.Match) -> str:
        role, content = match.groups()
        if role in ("glue", "glue:", "glue:text", "glue:any", "glue:md"):
            return _glue(role, content, values, glued, doc)
        if role == "cite":
            return _cite(content, book, doc)
        words, target = _split(content)
        if role == "term":
            return f"[{words or target}]({book.page('book/glossary')})"
        if role == "doc":
            page = _resolve_doc(target, doc)
            return f"[{words or book.titles.get(page, page)}]({book.page(page)})"
        if role in ("ref", "prf:ref", "numref"):
            if target not in book.labels:
                raise ValueError(f"{doc}: {{{role}}} to an unknown label {target!r}")
            page, shown = book.labels[target]
            return f"[{words or shown}]({book.page(page, target)})"
        if role == "math":
            return f"${content}$"
        raise ValueError(f"{doc}: no plain-Markdown form for the role {{{role}}}; add one to "
                         "tools/colab.py")

    return ROLE.sub(one, text)


def _cite(keys: str, book: Book, doc: str) -> str:
    """``(Author et al., 2015; B and C, 2020)``, each linked to its bibliography entry."""
    keys = [k.strip() for k in keys.split(",")]
    missing = [k for k in keys if k not in book.citations]
    if missing:
        raise ValueError(f"{doc}: no entry {missing} in book/references.bib")
    links = [f"[{book.citations[k]}]({book.page('book/bibliography', 'cite-' + k)})"
             for k in keys]
    return "(" + "; ".join(links) + ")"


def _glue(role: str, content: str, values: dict, glued: list, doc: str) -> str:
    name, _, fmt = content.rpartition(":") if ":" in content else (content, "", "")
    if name not in values:
        raise ValueError(f"{doc}: {{{role}}}`{content}` names no value glued in the notebook")
    data = values[name]
    if role == "glue:md":
        text = data["text/markdown"]
    else:
        text = format_plain_text(data["text/plain"], fmt)
    glued.append(Glued(name, fmt, text))
    return text


NOTES = {"en": """\
> **Colab edition of {title}.** This notebook is generated from the book's chapter (rnnsec
> {version}): the numbers in the text are those of the book's run, and the references link to
> the book ({url}). Run the first cell to install rnnsec; *Runtime -> Change runtime type*
> selects a GPU.""", "zh": """\
> **{title}的 Colab 版。** 本笔记本由本书的章节生成（rnnsec {version}）：
> 正文中的数字是本书那次运行得到的数字，引用链接到本书（{url}）。
> 运行第一个单元即可安装 rnnsec；菜单 *Runtime -> Change runtime type*
> （代码执行程序 -> 更改运行时类型）可选择 GPU。代码、输出和图中的标注与英文版相同。"""}


def colab_notebook(path: pathlib.Path, book: Book, version: str) -> tuple[object, list]:
    """The Colab edition of the executed notebook at ``path``, and the values glued into it."""
    nb = nbformat.read(str(path), as_version=4)
    values, glued, doc = glued_values(nb), [], f"notebooks/{path.stem}"
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            text = blocks_to_markdown(cell.source, book.language)
            cell.source = convert_roles(text, values=values, book=book, doc=doc,
                                        glued=glued).strip("\n")
            if not cell.source.strip():
                continue
        cells.append(cell)
    title = book.titles.get(doc, path.stem)
    note = NOTES[book.language].format(title=title, version=version, url=book.page(doc))
    from student import with_check_language

    out.cells = with_check_language([nbformat.v4.new_markdown_cell(note), *cells], book.language)
    out.metadata.pop("jupytext", None)
    out.metadata["colab"] = {"name": f"{path.stem}.ipynb", "provenance": []}
    out.metadata["accelerator"] = "GPU"
    return out, glued


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=sorted(NOTES), default="en",
                        help="zh: the Chinese edition, from the Chinese book's notebooks")
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    args = parser.parse_args(argv)
    if args.language != "en" and not args.notebooks:
        parser.error("--language zh needs the Chinese book's notebooks (make zh-src)")
    sys.path.insert(0, str(ROOT / "tools"))
    from setup_cell import version

    book = Book.read(language=args.language)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    (args.out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb, glued = colab_notebook(path, book, version())
        nbformat.write(nb, str(args.out_dir / "notebooks" / path.name))
        print(f"{path.name}: {len(glued)} glued values written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
