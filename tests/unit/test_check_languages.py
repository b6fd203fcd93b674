"""Every self-check hint and praise has its Chinese twin (exercises; preface, "Two editions").

The Chinese edition shows the feedback of ``rnnsec.check`` in Chinese (``set_language("zh")``).
These tests read the chapter modules' source: each ``require``/``as_*`` call passes ``zh=``,
each praise is ``say(en, zh)``, the Chinese text is Chinese, and both texts interpolate the same
values, so no hint loses a number in translation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import rnnsec.check

CHECK_DIR = Path(rnnsec.check.__file__).parent
MODULES = sorted(CHECK_DIR.glob("ch*.py"))
HINTED = {"require": 1, "as_number": 1, "as_fraction": 1, "as_dict": 2}  # English arg position
CJK = re.compile(r"[\u4e00-\u9fff]")


def _calls(tree: ast.AST, names) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in names]


def _text(node: ast.AST) -> tuple[str, set[str]] | None:
    """A string literal's text and the expressions an f-string interpolates; None if neither."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, set()
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
        values = {ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)}
        return "".join(parts), values
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "..." "..." across lines
        left, right = _text(node.left), _text(node.right)
        if left and right:
            return left[0] + right[0], left[1] | right[1]
    return None


def _pairs(path: Path):
    """(line, English node, Chinese node) for each hint and praise in one chapter module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in _calls(tree, HINTED):
        zh = next((k.value for k in call.keywords if k.arg == "zh"), None)
        english = call.args[HINTED[call.func.id]] if len(call.args) > HINTED[call.func.id] else None
        yield call.lineno, english, zh
    for call in _calls(tree, {"say"}):
        yield call.lineno, call.args[0] if call.args else None, (
            call.args[1] if len(call.args) > 1 else None)


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_every_hint_has_a_chinese_twin(path):
    missing = [f"{path.name}:{line}" for line, _, zh in _pairs(path) if zh is None]
    assert not missing, f"hints without zh=: {missing}"


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_chinese_hints_are_chinese_and_keep_every_value(path):
    problems = []
    for line, english, zh in _pairs(path):
        en_text = _text(english) if english is not None else None
        zh_text = _text(zh) if zh is not None else None
        if zh_text is None:
            continue  # zh given by a variable or an expression: checked where it is built
        if not CJK.search(zh_text[0]) and zh_text[0].strip():
            problems.append(f"{path.name}:{line}: zh has no Chinese: {zh_text[0]!r}")
        if en_text is not None and en_text[1] != zh_text[1]:
            problems.append(f"{path.name}:{line}: English interpolates {sorted(en_text[1])}, "
                            f"Chinese {sorted(zh_text[1])}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_checkers_praise_with_say(path):
    """A checker returns say(en, zh) or None: a bare string would print in English only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bare = [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") == "register"
                for d in node.decorator_list)
            for ret in ast.walk(node) if isinstance(ret, ast.Return)
            and isinstance(ret.value, (ast.Constant, ast.JoinedStr, ast.BinOp))
            and not (isinstance(ret.value, ast.Constant) and ret.value.value is None)]
    assert not bare, f"checkers returning a bare string (use say(en, zh)): {bare}"
