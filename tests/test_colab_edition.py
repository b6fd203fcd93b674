"""The Colab edition (tools/colab.py): no MyST markup left, every glued number as the book
prints it from the executed notebook, citations linked to the bibliography."""

import importlib.util
import json
import pathlib
import re
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


colab = _load("colab", ROOT / "tools" / "colab.py")
sys.path.insert(0, str(ROOT / "tools"))
import zh_build  # noqa: E402 -- one module object for every test (test_zh_edition patches zh)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EDITIONS = [(path, language) for language in ("en", "zh") for path in NOTEBOOKS]
LEFT = {
    "role": re.compile(r"\{[a-z][\w:-]*\}`"),
    "directive": re.compile(r"^\s*(?:>\s*)?(?:`{3,}|:{3,})\{", re.M),
    "directive option": re.compile(r"^\s*(?:>\s*)?:(?:label|class|nonumber|name):", re.M),
    "target": re.compile(r"^\([\w:.-]+\)=\s*$", re.M),
    "substitution": re.compile(r"\{\{[^}]*\}\}"),
}
GLUE_ROLE = re.compile(r"\{glue(:text|:md|:any|:)?\}`([^`]*)`")


@pytest.fixture(scope="module")
def book():
    return colab.Book.read()


@pytest.fixture(scope="module")
def book_zh():
    return colab.Book.read(language="zh")


@pytest.fixture(scope="module", params=EDITIONS, ids=lambda e: f"{e[1]}-{e[0].stem}")
def edition(request, book, book_zh, tmp_path_factory):
    """(the book's notebook, its Colab edition, the glued values written), in each language:
    the Chinese one is made from the Chinese book's notebook (tools/zh_build.py)."""
    path, language = request.param
    if language == "zh":
        chinese = tmp_path_factory.mktemp("zh") / path.name
        chinese.write_text(json.dumps(zh_build.chapter_notebook(path), ensure_ascii=False),
                           encoding="utf-8")
        path = chinese
    nb, glued = colab.colab_notebook(path, book if language == "en" else book_zh, "0.0.0")
    return path, nb, glued


