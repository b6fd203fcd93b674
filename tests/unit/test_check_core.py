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
        check.require(answer == 2 * base, "double the base", zh="把底数加倍")
        return check.say("right", "对了")

    return "9.9-1"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Every test starts in English, whatever the environment or an earlier test chose."""
    monkeypatch.delenv(check.LANGUAGE_ENV, raising=False)
    monkeypatch.setattr(_core, "_CHOSEN", [])


def test_right_and_wrong_answers(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)
    good = check.exercise(toy_check, 6, base=3)
    assert good.passed and bool(good) and "Correct" in repr(good) and good.message == "right"
    wrong = check.exercise(toy_check, 7, base=3)
    assert not wrong.passed and "double the base" in repr(wrong) and "Not yet" in repr(wrong)
    typed = check.exercise(toy_check, "6", base=3)
    assert not typed.passed and "whole number" in typed.message
    assert wrong.as_dict() == {"exercise": "9.9-1", "passed": False,
                               "message": "Hint: double the base", "language": "en"}


def test_feedback_in_chinese(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)
    check.set_language("zh")
    good, wrong = check.exercise(toy_check, 6, base=3), check.exercise(toy_check, 7, base=3)
    assert repr(good) == "练习 9.9-1：正确。对了" and good.language == "zh"
    assert repr(wrong) == "练习 9.9-1：尚未正确。提示：把底数加倍"
    # a hint without its Chinese twin falls back to English (test_check_languages forbids it)
    assert check.exercise(toy_check, 6.5, base=3).message == "提示：give a whole number"
    check.set_language("en")
    assert repr(check.exercise(toy_check, 7, base=3)) == \
        "Exercise 9.9-1: Not yet. Hint: double the base"
    monkeypatch.setattr(_core, "_CHOSEN", [])
    monkeypatch.setenv(check.LANGUAGE_ENV, "zh")
    assert check.language() == "zh" and check.exercise(toy_check, 6, base=3).message == "对了"


def test_language_choices_are_checked(monkeypatch):
    with pytest.raises(ValueError, match=r"language must be one of \('en', 'zh'\), got 'fr'"):
        check.set_language("fr")
    monkeypatch.setenv(check.LANGUAGE_ENV, "de")
    with pytest.raises(ValueError, match="RNNSEC_LANGUAGE must be one of"):
        check.language()
    with pytest.raises(TypeError, match="zh must be a non-empty str"):
        check.say("fine", "")


def test_a_checker_must_praise_in_both_languages(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)

    @check.register("9.9-3", topic="praises in English only")
    def _english_only(answer):
        return "right"

    with pytest.raises(TypeError, match="must return say"):
        check.exercise("9.9-3", 1)


def test_a_broken_answer_becomes_a_hint(toy_check, monkeypatch):
    monkeypatch.delenv(check.STRICT_ENV, raising=False)

    @check.register("9.9-2", topic="calls the answer")
    def _calls(answer):
        answer(1)

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
    with pytest.raises(check.WrongAnswer) as caught:
        check.as_fraction(1.5, "the accuracy", zh="准确率")
    assert caught.value.message.zh == "准确率应当是 [0, 1] 中的比例，而你给的是 1.5"
