"""Sphinx glue for the book (a local extension named in _config.yml).

1. Execution statistics from the stored notebooks. The book renders the outputs stored in the
   notebooks (``execute_notebooks: off``), so myst-nb has no execution data for its
   ``{nb-exec-table}``. Each notebook stores, per cell, when it started and finished
   (``metadata.execution``, written by nbclient when ``make execute`` ran it); this extension
   turns those timestamps into myst-nb's execution data: the run time is the span from the
   first cell's start to the last cell's end, and the run succeeded if no cell holds an error.
2. Docstrings in the API reference: an ``Attributes:`` line naming several fields at once
   ("x_train, x_test: ...") is split into one entry per field; every "Chapter 3.1" becomes a
   link to that chapter; and an entry whose docstring names no chapter gets "Taught in" the
   chapters its module's docstring names.
3. The ``{course-plan}``, ``{self-check-table}`` and ``{assignment-table}`` directives of the
   teachers' page and the ``{profile-table}`` of the setup page, read from ``rnnsec.config``.
   ``{assignment-table}`` reads the graded assignments' otter-assign sources
   (``assignments/aN_name.md``: questions, chapters, points, graded by code or by hand) and the
   CPU seconds of their solutions measured by ``make assignment-times``
   (``assignments/runtimes.json``).
4. The Colab button opens the chapter's Colab edition (``tools/colab.py``: glued numbers,
   citations and directives as plain Markdown) from the branch ``rnnsec_colab_branch``, not
   the book's source notebook, whose MyST markup Colab would show raw.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import sys

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.addnodes import pending_xref
from sphinx.util.docutils import SphinxDirective

_CHAPTER = re.compile(r"(?<![`<])\bChapters? (\d(?:\.\d)?)((?:(?:, | and )\d\.\d)*)")


def _stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def stored_exec_data(path: pathlib.Path) -> dict | None:
    """myst-nb execution data of a stored notebook, or None if it holds no timings."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    starts, ends, error = [], [], None
    for cell in nb["cells"]:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(_stamp(timing["iopub.execute_input"]))
            ends.append(_stamp(timing["shell.execute_reply"]))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and error is None:
                error = f"{output.get('ename')}: {output.get('evalue')}"
    if not starts:
        return None
    return {"mtime": max(ends).timestamp(), "runtime": (max(ends) - min(starts)).total_seconds(),
            "method": "stored (make execute, CPU)", "succeeded": error is None,
            "error": error, "traceback": None}


def _note_exec_data(app, docname: str, source: list[str]) -> None:
    path = pathlib.Path(app.env.doc2path(docname))
    if path.suffix != ".ipynb":
        return
    data = stored_exec_data(path)
    if data is not None:
        NbMetadataCollector.set_exec_data(app.env, docname, data)


