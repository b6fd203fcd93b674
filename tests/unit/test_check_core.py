"""The self-check machinery of rnnsec.check (Chapter exercises; teachers' page)."""

import pytest

from rnnsec import check
from rnnsec.check import _core


@pytest.fixture
def toy_check(monkeypatch):
    """Register a throw-away checker for exercise 9.9-1 and remove it afterwards."""
    monkeypatch.setattr(_core, "_REGISTRY", dict(_core._REGISTRY))

    @check.register("9.9-1", topic="twice a number")
    def _twice(answer, *, base):
        check.require(isinstance(answer, int), "give a whole number")
        check.require(answer == 2 * base, "double the base")
        return "right"

    return "9.9-1"


def test_right_and_wrong_answers(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)
    good = check.exercise(toy_check, 6, base=3)
    assert good.passed and bool(good) and "Correct" in repr(good) and good.message == "right"
    wrong = check.exercise(toy_check, 7, base=3)
    assert not wrong.passed and "double the base" in repr(wrong) and "Not yet" in repr(wrong)
    typed = check.exercise(toy_check, "6", base=3)
    assert not typed.passed and "whole number" in typed.message
    assert wrong.as_dict() == {"exercise": "9.9-1", "passed": False,
                               "message": "Hint: double the base"}


def test_a_broken_answer_becomes_a_hint(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)

    @check.register("9.9-2", topic="calls the answer")
    def _calls(answer):
        return str(answer(1))

    def broken(_):
        raise ZeroDivisionError("oops")

    result = check.exercise("9.9-2", broken)
    assert not result.passed and "ZeroDivisionError" in result.message


def test_strict_mode_raises(toy_check, monkeypatch):
    monkeypatch.setenv(check.STRICT_ENV, "1")
    assert check.exercise(toy_check, 6, base=3).passed
    with pytest.raises(AssertionError, match="double the base"):
        check.exercise(toy_check, 5, base=3)


def test_bad_calls_name_the_argument(toy_check):
    with pytest.raises(ValueError, match="exercise_id '0.0-0' has no self-check"):
        check.exercise("0.0-0", 1)
    with pytest.raises(TypeError, match="context"):
        check.exercise(toy_check, 6)  # the context keyword `base` is missing
    with pytest.raises(TypeError, match="context"):
        check.exercise(toy_check, 6, base=3, extra=1)
    with pytest.raises(ValueError, match="exercise_id must look like"):
        check.register("3.1", topic="no number")
    with pytest.raises(ValueError, match="registered twice"):
        check.register(toy_check, topic="again")(lambda answer: None)


def test_available_lists_ids_in_book_order(toy_check):
    ids = list(check.available())
    assert "9.9-1" in ids
    keys = [(tuple(int(p) for p in i.split("-")[0].split(".")), int(i.split("-")[1]))
            for i in ids]
    assert keys == sorted(keys)


def test_answer_parsers_give_hints():
    assert check.as_number(3, "x") == 3.0 and check.as_fraction(0.25, "acc") == 0.25
    assert check.as_dict({"a": 1, "b": 2}, ["a"], "d") == {"a": 1, "b": 2}
    for bad, helper, hint in ((True, check.as_number, "one number"),
                              (float("nan"), check.as_number, "finite"),
                              (1.5, check.as_fraction, "fraction in"),
                              ([1], check.as_dict, "as a dict")):
        with pytest.raises(check.WrongAnswer, match=hint):
            helper(bad, ["a"], "d") if helper is check.as_dict else helper(bad, "x")
    with pytest.raises(check.WrongAnswer, match=r"lacks the keys \['b'\]"):
        check.as_dict({"a": 1}, ["a", "b"], "d")