def _markdown(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_no_myst_markup_is_left(edition):
    path, nb, _ = edition
    text = _markdown(nb)
    found = {what: pattern.findall(text)[:3] for what, pattern in LEFT.items()
             if pattern.search(text)}
    assert found == {}, f"{path.name}: MyST markup left in the Colab edition: {found}"


def test_every_glued_number_is_the_executed_notebooks_value(edition):
    path, nb, glued = edition
    source = json.loads(path.read_text(encoding="utf-8"))
    roles = [m for c in source["cells"] if c["cell_type"] == "markdown"
             for m in GLUE_ROLE.findall("".join(c["source"]))]
    values = _stored_glue(source)
    expected = []
    for kind, role in roles:
        name, _, fmt = role.rpartition(":") if ":" in role else (role, "", "")
        data = values[name]
        expected.append(data["text/markdown"] if kind == ":md" else
                        _book_format(data["text/plain"], fmt))
    assert len(roles) == len(glued)
    assert [g.text for g in glued] == expected
    text = _markdown(nb)
    assert all(g.text in text for g in glued)


def _stored_glue(source):
    """Glue name -> MIME data, read straight from the notebook's JSON."""
    values = {}
    for cell in source["cells"]:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta["mime_prefix"]
                values[meta["name"]] = {k[len(prefix):]: "".join(v) if isinstance(v, list)
                                        else v for k, v in out["data"].items()}
    return values


def _book_format(text, fmt):
    """myst-nb's own formatting where the book's stack has it, else the tool's copy."""
    try:
        from myst_nb.core.variables import format_plain_text
    except ImportError:
        format_plain_text = colab.format_plain_text
    return format_plain_text(text, fmt)


def test_code_cells_are_the_books(edition):
    path, nb, _ = edition
    book_nb = nbformat.read(str(path), as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"
            and "check-language" not in c.metadata.get("tags", [])] == \
        [c.source for c in book_nb.cells if c.cell_type == "code"]


def test_citations_are_author_year_links_to_the_bibliography(book):
    text = colab.convert_roles("as shown {cite}`goodfellow2015explaining,madry2018towards`",
                               values={}, book=book, doc="notebooks/x", glued=[])
    site = book.site + "book/bibliography.html#cite-"
    assert text == (f"as shown ([Goodfellow et al., 2015]({site}goodfellow2015explaining); "
                    f"[Madry et al., 2018]({site}madry2018towards))")


def test_the_chinese_edition_speaks_chinese(book_zh):
    nb, _ = colab.colab_notebook(ROOT / "notebooks" / "01_background.ipynb", book_zh, "0.0.0")
    assert nb.cells[0].source.startswith("> **") and "的 Colab 版。" in nb.cells[0].source
    assert "https://rnnsec.github.io/rnnsec/zh/notebooks/01_background.html" in nb.cells[0].source
    plain = _load("myst_plain", ROOT / "tools" / "myst_plain.py")
    text = ":::{exercise} Budget\n:label: ex-3-1-2\nDo it.\n:::\n```{prf:theorem} Group\nT.\n```"
    assert plain.blocks_to_markdown(text, "zh").split("\n")[0] == "> **练习 3.1-2（Budget）**"
    assert "> **定理（Group）。**" in plain.blocks_to_markdown(text, "zh")
    assert book_zh.labels["ex-1-1"] == ("notebooks/01_background", "练习 1-1")
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_check = next(i for i, c in enumerate(code) if "check.exercise(" in c.source)
    assert 'check.set_language("zh")' in code[first_check - 1].source
    with pytest.raises(ValueError, match="language must be one of"):
        colab.Book.read(language="fr")


def test_accents_and_two_authors(book):
    assert colab.author_year(
        '@article{k,\n  author = {Hochreiter, Sepp and Schmidhuber, J{\\"u}rgen},\n'
        '  year = {1997}\n}') == {"k": "Hochreiter and Schmidhuber, 1997"}
    assert colab.author_year("@misc{k,\n  author = {Damg{\\aa}rd, Ivan},\n  year = 2012\n}") \
        == {"k": "Damgård, 2012"}


def test_format_matches_myst_nb():
    variables = pytest.importorskip("myst_nb.core.variables")
    for text, fmt in [("0.93212", ".1%"), ("1438", ",d"), ("'abc'", ""), ("2.5e-05", ".1e"),
                      ("np.float64(0.5)", "s"), ("3", "g")]:
        assert colab.format_plain_text(text, fmt) == variables.format_plain_text(text, fmt)


@pytest.mark.parametrize("markup, what", [("{unknownrole}`x`", "role"),
                                          ("{cite}`nosuchkey2099`", "references.bib"),
                                          ("{glue:text}`missing:.1%`", "glued")])
def test_unknown_markup_is_refused(book, markup, what):
    with pytest.raises(ValueError, match=what):
        colab.convert_roles(markup, values={}, book=book, doc="notebooks/x", glued=[])


def test_unknown_directive_is_refused():
    plain = _load("myst_plain", ROOT / "tools" / "myst_plain.py")
    with pytest.raises(ValueError, match="directive"):
        plain.blocks_to_markdown("```{figure} x.png\n```")


def test_the_colab_button_opens_the_colab_branch():
    ext = (ROOT / "_ext" / "rnnsec_book.py").read_text(encoding="utf-8")
    namespace = {}
    source = ext[ext.index("def colab_edition_url"):ext.index("def _point_colab_button")]
    exec("import re\n" + source, namespace)
    url = "https://colab.research.google.com/github/o/r/blob/main/notebooks/01_background.ipynb"
    assert namespace["colab_edition_url"](url, "colab") == url.replace("/main/", "/colab/")