def chapter_docs(srcdir: pathlib.Path) -> dict[str, str]:
    """Chapter number ("3.1", "1") -> docname ("notebooks/31_adversarial_training")."""
    docs = {}
    for path in sorted((srcdir / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        major, minor = path.name[0], path.name[1]
        docs[minor if major == "0" else f"{major}.{minor}"] = path.stem
    return docs


def link_chapters(text: str, docs: dict[str, str]) -> str:
    """Replace "Chapter 3.1" (and "Chapters 2.2 and 3.2") with links to the chapters."""
    def one(number: str) -> str:
        stem = docs.get(number)
        return f":doc:`Chapter {number} </notebooks/{stem}>`" if stem else f"Chapter {number}"

    def replace(match: re.Match) -> str:
        numbers = [match.group(1), *re.findall(r"\d\.\d", match.group(2) or "")]
        return ", ".join(one(n) for n in numbers)

    return _CHAPTER.sub(replace, text)


def _process_docstring(app, what, name, obj, options, lines) -> None:
    docs = app.config.rnnsec_chapter_docs
    text = "\n".join(lines)
    if what in ("function", "class", "method") and not _CHAPTER.search(text):
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
        found = _CHAPTER.findall((module.__doc__ or "") if module else "")
        numbers = list(dict.fromkeys(
            n for first, rest in found for n in [first, *re.findall(r"\d\.\d", rest)]))
        if numbers:
            text += "\n\nTaught in " + " and ".join(f"Chapter {n}" for n in numbers) + "."
    lines[:] = link_chapters(text, docs).splitlines()


def _split_attribute_names(app, what, name, obj, options, lines) -> None:
    """Before napoleon: "a, b: text" in an ``Attributes:`` section becomes two entries."""
    out, in_attributes = [], False
    for line in lines:
        if line.strip().endswith(":") and not line.startswith(" "):
            in_attributes = line.strip() == "Attributes:"
        match = re.match(r"^(\s+)([a-z_0-9]+(?:, [a-z_0-9]+)+):(.*)$", line)
        if in_attributes and match:
            indent, names, text = match.groups()
            out += [f"{indent}{n}:{text}" for n in names.split(", ")]
        else:
            out.append(line)
    lines[:] = out


def _set_docs(app) -> None:
    app.config.rnnsec_chapter_docs = chapter_docs(pathlib.Path(app.srcdir))


def _table(headers: tuple[str, ...], widths: tuple[int, ...], rows: list[list]) -> nodes.table:
    """A docutils table: ``headers`` (text), column ``widths`` (%), rows of paragraph nodes."""
    table = nodes.table()
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    header = [nodes.paragraph(text=h) for h in headers]
    for target, cells in [(head, header), *[(body, r) for r in rows]]:
        row = nodes.row()
        for cell in cells:
            row += nodes.entry("", cell)
        target += row
    return table


def _doc_link(docname: str, stem: str, text: str | None = None) -> pending_xref:
    """A link to the chapter notebook ``stem`` (its title unless ``text`` is given)."""
    ref = pending_xref(refdoc=docname, reftarget=f"/notebooks/{stem}", reftype="doc",
                       refdomain="std", refexplicit=text is not None, refwarn=True)
    ref += nodes.inline(text=text) if text is not None else nodes.literal(text=stem)
    return ref


class CoursePlan(SphinxDirective):
    """A course-plan table: one content line per week, ``Week title | 01_background, ...``.

    The last column sums the stored CPU run times of the week's notebooks (see
    :func:`stored_exec_data`), so the plan's times are measured, not guessed.
    """

    has_content = True

    def run(self):
        srcdir, rows = pathlib.Path(self.env.srcdir), []
        for line in self.content:
            if not line.strip():
                continue
            if "|" not in line:
                raise self.error(f"course-plan line must be 'title | notebook, ...': {line!r}")
            title, names = (part.strip() for part in line.split("|", 1))
            links, seconds = nodes.paragraph(), 0.0
            for i, stem in enumerate(n.strip() for n in names.split(",")):
                path = srcdir / "notebooks" / f"{stem}.ipynb"
                if not path.exists():
                    raise self.error(f"course-plan: no notebook {path.name}")
                data = stored_exec_data(path)
                seconds += data["runtime"] if data else float("nan")
                if i:
                    links += nodes.Text(", ")
                links += _doc_link(self.env.docname, stem)
            rows.append([nodes.paragraph(text=title), links,
                         nodes.paragraph(text=f"{seconds / 60:.1f}")])
        return [_table(("Week", "Chapters (notebooks)", "CPU run time (min)"), (30, 50, 20),
                       rows)]


_QUESTION = re.compile(r"^# BEGIN QUESTION\n(.*?)^```", re.M | re.S)
_PROMPT = re.compile(r"^\*\*Question (\d+) \(([^,]+(?:, [^,]+)*?), (?:[a-z ]+, )?(\d+) points?\)",
                     re.M)


def assignment_summary(path: pathlib.Path) -> dict:
    """Title and questions of an otter-assign source: [(number, chapters, points, manual)]."""
    text = path.read_text(encoding="utf-8")
    title = next(line[2:].strip() for line in text.splitlines() if line.startswith("# ")
                 and not line.startswith("# BEGIN") and not line.startswith("# ASSIGNMENT"))
    configs = [dict(re.findall(r"^(\w+): *(.+)$", m.group(1), re.M))
               for m in _QUESTION.finditer(text)]
    prompts = _PROMPT.findall(text)
    if len(configs) != len(prompts) or not configs:
        raise ValueError(f"{path.name}: {len(configs)} questions but {len(prompts)} prompts "
                         "'**Question N (chapters, points)'")
    questions = []
    for config, (number, chapters, points) in zip(configs, prompts, strict=True):
        if float(config["points"]) != float(points):
            raise ValueError(f"{path.name}: question {number} says {points} points, its config "
                             f"{config['points']}")
        questions.append((int(number), chapters, float(points),
                          config.get("manual", "false").strip() == "true"))
    return {"title": title, "questions": questions}


class AssignmentTable(SphinxDirective):
    """The graded assignments: one content line each, ``a1_attacks | week``.

    Questions, chapters and points come from the otter-assign sources; the last column is the
    measured CPU time of the solutions (``make assignment-times``).
    """

    has_content = True

    def run(self):
        root = pathlib.Path(self.env.srcdir) / "assignments"
        times = json.loads((root / "runtimes.json").read_text())
        rows = []
        for line in (raw for raw in self.content if raw.strip()):
            name, week = (part.strip() for part in line.split("|", 1))
            try:
                info = assignment_summary(root / f"{name}.md")
            except (OSError, ValueError, StopIteration) as error:
                raise self.error(f"assignment-table: {name}: {error}") from error
            if name not in times:
                raise self.error(f"assignment-table: {name} has no measured run time: run "
                                 "`make assignment-times`")
            parts = [f"Q{n} ({ch}): {p:g}{' by hand' if manual else ''}"
                     for n, ch, p, manual in info["questions"]]
            auto = sum(p for *_, p, manual in info["questions"] if not manual)
            hand = sum(p for *_, p, manual in info["questions"] if manual)
            rows.append([nodes.paragraph(text=info["title"]), nodes.paragraph(text=week),
                         nodes.paragraph(text="; ".join(parts)),
                         nodes.paragraph(text=f"{auto + hand:g} ({auto:g} by code, "
                                              f"{hand:g} by hand)"),
                         nodes.paragraph(text=f"{times[name]:.0f}")])
        return [_table(("Assignment", "Due after week", "Questions (chapters): points",
                        "Points", "CPU s (solutions)"), (22, 10, 40, 16, 12), rows)]


class ProfileTable(SphinxDirective):
    """A table of every field of the run profiles (``rnnsec.config.CPU`` and ``FULL``)."""

    def run(self):
        import dataclasses

        from rnnsec import config

        fields = [f.name for f in dataclasses.fields(config.Profile) if f.name != "name"]
        rows = [[nodes.paragraph("", "", nodes.literal(text=name))] +
                [nodes.paragraph(text=f"{getattr(p, name):,}") for p in (config.CPU, config.FULL)]
                for name in fields]
        return [_table(("Profile field", "default (cpu)", "RNNSEC_FULL=1 (full)"), (40, 30, 30),
                       rows)]


class SelfCheckTable(SphinxDirective):
    """A table of the exercises that have a self-check, read from ``rnnsec.check``."""

    def run(self):
        from rnnsec import check

        docs, rows = self.env.config.rnnsec_chapter_docs, []
        for exercise_id, topic in check.available().items():
            chapter = exercise_id.split("-")[0]
            if chapter not in docs:
                raise self.error(f"self-check {exercise_id}: no chapter {chapter}")
            rows.append([nodes.paragraph("", "", nodes.literal(text=exercise_id)),
                         nodes.paragraph("", "", _doc_link(self.env.docname, docs[chapter],
                                                           f"Chapter {chapter}")),
                         nodes.paragraph(text=topic)])
        return [_table(("Exercise", "Chapter", "What the self-check judges"), (15, 35, 50),
                       rows)]


def colab_edition_url(url: str, branch: str) -> str:
    """A Colab button's address, pointed at the same notebook on the branch ``branch``."""
    new, count = re.subn(r"/blob/[^/]+/", f"/blob/{branch}/", url, count=1)
    if not count:
        raise ValueError(f"a Colab address must contain /blob/<branch>/, got {url!r}")
    return new


def _point_colab_button(app, pagename, templatename, context, doctree) -> None:
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab" and "url" in button:
                button["url"] = colab_edition_url(button["url"], app.config.rnnsec_colab_branch)


def edition_link(pagename: str, prefix: str) -> str:
    """The address of a page's counterpart in the other edition, relative to the page.

    The Chinese edition is built into ``zh/`` of the English site, so from an English page the
    counterpart is ``zh/<page>`` (prefix ``"zh/"``) and from a Chinese page ``../<page>``
    (prefix ``"../"``), both climbing first to the site's root.
    """
    return "../" * pagename.count("/") + prefix + pagename + ".html"


def _link_other_edition(app, pagename, templatename, context, doctree) -> None:
    link = app.config.rnnsec_edition_link
    if not link or pagename not in app.env.found_docs or "body" not in context:
        return
    href = edition_link(pagename, link["prefix"])
    context["body"] = (f'<p class="rnnsec-edition"><a href="{href}" hreflang='
                       f'"{link.get("hreflang", "")}">{link["text"]}</a></p>\n'
                       + context["body"])


def setup(app):
    app.add_directive("self-check-table", SelfCheckTable)
    app.add_directive("course-plan", CoursePlan)
    app.add_directive("assignment-table", AssignmentTable)
    app.add_directive("profile-table", ProfileTable)
    app.add_config_value("rnnsec_chapter_docs", {}, "env")
    app.add_config_value("rnnsec_colab_branch", "colab", "html")
    # The link from every page to its counterpart in the other edition (tools/zh_build.py sets
    # the Chinese edition's).
    app.add_config_value("rnnsec_edition_link",
                         {"text": "中文版", "prefix": "zh/", "hreflang": "zh"}, "html")
    app.connect("html-page-context", _link_other_edition)
    # After sphinx-book-theme's launch buttons (priority 501).
    app.connect("html-page-context", _point_colab_button, priority=502)
    app.connect("builder-inited", _set_docs)
    app.connect("source-read", _note_exec_data)
    app.connect("autodoc-process-docstring", _split_attribute_names, priority=400)
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
