"""MyST block markup (directives, targets, comments) as plain Markdown that Colab renders.

Used by ``tools/colab.py`` (the Colab edition of the chapters). The book's chapters use a fixed
set of directives; each becomes plain Markdown:

- ``{admonition} Title`` (and ``{note}``, ``{tip}``, ...): a block quote opened by the bold
  title;
- ``{exercise}`` with ``:label: ex-4-2-1``: a block quote opened by **Exercise 4.2-1**;
- ``{solution-start} ex-4-2-1`` / ``{solution-end}``: a bold "Solution to Exercise 4.2-1"
  line / nothing (the solution's cells follow in the notebook, unfolded);
- ``{prf:theorem} Title``, ``{prf:definition}``, ...: a block quote opened by
  **Theorem (Title).**; ``{prf:proof}``: *Proof.* ... ∎;
- ``(label)=`` targets and ``%`` comments are dropped.

A directive not on this list raises ValueError naming it, so a new kind of block cannot reach
a Colab notebook unconverted. With ``language="zh"`` the words the conversion adds are Chinese
(**练习 4.2-1**, **定理（Title）。**), for the Chinese Colab edition.
"""

from __future__ import annotations

import re

_OPEN = re.compile(r"^(`{3,}|:{3,})\{([\w:-]+)\}[ \t]*(.*)$")
_FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
_OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$")
_TARGET = re.compile(r"^\(([\w:.-]+)\)=\s*$")
_LABEL = re.compile(r"^ex-(\d+)-(\d+)(?:-(\d+))?$")
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso")
PROOF_KINDS = ("theorem", "definition", "lemma", "corollary", "proposition", "remark",
               "example", "property", "observation", "conjecture", "axiom", "criterion",
               "algorithm", "assumption", "notation")
# The words the conversion adds, per language: a kind's name, "Exercise", "Solution to", "Proof".
WORDS = {
    "en": {"exercise": "Exercise {}", "solution": "Solution to Exercise {}", "proof": "Proof.",
           "title": " ({})", "end": ".",
           **{kind: kind.capitalize() for kind in (*ADMONITIONS, *PROOF_KINDS)}},
    "zh": {"exercise": "练习 {}", "solution": "练习 {} 的解答", "proof": "证明。",
           "title": "（{}）",
           "end": "。", "note": "注意", "tip": "提示", "hint": "提示", "important": "重要",
           "warning": "警告", "caution": "小心", "attention": "注意", "danger": "危险",
           "error": "错误", "seealso": "另见", "theorem": "定理", "definition": "定义",
           "lemma": "引理", "corollary": "推论", "proposition": "命题", "remark": "注",
           "example": "例", "property": "性质", "observation": "观察", "conjecture": "猜想",
           "axiom": "公理", "criterion": "准则", "algorithm": "算法", "assumption": "假设",
           "notation": "记号"},
}


def _words(language: str) -> dict[str, str]:
    if language not in WORDS:
        raise ValueError(f"language must be one of {sorted(WORDS)}, got {language!r}")
    return WORDS[language]


def exercise_number(label: str) -> str:
    """The exercise's number in the book: ``ex-3-1-2`` -> ``"3.1-2"``, ``ex-1-2`` -> ``"1-2"``."""
    match = _LABEL.match(label.strip())
    if match is None:
        raise ValueError(f"exercise label must look like 'ex-3-1-2' or 'ex-1-2', got {label!r}")
    major, second, third = match.groups()
    return f"{major}-{second}" if third is None else f"{major}.{second}-{third}"


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line that closes the fence opened at ``start`` (same character, as long)."""
    for i in range(start + 1, len(lines)):
        line = lines[i].rstrip()
        if line and set(line) == {fence[0]} and len(line) >= len(fence):
            return i
    raise ValueError(f"unclosed fence {fence!r} opened at line {start + 1}: {lines[start]!r}")


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a directive body into its leading ``:key: value`` options and the content."""
    options, i = {}, 0
    while i < len(body) and (match := _OPTION.match(body[i])):
        options[match.group(1)] = match.group(2)
        i += 1
    while i < len(body) and not body[i].strip():
        i += 1
    return options, body[i:]


def _quote(head: str, content: list[str]) -> list[str]:
    lines = [head, "", *content] if content else [head]
    return [f"> {line}".rstrip() for line in lines]


def _directive(name: str, argument: str, body: list[str], language: str = "en") -> list[str]:
    """Plain Markdown for one directive (its body already converted)."""
    options, content = _options(body)
    words = _words(language)
    title = words["title"].format(argument) if argument else ""
    if name == "admonition":
        return _quote(f"**{argument}**", content)
    if name in ADMONITIONS:
        return _quote(f"**{argument or words[name]}**", content)
    if name == "exercise":
        number = exercise_number(options.get("label", ""))
        return _quote(f"**{words['exercise'].format(number)}{title}**", content)
    if name == "solution-start":
        return [f"**{words['solution'].format(exercise_number(argument))}**", "", *content]
    if name == "solution-end":
        return content
    if name == "prf:proof":
        return [f"*{words['proof']}*", "", *content, "", "∎"]
    kind = name.removeprefix("prf:")
    if name.startswith("prf:") and kind in PROOF_KINDS:
        return _quote(f"**{words[kind]}{title}{words['end']}**", content)
    raise ValueError(f"no plain-Markdown form for the directive {{{name}}}; add one to "
                     "tools/myst_plain.py")


def blocks_to_markdown(text: str, language: str = "en") -> str:
    """``text`` with every directive, target and comment replaced (code fences kept)."""
    _words(language)
    return "\n".join(_convert(text.split("\n"), language))


def _convert(lines: list[str], language: str = "en") -> list[str]:
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        directive, fence = _OPEN.match(line), _FENCE.match(line)
        if directive:
            end = _closing(lines, i, directive.group(1))
            body = _convert(lines[i + 1:end], language)
            out += _directive(directive.group(2), directive.group(3).strip(), body, language)
            i = end + 1
        elif fence:
            end = _closing(lines, i, fence.group(1))
            out += lines[i:end + 1]
            i = end + 1
        else:
            if not (_TARGET.match(line) or line.startswith("%")):
                out.append(line)
            i += 1
    return out


def targets(text: str, language: str = "en") -> dict[str, str]:
    """Labels defined in ``text``: ``(label)=`` before a heading, ``:label:`` of a directive;
    each mapped to the words a reference to it shows (the heading, "Exercise 4.2-1",
    "Theorem (title)")."""
    found, lines, words = {}, text.split("\n"), _words(language)
    for i, line in enumerate(lines):
        if match := _TARGET.match(line):
            heading = next((s for s in lines[i + 1:] if s.strip()), "")
            found[match.group(1)] = heading.lstrip("#").strip()
        elif directive := _OPEN.match(line):
            name, argument = directive.group(2), directive.group(3).strip()
            label = next((m.group(2) for m in map(_OPTION.match, lines[i + 1:i + 4])
                          if m and m.group(1) == "label"), None)
            if label and name == "exercise":
                found[label] = words["exercise"].format(exercise_number(label))
            elif label and name.startswith("prf:"):
                kind = name.removeprefix("prf:")
                kind = words.get(kind, kind.capitalize())
                found[label] = kind + (words["title"].format(argument) if argument else "")
    return found
