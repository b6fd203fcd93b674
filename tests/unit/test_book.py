"""Notebook helpers: glue outside IPython returns the value; names are validated."""

import pytest

from rnnsec import book


def test_glue_outside_ipython_records_nothing_and_does_not_fail():
    assert book.glue("clean_acc", 0.912) is None


@pytest.mark.parametrize("name", ["", "has space", "a.b", 3])
def test_glue_rejects_bad_names(name):
    with pytest.raises(ValueError, match="name"):
        book.glue(name, 1)


def test_glue_records_like_myst_nb(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, raw, metadata: shown.append((obj, metadata)))
    book.glue("acc", 0.5)
    obj, metadata = shown[0]
    assert obj == {book.GLUE_PREFIX + "text/plain": "0.5"}
    assert metadata["scrapbook"] == {"name": "acc", "mime_prefix": book.GLUE_PREFIX}
    book.glue("verdict", "within the noise", zh="在噪声之内")
    assert [m["scrapbook"]["name"] for _, m in shown[1:]] == ["verdict", "verdict__zh"]
    assert shown[2][0] == {book.GLUE_PREFIX + "text/plain": "'在噪声之内'"}
    from rnnsec.stats import Interval

    book.glue_interval("gap", Interval(0.021, -0.01, 0.052, 0.95, "x", difference=True))
    assert [(o[book.GLUE_PREFIX + "text/plain"], m["scrapbook"]["name"]) for o, m in shown[3:]] == [
        ("'+0.021 (95% interval -0.010 to +0.052)'", "gap"),
        ("'+0.021（95% 区间 -0.010 至 +0.052）'", "gap__zh")]
    InteractiveShell.clear_instance()


def test_glue_checks_the_chinese_twin():
    with pytest.raises(TypeError, match="zh must be a non-empty str or of the value's type"):
        book.glue("verdict", "fine", zh=3)
    with pytest.raises(TypeError, match=r"\(float\)"):
        book.glue("verdict", 0.5, zh="")
    with pytest.raises(ValueError, match="must not end with '__zh'"):
        book.glue("verdict__zh", "x")


def test_not_in_colab_here():
    assert book.in_colab() is False
